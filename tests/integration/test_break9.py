"""Break round 9 on issue 21's third pass (page items built on their first read, the joined
query string, the reused plain listing): each test states a rule those changes must keep, on
both clients where the feature exists on both, over loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from composio import Stage
from composio._deferred_items import ItemsSlot
from composio._wire import full_url, query_string
from composio.models import Tool, defer_items
from composio.pagination import AsyncPage, Page
from composio.pipeline import Request, RequestPolicy
from composio.testing import LocalServer
from tests._drivers import Driver
from tests._interleave import race

ITEMS = [{"slug": "GITHUB_STAR", "toolkit": {"slug": "github"}}, {"slug": "SLACK_POST"}]


class _OneShotParams(RequestPolicy):
    """A middleware that hands the rest of the chain its query as a generator: not the list
    of pairs SPEC §3 describes, so the wire must refuse it as ``urlencode`` always did -- a
    retry or a span that encodes the request again must never find it spent and send the
    request without its query."""

    name = "test-break9-one-shot-params"
    stage = Stage.CALL
    order = 50

    def on_request(self, request: Request) -> None:
        if request.params:
            request.params = (pair for pair in request.params)  # type: ignore[assignment]


def test_break9_one_shot_params_are_refused_not_resent_without_their_query(
    driver: Driver, server: LocalServer
) -> None:
    """``query_string`` joined a generator's pairs where ``urlencode`` raised: the first
    attempt went out with ``limit=3``, the retry after a 503 encoded the spent generator and
    asked for the page without any query (20 tools, not 3), silently."""
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        middlewares=[_OneShotParams()],
    )
    server.reset()
    server.fail_next("/api/v3.1/tools", [503])
    with pytest.raises(TypeError, match="not a valid non-string sequence"):
        client.tools.list(limit=3)
    sent = server.requests_to("/api/v3.1/tools")
    assert [r.query.get("limit") for r in sent if r.query.get("limit") != ["3"]] == []


def test_break9_query_string_of_an_iterator_is_urlencodes_answer() -> None:
    """The same generator encoded twice (a span's URL, then the wire's): both refuse it."""
    for make in (lambda: iter([("a", "b")]), lambda: (p for p in [("a", "b")])):
        with pytest.raises(TypeError) as expected:
            urlencode(make())  # type: ignore[arg-type]
        with pytest.raises(TypeError) as got:
            query_string(make())  # type: ignore[arg-type]
        assert str(got.value) == str(expected.value)
        once = make()
        with pytest.raises(TypeError):
            full_url("http://127.0.0.1/p", once)  # type: ignore[arg-type]


def _page(value: Any) -> Any:
    return getattr(value, "_page", value)  # the async driver's view: the AsyncPage itself


def test_break9_a_first_read_racing_another_threads_returns_the_pages_one_tuple(
    driver: Driver, server: LocalServer
) -> None:
    """Two threads read a fresh page's ``items`` at once: whichever stores second must return
    the tuple stored first (``ItemsSlot``'s own promise), not its own. The interleaving is
    forced, not hoped for (a ``setswitchinterval`` race hits it about once in 2,000 reads):
    a trace function stops this thread just before its store and runs the other thread's
    read there, until that read ends or reaches the step that waits for this one's store."""
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    page = _page(client.tools.list(limit=5))
    mine, other = race(
        lambda: page.items, ItemsSlot.__get__.__code__, ".__set__(obj, built)", "with _STORE"
    )
    assert mine is page.items
    assert other is page.items, "the reader that lost the race got a tuple of its own"


def _walk(page: Any) -> list[Any]:
    if isinstance(page, AsyncPage):

        async def walk() -> list[Any]:
            return [item async for item in page]

        return asyncio.run(walk())
    return list(page)


@pytest.mark.parametrize("cls", [Page, AsyncPage])
def test_break9_a_hand_built_page_of_a_generator_still_walks_on(cls: Any) -> None:
    """A page built by hand over a generator (not the tuple the SDK builds, but what
    ``has_next_page``'s ``bool(items)`` accepted) went on to its next page; counting its items
    with ``len`` made ``has_next_page`` raise ``TypeError`` instead. A page of ``None`` items
    had no next page."""
    last = cls((3,))

    def fetch(cursor: str) -> Any:
        if cls is Page:
            return last

        async def page() -> Any:
            return last

        return page()

    page = cls((x for x in (1, 2)), next_cursor="c", _fetch=fetch)
    assert page.has_next_page() is True
    assert _walk(cls((x for x in (1, 2)), next_cursor="c", _fetch=fetch)) == [1, 2, 3]
    assert cls(None, next_cursor="c", _fetch=fetch).has_next_page() is False
    # and the SDK's own page still answers without building its items
    lazy = cls(defer_items(Tool, json.loads(json.dumps(ITEMS)), "r"), "c", _fetch=fetch)
    assert lazy.has_next_page() is True and len(lazy) == 2
