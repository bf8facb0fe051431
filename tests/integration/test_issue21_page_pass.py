"""Issue 21, second pass (SPEC §19): a page is read in one pass over its items.

The items are stamped with the response's request id as they are built, and the tools whose
toolkit the client does not know yet are found in the same loop; the client's later stamp
leaves page data alone. Each test pins an answer that pass must keep (SPEC §12.5, §18), on
both clients, over loopback.
"""

from __future__ import annotations

import json
import pickle
import socket
import threading

import pytest

from composio import ValidationError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import assert_no_secret, raw_server

SESSION_SECRET = "tnt-SENTINEL-21a9c0"
PAGE = json.dumps(
    {
        "items": [
            {"slug": "GITHUB_STAR", "name": "Star", "toolkit": {"slug": "GitHub"}},
            {"slug": "SLACK_POST", "toolkit": {"slug": "slack", "name": "Slack"}},
        ],
        "next_cursor": None,
        "total_items": 2.0,
        "total_pages": True,
    }
).encode()


def echoing_page(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    """A tools page whose ``x-request-id`` is the server's own and echoes the session's
    secret header (a proxy that copies headers it should not)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"x-request-id: srv-{SESSION_SECRET}-9\r\nContent-Length: {len(PAGE)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + PAGE
    )


def test_issue21_a_servers_own_request_id_is_scrubbed_on_the_page_and_every_model(
    driver: Driver,
) -> None:
    with raw_server(echoing_page) as server:
        root = driver.client(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)
        client = root.create_session(headers={"x-tenant-secret": SESSION_SECRET})
        raw = client.with_raw_response.tools.list()
        page = getattr(raw, "target", raw).parse()  # the async driver's view: the page itself
        cache = root._tool_env.toolkits
        learned = [cache.get(slug) for slug in ("GITHUB_STAR", "SLACK_POST")]
    request_id = raw.request_id
    assert request_id is not None and request_id.startswith("srv-") and request_id.endswith("-9")
    assert SESSION_SECRET not in request_id
    tools = page.items
    assert [t.slug for t in tools] == ["GITHUB_STAR", "SLACK_POST"]
    assert page._request_id == request_id
    assert [t._request_id for t in tools] == [request_id, request_id]
    # nested models are built on first read, after the page was stamped: they get it too
    assert [t.toolkit._request_id for t in tools if t.toolkit] == [request_id, request_id]
    assert (page.total_items, page.total_pages) == (2, None)  # 2.0 is whole; a bool is no count
    assert learned == ["github", "slack"]  # both new to the client: learned in the same pass
    data = pickle.dumps(page)
    assert_no_secret(SESSION_SECRET, data.decode("latin-1"), repr(page))
    back = pickle.loads(data)
    assert back == page and [t._request_id for t in back.items] == [request_id, request_id]


def test_issue21_tools_list_without_filters_sends_only_the_pins_and_checks_the_rest(
    driver: Driver, server: LocalServer
) -> None:
    """The no-filter shortcut of ``tools.list`` sends what the checked path sent, and every
    argument given is still checked (a clear error, the client usable afterwards)."""
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    server.reset()
    page = client.tools.list()
    (sent,) = server.requests_to("/api/v3.1/tools")
    assert dict(sent.query) == {"toolkit_versions": ["latest"]}
    assert page.items and page._request_id == sent.header("x-request-id")
    for bad in ({"search": " "}, {"cursor": ""}, {"limit": 0}, {"tags": [""]}, {"important": 1}):
        with pytest.raises(ValidationError, match=r"tools\.list|limit"):
            client.tools.list(**bad)
    server.reset()
    client.tools.list("github", limit=2)
    (sent,) = server.requests_to("/api/v3.1/tools")
    assert dict(sent.query) == {
        "toolkit_slug": ["github"],
        "limit": ["2"],
        "toolkit_versions": ["latest"],
    }
