"""SPEC §13 "no HTTP-instrumentation double spans" on the async client, with the real
``opentelemetry-instrumentation-aiohttp-client`` active and the real OpenTelemetry SDK.

``AioHttpClientInstrumentor().instrument()`` wraps ``aiohttp.ClientSession.__init__`` and adds
its trace config to every session made afterwards, the SDK's pool included; it must not add a
second CLIENT span per attempt, and with ``allow_tracing=False`` no span at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from composio import AsyncComposio
from composio.testing import LocalServer

TOOLS = "/api/v3/tools"
AIOHTTP_SCOPE = "opentelemetry.instrumentation.aiohttp_client"


class _Otel:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def spans(self) -> list[ReadableSpan]:
        return sorted(self.exporter.get_finished_spans(), key=lambda s: s.start_time or 0)


def _scope(span: ReadableSpan) -> str | None:
    return span.instrumentation_scope.name if span.instrumentation_scope is not None else None


@pytest.fixture
def otel() -> Iterator[_Otel]:
    o = _Otel()
    AioHttpClientInstrumentor().instrument(tracer_provider=o.provider)
    try:
        yield o
    finally:
        AioHttpClientInstrumentor().uninstrument()
        o.provider.shutdown()


async def _assert_instrumentation_live(server: LocalServer, otel: _Otel) -> None:
    """A plain aiohttp call gets the instrumentation's span: the assertions below could fail."""
    async with aiohttp.ClientSession() as plain, plain.get(server.url + "/echo") as resp:
        await resp.read()
    spans = otel.spans()
    assert [(_scope(s), s.kind) for s in spans] == [(AIOHTTP_SCOPE, SpanKind.CLIENT)]
    otel.exporter.clear()


def _client(server: LocalServer, otel: _Otel, **kw: Any) -> AsyncComposio:
    return AsyncComposio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        tracer_provider=otel.provider,
        **kw,
    )


@pytest.mark.asyncio
async def test_one_client_span_per_attempt_with_aiohttp_instrumentation_active(
    composio_server: LocalServer, otel: _Otel
) -> None:
    await _assert_instrumentation_live(composio_server, otel)
    composio_server.fail_next(TOOLS, [503, 503])
    async with _client(composio_server, otel, max_retries=2) as client:
        page = await client.tools.list()  # 503, 503, 200: three attempts
        await client.create_session(headers={"x-user-id": "a"}).tools.list()  # a fourth
    assert len(page.items) > 0
    assert len(composio_server.requests_to(TOOLS)) == 4
    spans = otel.spans()
    assert [(_scope(s), s.kind) for s in spans] == [("composio", SpanKind.CLIENT)] * 4, [
        (_scope(s), s.name) for s in spans
    ]
    assert [s.attributes.get("http.request.resend_count") for s in spans] == [None, 1, 2, None]
    # the traceparent each attempt sent is its own composio span: nothing was nested below it
    sent = [r.header("traceparent") for r in composio_server.requests_to(TOOLS)]
    assert [int(tp.split("-")[2], 16) for tp in sent if tp] == [
        s.context.span_id for s in spans if s.context is not None
    ]


@pytest.mark.asyncio
async def test_no_span_at_all_with_tracing_off_and_aiohttp_instrumentation_active(
    composio_server: LocalServer, otel: _Otel
) -> None:
    await _assert_instrumentation_live(composio_server, otel)
    composio_server.fail_next(TOOLS, [503])
    async with _client(composio_server, otel, allow_tracing=False, max_retries=1) as client:
        await client.tools.list()
        await client.request("GET", TOOLS)
    assert len(composio_server.requests_to(TOOLS)) == 3
    assert otel.spans() == []
    assert [r.header("traceparent") for r in composio_server.requests_to(TOOLS)] == [None] * 3
