"""Break-it review of the span-URL cache (``tracing._where``, SPEC §8/§19): a span names the
URL the wire sends -- a path's own query joined to the parameters as ``_wire.encode`` joins
them -- and a query value, which may be a capability, never enters the process-wide cache."""

from __future__ import annotations

from composio._wire import encode
from composio.config import Timeout
from composio.middlewares import tracing
from composio.pipeline import CallContext, Request


def _request(url: str, params: list[tuple[str, str]] | None) -> Request:
    return Request("GET", url, context=CallContext("request", Timeout(), 0.0, 0), params=params)


def test_break5_span_url_has_every_query_name_the_wire_sends() -> None:
    request = _request("https://h.test/api/p?token=s3cret", [("limit", "5")])
    sent = encode(request)[0]
    assert sent == "https://h.test/api/p?token=s3cret&limit=5"
    assert tracing._attributes(request)["url.full"] == "https://h.test/api/p?token=***&limit=***"


def test_break5_a_query_value_in_the_path_never_enters_the_span_url_cache() -> None:
    for n in range(3):  # again and again: the answer is the same, never cached
        request = _request(f"https://h.test/api/p?token=s3cret{n}", [("limit", "5")])
        assert tracing._attributes(request)["url.full"] == (
            "https://h.test/api/p?token=***&limit=***"
        )
    assert not [key for key in tracing._WHERE if "s3cret" in repr(key)]
