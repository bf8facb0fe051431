"""Issue 21 (SPEC §19): a span's URL attributes are worked out once per URL and query names.

The redacted ``url.full`` keeps the query's names only, so ``tracing._where`` is cached per
(URL, names); these check that the cache never hands one request another's names, host or
values, whichever came first.
"""

from __future__ import annotations

from composio.config import Timeout
from composio.middlewares import tracing
from composio.pipeline import CallContext, Request


def _request(url: str, params: list[tuple[str, str]] | None) -> Request:
    ctx = CallContext("tools.list", Timeout(), 0.0, 0)
    return Request("GET", url, context=ctx, params=params)


def test_issue21_span_url_is_cached_per_url_and_query_names_never_values() -> None:
    base = "https://Api.Example.test:8443/api/v3.1/tools"
    first = tracing._attributes(_request(base, [("search", "secret-1"), ("limit", "5")]))
    again = tracing._attributes(_request(base, [("search", "secret-2"), ("limit", "9")]))
    other = tracing._attributes(_request(base, [("cursor", "c")]))
    bare = tracing._attributes(_request(base, None))
    assert first["url.full"] == again["url.full"] == f"{base.lower()}?search=***&limit=***"
    assert "secret" not in str(first) + str(again)
    assert other["url.full"] == f"{base.lower()}?cursor=***"
    assert bare["url.full"] == base and bare["server.address"] == "api.example.test"
    assert first["server.port"] == other["server.port"] == 8443
    elsewhere = tracing._attributes(_request("http://user:pw@h.test/p", [("search", "x")]))
    assert elsewhere["url.full"] == "http://h.test/p?search=***"
    assert elsewhere["server.port"] == 80


def test_issue21_span_url_cache_stays_bounded() -> None:
    for n in range(tracing._WHERE_SIZE + 10):
        tracing._attributes(_request(f"https://h.test/tools/{n}", [("a", "b")]))
    assert len(tracing._WHERE) <= tracing._WHERE_SIZE
