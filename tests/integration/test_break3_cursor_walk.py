"""Break round 3 (issue 23): a server that never stops paging.

The cursor rule refused a *repeated* cursor, but a server answering a new cursor on every page
(``c1``, ``c2``, ...) kept ``composio tools list`` (every page, by default), ``iter_pages`` and
``tools.get(tools=[...])``'s walk requesting forever, holding every item: 17,831 requests in
20 s against a loopback server and no end. A walk now follows at most ``MAX_PAGES`` cursors.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from composio import APIError, AsyncPage, _cursors
from tests._drivers import Driver
from tests.integration._raw_servers import raw_server


def endless_pages(conn: socket.socket, head: bytes, stop: threading.Event) -> bool:
    conn.settimeout(None)
    target = head.split(b" ", 2)[1].decode()
    cursor = parse_qs(urlsplit(target).query).get("cursor", ["c0"])[0]
    n = int(cursor[1:]) + 1
    item = {"slug": f"MATH_T{n}", "name": "t", "toolkit": {"slug": "math", "name": "Math"}}
    body = json.dumps({"items": [item], "next_cursor": f"c{n}", "total_pages": n + 1}).encode()
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return True


async def walk_every_item(page: AsyncPage[Any]) -> None:
    async for _ in page:
        pass


@pytest.mark.parametrize("walk", ["iter_pages", "tools.get"])
def test_break3_a_cursor_walk_ends_when_the_server_never_does(
    driver: Driver, walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cursors, "MAX_PAGES", 30)  # the real bound is 10,000 pages
    with raw_server(endless_pages) as server:
        client = driver.client(api_key="k" * 20, base_url=server.url, allow_tracking=False)
        with pytest.raises(APIError, match="30 pages") as caught:
            if walk == "iter_pages" and driver.loop is not None:
                driver.loop.run(walk_every_item(client.tools.list("math")._page))
            elif walk == "iter_pages":
                for _ in client.tools.list("math"):
                    pass
            else:
                client.tools.get("alice", tools=["MATH_ADD"])
        assert len(server.requests) == 31  # the first page and 30 cursors followed
    assert "next_cursor" in str(caught.value)
