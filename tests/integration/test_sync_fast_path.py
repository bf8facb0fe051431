"""The sync transport drives its own adapter's urllib3 pool directly (SPEC §19), and a user's
adapter mounted on the client's ``requests.Session`` still gets every request for its URLs.

Both ways must put the same bytes on the wire, which a raw-socket server captures, and
``requests_response`` (built lazily on the fast path) must be what ``send`` would return.
"""

from __future__ import annotations

import threading
from typing import Any

import requests
import requests.adapters

from composio import Composio
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
