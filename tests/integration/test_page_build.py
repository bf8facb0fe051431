"""Issue 21 (SPEC §19): a page's models are built in one pass over the page's own JSON objects.

``composio.models.parse_items`` keeps each item's JSON object as is instead of copying it, which
is only safe because the page parses the body for itself (``_encode.own_json``): the response's
cached ``json()`` -- what a plugin or a ``with_raw_response`` caller reads -- is another object,
so editing it cannot rewrite a model's lazy fields. Both clients, over loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def test_issue21_page_models_do_not_share_the_responses_json(
    driver: Driver, server: LocalServer
) -> None:
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    raw = client.with_raw_response.tools.list()
    page = raw.parse()
    shown = raw.http_response.json()["items"]
    assert [t.slug for t in page.items] == [item["slug"] for item in shown]
    first = shown[0]
    name, description = first.get("name"), first.get("description")
    first["name"], first["description"] = "edited", "edited"  # before any lazy field is read
    first["toolkit"] = {"slug": "edited"}
    tool = page.items[0]
    assert (tool.name, tool.description) == (name, description)
    assert tool.toolkit is None or tool.toolkit.slug != "edited"
    assert raw.http_response.json()["items"][0]["name"] == "edited"  # the cache itself is as is


def test_issue21_a_page_listed_again_is_stamped_and_learned_as_the_first(
    driver: Driver, server: LocalServer
) -> None:
    """The second listing of the same tools: the toolkit cache skips what it knows, and the
    request-id stamp skips the nested slots lazy items have not built -- neither may leave
    a tool unlearned or a model (``tool.toolkit`` included) without the page's id."""
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    first, second = client.tools.list(), client.tools.list()
    assert first.items == second.items and first._request_id != second._request_id
    assert second.items and {t._request_id for t in second.items} == {second._request_id}
    toolkits = [t.toolkit for t in second.items]
    assert all(toolkits) and {k._request_id for k in toolkits if k} == {second._request_id}
    cache = client._tool_env.toolkits
    assert [cache.get(t.slug) for t in second.items] == [k.slug for k in toolkits if k]
