"""Regression tests from the fourth outside "break it" review (the seams between features).

Each test names the defect it pins; all talk HTTP (or websocket) over loopback to real servers.
"""

from __future__ import annotations

import pytest

from composio import Request, Stage, ValidationError
from composio.pipeline import RequestPolicy
from tests._drivers import Driver
from tests.integration._raw_servers import answer, checked_out, raw_server

BODY = b'{"items": [], "next_cursor": null}'
SENTINEL = "SENTINEL-break4-7d1e"


class _StampsHeader(RequestPolicy):
    """A user's middleware (sans-I/O: both chains) writing a header after the layers were
    checked: ``bad`` on the first request, a good value afterwards."""

    name = "test-break4-stamp"
    stage = Stage.ATTEMPT

    def __init__(self, bad: str) -> None:
        self.values = [bad]

    def on_request(self, request: Request) -> None:
        request.headers["x-stamp"] = self.values.pop() if self.values else "fine"


@pytest.mark.parametrize(
    "bad",
    [f"a\r\nx-evil: {SENTINEL}", f"caf\u00e9 {SENTINEL}", f"nul\x00{SENTINEL}"],
    ids=["crlf", "non-ascii", "nul"],
)
def test_break4_middleware_header_checked_on_both_clients(driver: Driver, bad: str) -> None:
    """SPEC §12.3 on BOTH clients: a header value a middleware wrote is a ValidationError
    naming the header, never showing the value, with nothing sent and the client usable.
    (The async client raised aiohttp's bare ValueError for CR/LF/NUL and sent a non-ASCII
    value as UTF-8 bytes.)"""
    with raw_server(answer(body=BODY)) as srv:
        client = driver.client(
            api_key="k-break4",
            base_url=srv.url,
            allow_tracking=False,
            middlewares=[_StampsHeader(bad)],
        )
        with pytest.raises(ValidationError, match="x-stamp") as caught:
            client.request("GET", "/api/v3/tools")
        assert SENTINEL not in str(caught.value) and SENTINEL not in repr(caught.value)
        assert srv.requests == []  # not a byte of it
        assert checked_out(client) == 0
        assert client.request("GET", "/api/v3/tools").json()["items"] == []
    (head,) = srv.requests
    assert b"x-stamp: fine" in head.split(b"\r\n")


def _raw_request(url: str, line: bytes) -> None:
    """One request line sent as is (http.client refuses control characters in a URL)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(line + b"\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass


def test_break4_dev_server_log_line_hides_upload_keys_and_control_characters() -> None:
    """``RecordedRequest.log_line`` (what ``dev-server --log`` prints) promises a line safe to
    print: an upload URL's key is a capability like a connect link's token (whoever has it
    reads or replaces the file), and a request line's control characters must not reach
    the developer's terminal (an escape sequence rewrites what it shows)."""
    from composio.testing import LocalServer
    from composio.testing.server import RecordedRequest

    seen: list[RecordedRequest] = []
    with LocalServer(on_request=seen.append) as server:
        _raw_request(server.url, f"PUT /_local/uploads/{SENTINEL} HTTP/1.1".encode())
        _raw_request(server.url, f"GET /_local/uploads/{SENTINEL}/x HTTP/1.1".encode())
        _raw_request(server.url, b"GET /api/v3/\x1b]0;pwned\x07\x1b[2J HTTP/1.1")
    lines = [r.log_line() for r in seen]
    assert lines[:2] == ["PUT /_local/uploads/***", "GET /_local/uploads/***"]
    assert not [line for line in lines if SENTINEL in line]
    assert all(c.isprintable() for line in lines for c in line), lines
    assert lines[2].startswith("GET /api/v3/%1B]0;pwned%07%1B[2J")


@pytest.mark.parametrize("edit", ["popitem", "clear", "ior", "c-level"])
def test_break4_header_block_edited_by_a_mounted_adapter_sends_the_edit(edit: str) -> None:
    """A user's adapter built on ``DeadlineAdapter`` (so its connections send pre-encoded
    header blocks) that edits the headers in ``send`` must have its edit sent: ``popitem``,
    ``clear`` and ``|=`` changed the dict but left the block's old lines, so a header it
    removed still went out."""
    from typing import Any

    from composio import Composio
    from composio._deadline_http import DeadlineAdapter

    class Editing(DeadlineAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            headers = request.headers
            if edit == "popitem":
                headers.popitem()  # the last one: x-retry-count
            elif edit == "clear":
                kept = {k: v for k, v in headers.items() if k != "x-retry-count"}
                headers.clear()
                dict.update(headers, kept)  # as a C-level copy would: no hook of ours
            elif edit == "c-level":  # no method of the subclass runs: only the items tell
                dict.__setitem__(headers, "x-retry-count", "edited")
            else:
                headers |= {"x-retry-count": "edited"}
            return super().send(request, *args, **kwargs)

    with raw_server(answer(body=BODY)) as srv:
        client = Composio(api_key="k-edit", base_url=srv.url, allow_tracking=False)
        try:
            client._runtime.transport._pool.session.mount(f"{srv.url}/api", Editing())
            assert client.request("GET", "/api/v3/tools").json()["items"] == []
        finally:
            client.close()
    (head,) = srv.requests
    lines = head.split(b"\r\n")
    retry = [line for line in lines if line.lower().startswith(b"x-retry-count")]
    assert retry == ([b"x-retry-count: edited"] if edit in ("ior", "c-level") else [])
    assert b"x-api-key: k-edit" in lines
