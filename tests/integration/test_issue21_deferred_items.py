"""Issue 21, third pass (SPEC §19): a page's models are built on their first read.

A list call checks every item's required field when the page arrives (a bad item still fails
the call) and builds the models when ``items`` is first read. Each test pins an answer that
must not move with that: the error at the call, one tuple for every read, the request id on
every model, equality, pickling and ``len``, on both clients, over loopback.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import socket
import threading
from typing import Any

import pytest

from composio import APIError
from composio._deferred_items import DeferredItems
from composio.models import Tool, defer_items, parse_items
from composio.pagination import Page
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration._raw_servers import raw_server
from tests.integration.test_break8 import _MarksParams

ITEMS = [
    {"slug": "GITHUB_STAR", "name": "Star", "toolkit": {"slug": "github", "name": "GitHub"}},
    {"slug": "SLACK_POST", "description": "Post", "toolkit": {"slug": "slack"}, "new": 1},
]


def _serve(body: dict[str, Any]) -> Any:
    payload = json.dumps(body).encode()

    def answer(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req-d1\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )

    return raw_server(answer)


def _page(value: Any) -> Any:
    return getattr(value, "_page", value)  # the async driver's view: the AsyncPage itself


def test_issue21_a_listed_pages_models_are_one_tuple_stamped_and_equal(driver: Driver) -> None:
    with _serve({"items": ITEMS, "next_cursor": None}) as server:
        client = driver.client(api_key="k", base_url=server.url, allow_tracking=False)
        page = _page(client.tools.list())
    assert len(page) == 2  # counted without building
    items = page.items
    assert type(items) is tuple and items is page.items  # built once, kept
    assert items == tuple(Tool.from_dict(item) for item in ITEMS)
    assert [t._request_id for t in items] == ["req-d1", "req-d1"]
    assert items[0].toolkit is not None and items[0].toolkit._request_id == "req-d1"
    assert items[1].extra == {"new": 1}
    assert pickle.loads(pickle.dumps(page)).items == items
    assert "GITHUB_STAR" in repr(page) and "not built" not in repr(page)


def test_issue21_a_page_with_a_bad_item_fails_the_call_not_its_first_read(driver: Driver) -> None:
    bad = [*ITEMS, {"name": "no slug"}]
    with _serve({"items": bad, "next_cursor": None}) as server:
        client = driver.client(api_key="k", base_url=server.url, allow_tracking=False)
        with pytest.raises(APIError, match="missing required field 'slug'"):
            client.tools.list()
    # and another page, of another model, whose item is not an object at all
    with _serve({"items": [{"slug": "github"}, 3], "next_cursor": None}) as server:
        client = driver.client(api_key="k", base_url=server.url, allow_tracking=False)
        with pytest.raises(APIError, match="expected a JSON object"):
            client.toolkits.list()


def test_issue21_a_page_equal_to_its_eager_twin_and_replace_keeps_its_items() -> None:
    lazy = Page(defer_items(Tool, json.loads(json.dumps(ITEMS)), "r"), "c")
    eager = Page(parse_items(Tool, json.loads(json.dumps(ITEMS)), "r"), "c")
    assert lazy == eager and hash(lazy) == hash(eager)
    moved = dataclasses.replace(lazy, next_cursor=None)
    assert moved.items is lazy.items and moved.next_cursor is None


def test_issue21_two_first_reads_at_once_see_one_tuple() -> None:
    """The read that stores its tuple first wins; the other returns that one. Here the
    second read happens inside the first one's build (as another thread's would, between
    the first one's build and its store): the outer read must return the inner's tuple."""
    page: Page[Tool] | None = None
    inner: list[tuple[Tool, ...]] = []

    def build(raw: list[Any], request_id: str | None) -> tuple[Tool, ...]:
        if not inner:
            inner.append(())  # the nested read builds for real
            assert page is not None
            inner[0] = page.items
        return parse_items(Tool, raw, request_id)

    page = Page(DeferredItems(build, json.loads(json.dumps(ITEMS)), None))
    outer = page.items
    assert outer is inner[0] and outer is page.items


def test_issue21_plain_tools_list_calls_share_nothing_a_middleware_edits(
    driver: Driver, server: LocalServer
) -> None:
    """``tools.list()`` without arguments is described once per client and reused: a
    middleware's in-place edit of one call's params must not reach the next call, nor a
    session's, nor a call with arguments."""
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        middlewares=[_MarksParams()],
    )
    server.reset()
    client.tools.list()
    client.tools.list()
    client.create_session(headers={"x-tenant": "t1"}).tools.list()
    client.tools.list(limit=3)
    got = server.requests_to("/api/v3.1/tools")
    sent = [(r.query.get("mark"), r.query.get("limit")) for r in got]
    assert sent == [(["1"], None), (["1"], None), (["1"], None), (["1"], ["3"])]
    assert [r.query.get("toolkit_versions") for r in got] == [["latest"]] * 4
