"""The sync transport drives its own adapter's urllib3 pool directly (SPEC §19), and a user's
adapter mounted on the client's ``requests.Session`` still gets every request for its URLs.

Both ways must put the same bytes on the wire, which a raw-socket server captures, and
``requests_response`` (built lazily on the fast path) must be what ``send`` would return.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
import requests.adapters

from composio import Composio, Request, Stage, ValidationError
from composio._deadline_http import HeaderLines
from composio.pipeline import RequestPolicy
from tests.integration._raw_servers import answer, checked_out, raw_server

BODY = b'{"items": [], "next_cursor": null}'


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """A user's own adapter (plain requests, no SDK class): counts what it sends."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.sent = 0
        self._lock = threading.Lock()

    def send(self, request: Any, **kwargs: Any) -> requests.Response:
        with self._lock:
            self.sent += 1
        return super().send(request, **kwargs)


def _calls(client: Composio) -> list[Any]:
    session = client.create_session(headers={"x-user-id": "u-1"})
    return [
        session.request("GET", "/api/v3/tools", params={"limit": "2"}),
        session.request("POST", "/api/v3/tools/execute/X", json={"arguments": {"a": "é"}}),
        session.request("DELETE", "/api/v3/things/1"),
    ]


def _heads(heads: list[bytes]) -> list[bytes]:
    # The two clients differ only in their telemetry/trace ids: drop those lines.
    varying = (b"traceparent", b"x-request-id", b"tracestate")
    return [
        b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(varying))
        for head in heads
    ]


def test_direct_pool_and_user_adapter_send_identical_bytes() -> None:
    with raw_server(answer(body=BODY)) as srv:  # one server: the Host lines match too
        fast = Composio(api_key="k-fast-path", base_url=srv.url, allow_tracking=False)
        mounted = Composio(api_key="k-fast-path", base_url=srv.url, allow_tracking=False)
        adapter = _CountingAdapter()
        mounted._runtime.transport.session.mount("http://", adapter)
        try:
            fast_answers = _calls(fast)
            user_answers = _calls(mounted)
        finally:
            fast.close()
            mounted.close()
    assert adapter.sent == 3  # the user's adapter carried every request of its client
    assert len(srv.requests) == 6
    assert _heads(srv.requests[:3]) == _heads(srv.requests[3:])
    assert srv.requests[0].startswith(b"GET /api/v3/tools?limit=2 HTTP/1.1\r\n")
    for a, b in zip(fast_answers, user_answers, strict=True):
        assert (a.status_code, a.content, a.headers["content-type"]) == (
            b.status_code,
            b.content,
            b.headers["content-type"],
        )


def test_lazy_requests_response_is_what_send_returns() -> None:
    with raw_server(answer(body=BODY)) as srv:
        client = Composio(api_key="k-lazy", base_url=srv.url, allow_tracking=False)
        try:
            response = client.request("GET", "/api/v3/tools")
            assert checked_out(client) == 0  # the body was read: the connection is back
            raw = response.requests_response
            assert raw is response.requests_response  # built once
            assert isinstance(raw, requests.Response)
            assert (raw.status_code, raw.reason, raw.content) == (200, "X", BODY)
            assert raw.url == srv.url + "/api/v3/tools"
            assert raw.headers["Content-Length"] == str(len(BODY))
            assert raw.json() == {"items": [], "next_cursor": None}
            assert raw.request.method == "GET"
            raw.close()  # what the retry middleware does before a wait: harmless when read
            assert checked_out(client) == 0
            # the pool is still usable afterwards, over the same connection
            assert client.request("GET", "/api/v3/tools").json()["items"] == []
            assert srv.connections == 1
        finally:
            client.close()


def test_adapter_mounted_for_one_prefix_only_takes_those_urls() -> None:
    with raw_server(answer(body=BODY)) as srv:
        client = Composio(api_key="k-prefix", base_url=srv.url, allow_tracking=False)
        adapter = _CountingAdapter()
        client._runtime.transport.session.mount(srv.url + "/api/v3/special", adapter)
        try:
            client.request("GET", "/api/v3/tools")
            assert adapter.sent == 0
            client.request("GET", "/api/v3/special/x")
            assert adapter.sent == 1
        finally:
            client.close()


# -- the pre-validated header block (SPEC §19): lines checked and encoded once per client ------

SENTINEL = "SENTINEL-hdr-9f2c"


class _SetsHeader(RequestPolicy):
    """A user's middleware writing a header after the layers were checked; bad once."""

    name = "test-sets-header"
    stage = Stage.ATTEMPT

    def __init__(self, bad: str) -> None:
        self.values = [bad, "fine"]

    def on_request(self, request: Request) -> None:
        request.headers["x-stamp"] = self.values.pop(0) if len(self.values) > 1 else "fine"


@pytest.mark.parametrize("bad", [f"a\r\nx-evil: {SENTINEL}", f"caf\u00e9 {SENTINEL}"])
def test_middleware_header_is_checked_named_never_shown_and_never_sent(bad: str) -> None:
    """A header a middleware wrote is held to the layers' rule (SPEC §4, §12.3) before a byte
    leaves: the error names it, never shows its value, and the client stays usable. (urllib3's
    own check raised a ValueError quoting the value; a latin-1 value was sent.)"""
    with raw_server(answer(body=BODY)) as srv:
        client = Composio(
            api_key="k-block",
            base_url=srv.url,
            allow_tracking=False,
            middlewares=[_SetsHeader(bad)],
        )
        try:
            with pytest.raises(ValidationError, match="x-stamp") as caught:
                client.request("GET", "/api/v3/tools")
            assert SENTINEL not in str(caught.value) and SENTINEL not in repr(caught.value)
            assert "not shown" in str(caught.value)
            assert srv.requests == []  # not even the request line
            assert checked_out(client) == 0
            assert client.request("GET", "/api/v3/tools").json()["items"] == []
        finally:
            client.close()
    (head,) = srv.requests
    assert b"x-stamp: fine" in head.split(b"\r\n")


def test_header_lines_are_cached_per_client_bounded_and_dropped_on_close() -> None:
    """The block's lines come from the client's cache after the first request; values that
    change per call (``x-request-id``) cannot grow it past its bound; ``close()`` empties it,
    so no header value -- the API key is one -- outlives the client there."""
    with raw_server(answer(body=BODY)) as srv:
        client = Composio(api_key="k-lines", base_url=srv.url, allow_tracking=False)
        lines = client._runtime.transport._pool.lines
        try:
            for _ in range(HeaderLines.LIMIT + 5):
                client.request("GET", "/api/v3/tools")
            assert 0 < len(lines._lines) <= HeaderLines.LIMIT
            assert ("x-api-key", "k-lines") in lines._lines
        finally:
            client.close()
        assert lines._lines == {}
    heads = _heads(srv.requests)
    assert len(set(heads)) == 1  # the same bytes every time, cached or not


def test_proxy_credentials_urllib3_merges_into_the_headers_are_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through a plain-http proxy urllib3 copies the headers and merges the proxy's
    ``Proxy-Authorization`` into the copy: the merged header must go out, so a block whose
    dict was changed falls back to urllib3's own header writing."""
    with raw_server(answer(body=BODY)) as srv:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.lower(), raising=False)
        monkeypatch.setenv("HTTP_PROXY", srv.url.replace("http://", "http://user:pw@"))
        client = Composio(api_key="k-proxy", base_url="http://localhost:9", allow_tracking=False)
        try:
            assert client.request("GET", "/api/v3/tools").json()["items"] == []
        finally:
            client.close()
    (head,) = srv.requests
    lines = head.split(b"\r\n")
    assert lines[0] == b"GET http://localhost:9/api/v3/tools HTTP/1.1"  # to the proxy
    assert b"Proxy-Authorization: Basic dXNlcjpwdw==" in lines
    assert b"x-api-key: k-proxy" in lines
