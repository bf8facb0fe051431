"""Tracing (SPEC §6) with the real OpenTelemetry SDK and the real ``requests`` instrumentation,
over loopback HTTP against ``LocalServer``."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import composio.tracing
from composio import APIConnectionError, Composio, NotFoundError, Stage
from composio.pipeline import Request
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY

TOOLS = "/api/v3/tools"
STABLE_KEYS = {
    "http.request.method",
    "url.full",
    "server.address",
    "server.port",
    "http.response.status_code",
    "composio.operation",
}


class Otel:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def composio_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if _scope(s) == "composio"]


def _scope(span: ReadableSpan) -> str | None:
    scope = span.instrumentation_scope
    return scope.name if scope is not None else None


@pytest.fixture
def otel() -> Iterator[Otel]:
    o = Otel()
    yield o
    o.provider.shutdown()


@pytest.fixture(params=["none", "RequestsInstrumentor", "instrument_http"])
def instrumentation(request: pytest.FixtureRequest, otel: Otel) -> Iterator[str]:
    """The application's own ``requests`` instrumentation, exporting to the same provider."""
    mode = request.param
    if mode == "RequestsInstrumentor":
        RequestsInstrumentor().instrument(tracer_provider=otel.provider)
    elif mode == "instrument_http":
        composio.tracing.instrument_http(tracer_provider=otel.provider)
    try:
        yield mode
    finally:
        if mode == "RequestsInstrumentor":
            RequestsInstrumentor().uninstrument()
        elif mode == "instrument_http":
            composio.tracing.uninstrument_http()


def _assert_instrumentation_live(mode: str, server: LocalServer, otel: Otel) -> None:
    """Proves the instrumentation really produces spans for a plain ``requests`` call, so the
    "no second span" assertions below could fail."""
    before = len(otel.spans())
    requests.get(server.url + "/echo", timeout=5).close()
    extra = otel.spans()[before:]
    if mode == "none":
        assert extra == []
    else:
        assert len(extra) == 1 and _scope(extra[0]) == "opentelemetry.instrumentation.requests"
    otel.exporter.clear()


@pytest.fixture
def make(driver: Driver) -> Any:
    """``_client`` on the test's driver: every tracing rule holds for both clients."""

    def make_client(server: LocalServer, otel: Otel | None, **kw: Any) -> Composio:
        kw.setdefault("allow_tracking", False)
        if otel is not None:
            kw.setdefault("tracer_provider", otel.provider)
        client: Composio = driver.client(api_key=server.api_key, base_url=server.url, **kw)
        return client

    return make_client


def _traceparent_ids(value: str) -> tuple[int, int]:
    version, trace_id, span_id, _flags = value.split("-")
    assert version == "00"
    return int(trace_id, 16), int(span_id, 16)


# -- one span per attempt ---------------------------------------------------------------------
def test_one_span_per_attempt_on_a_retried_call(
    make: Any, composio_server: LocalServer, otel: Otel, instrumentation: str
) -> None:
    _assert_instrumentation_live(instrumentation, composio_server, otel)
    client = make(composio_server, otel, max_retries=2)
    composio_server.fail_next(TOOLS, [503, 503])
    page = client.tools.list()  # 503, 503, then 200: the retries succeed
    client.close()
    assert len(page.items) > 0
    seen = composio_server.requests_to(TOOLS)
    spans = sorted(otel.spans(), key=lambda s: s.start_time or 0)
    assert len(seen) == 3
    assert len(spans) == 3, [(_scope(s), s.name) for s in spans]
    assert all(_scope(s) == "composio" for s in spans)
    assert [s.attributes.get("http.request.resend_count") for s in spans] == [None, 1, 2]
    assert [s.attributes["http.response.status_code"] for s in spans] == [503, 503, 200]
    assert [s.attributes.get("error.type") for s in spans] == ["503", "503", None]
    assert [s.status.status_code for s in spans] == [
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]
    # each attempt carried the traceparent of its own span
    for rec, span in zip(seen, spans, strict=True):
        ctx = span.get_span_context()
        assert _traceparent_ids(rec.header("traceparent") or "") == (ctx.trace_id, ctx.span_id)


def test_span_attributes_and_traceparent(
    make: Any, composio_server: LocalServer, otel: Otel, instrumentation: str
) -> None:
    _assert_instrumentation_live(instrumentation, composio_server, otel)
    client = make(composio_server, otel)
    client.request("GET", TOOLS, params={"search": "private-query-value", "limit": 2})
    client.close()

    (span,) = otel.spans()
    assert _scope(span) == "composio"
    assert span.name == "GET"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    assert set(attrs) == STABLE_KEYS  # no resend_count on a first attempt, no error.type
    assert attrs["http.request.method"] == "GET"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == composio_server.port
    assert attrs["http.response.status_code"] == 200
    assert attrs["composio.operation"] == "request"
    assert attrs["url.full"] == f"{composio_server.url}{TOOLS}?search=***&limit=***"
    assert "private-query-value" not in json.dumps(attrs)
    (rec,) = composio_server.requests_to(TOOLS)
    ctx = span.get_span_context()
    assert _traceparent_ids(rec.header("traceparent") or "") == (ctx.trace_id, ctx.span_id)


def test_span_is_a_child_of_the_application_span(
    make: Any, composio_server: LocalServer, otel: Otel
) -> None:
    client = make(composio_server, otel)
    tracer = otel.provider.get_tracer("app")
    with tracer.start_as_current_span("handle-request") as parent:
        client.tools.list()
    client.close()
    mine = otel.composio_spans()
    assert len(mine) == 1
    assert mine[0].parent is not None
    assert mine[0].parent.span_id == parent.get_span_context().span_id
    assert mine[0].context.trace_id == parent.get_span_context().trace_id


def test_connection_error_sets_error_type(otel: Otel, driver: Driver) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = driver.client(
        api_key="k",
        base_url=f"http://127.0.0.1:{port}",
        tracer_provider=otel.provider,
        allow_tracking=False,
        max_retries=0,
    )
    with pytest.raises(APIConnectionError):
        client.tools.list()
    client.close()
    (span,) = otel.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "APIConnectionError"
    assert "http.response.status_code" not in span.attributes
    assert span.status.status_code is StatusCode.ERROR
    assert span.events == ()  # no exception message recorded


# -- tracing off ------------------------------------------------------------------------------
def test_tracing_off_means_no_span_and_no_traceparent(
    make: Any, composio_server: LocalServer, otel: Otel, instrumentation: str
) -> None:
    _assert_instrumentation_live(instrumentation, composio_server, otel)
    client = make(composio_server, otel, allow_tracing=False)
    session = client.create_session(headers={"x-request-id": "r-1"})
    session.tools.list()
    client.request("GET", TOOLS)
    client.close()
    assert otel.spans() == []
    assert len(composio_server.requests_to(TOOLS)) == 2
    assert all(r.header("traceparent") is None for r in composio_server.requests_to(TOOLS))


def test_tracing_off_even_inside_an_application_span(
    make: Any, composio_server: LocalServer, otel: Otel
) -> None:
    client = make(composio_server, otel, allow_tracing=False)
    with otel.provider.get_tracer("app").start_as_current_span("outer"):
        client.tools.list()
    client.close()
    assert [s.name for s in otel.spans()] == ["outer"]
    assert composio_server.requests_to(TOOLS)[0].header("traceparent") is None


@pytest.mark.parametrize("allow_tracing", [True, False])
def test_http_instrumentation_is_suppressed_below_the_tracing_middleware(
    make: Any, composio_server: LocalServer, otel: Otel, allow_tracing: bool
) -> None:
    """Whatever an HTTP instrumentation patches below ``Session.send`` (an adapter, urllib3),
    it checks this flag before making a span; an ATTEMPT middleware after ``tracing`` sees
    what such an instrumentation would see."""
    seen: list[bool] = []

    class Probe:
        name = "probe"
        stage = Stage.ATTEMPT
        order = 50

        def on_request(self, request: Request) -> None:  # sans-I/O: runs in both chains
            seen.append(is_http_instrumentation_enabled())

    client = make(composio_server, otel, allow_tracing=allow_tracing, middlewares=[Probe()])
    client.tools.list()
    client.close()
    assert seen == [False]
    assert is_http_instrumentation_enabled()  # nothing leaked into the caller's context


# -- secrets ----------------------------------------------------------------------------------
def _secret_forms(secret: str) -> list[str]:
    return [
        secret,
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        secret[:8],
    ]


def test_no_secret_or_header_value_in_any_span(
    otel: Otel, sentinel_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ask the instrumentation to capture every header, then use the SDK's helper.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", ".*")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE", ".*")
    tenant_secret = "tenant-value-7c1e5a"
    composio.tracing.instrument_http(tracer_provider=otel.provider)
    try:
        client = Composio(
            api_key=SENTINEL_KEY,
            base_url=sentinel_server.url,
            allow_tracking=False,
            tracer_provider=otel.provider,
            default_headers={"x-tenant-token": tenant_secret},
        )
        session = client.create_session(headers={"x-user-secret": tenant_secret})
        session.tools.list(search="needle")
        sentinel_server.fail_next(TOOLS, [404])
        with pytest.raises(NotFoundError):
            session.tools.list()
        client.close()
        # The application's own call through the instrumentation, carrying the same secrets.
        requests.get(
            sentinel_server.url + "/echo",
            headers={"x-api-key": SENTINEL_KEY, "x-tenant-token": tenant_secret},
            timeout=5,
        ).close()
    finally:
        composio.tracing.uninstrument_http()

    spans = otel.spans()
    assert {_scope(s) for s in spans} == {"composio", "opentelemetry.instrumentation.requests"}
    app_span = next(s for s in spans if _scope(s) != "composio")
    assert app_span.attributes is not None
    # the instrumentation did capture headers -- with the values scrubbed
    assert app_span.attributes["http.request.header.x_api_key"] == ("[REDACTED]",)
    assert app_span.attributes["http.request.header.x_tenant_token"] == ("[REDACTED]",)
    dumped = json.dumps(
        [
            {
                "name": s.name,
                "attributes": {
                    k: list(v) if isinstance(v, tuple) else v
                    for k, v in (s.attributes or {}).items()
                },
                "events": [str(e.attributes) for e in s.events],
                "resource": dict(s.resource.attributes),
            }
            for s in spans
        ]
    )
    for form in [*_secret_forms(SENTINEL_KEY), tenant_secret]:
        assert form not in dumped


# -- robustness -------------------------------------------------------------------------------
class _BrokenTracerProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        raise RuntimeError("broken provider")


class _BrokenTracer(trace.NoOpTracer):
    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        raise RuntimeError("broken tracer")


class _BrokenSpanProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _BrokenTracer()


class _ExplodingSpan(trace.NonRecordingSpan):
    def set_attribute(self, key: str, value: Any) -> None:
        raise RuntimeError("broken span")

    def end(self, end_time: int | None = None) -> None:
        raise RuntimeError("broken span")


class _ExplodingSpanTracer(trace.NoOpTracer):
    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return _ExplodingSpan(trace.INVALID_SPAN_CONTEXT)


class _ExplodingSpanProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _ExplodingSpanTracer()


@pytest.mark.parametrize(
    "provider", [_BrokenTracerProvider(), _BrokenSpanProvider(), _ExplodingSpanProvider()]
)
def test_tracing_errors_never_break_a_request(
    composio_server: LocalServer, provider: trace.TracerProvider, driver: Driver
) -> None:
    client = driver.client(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        tracer_provider=provider,
        allow_tracking=False,
    )
    assert len(client.tools.list().items) > 0
    composio_server.fail_next(TOOLS, [404])
    with pytest.raises(Exception) as info:
        client.tools.list()
    assert type(info.value).__name__ == "NotFoundError"
    client.close()


def test_default_global_noop_provider_works_and_adds_no_traceparent(
    composio_server: LocalServer,
) -> None:
    client = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    client.tools.list()
    client.close()
    assert composio_server.requests_to(TOOLS)[0].header("traceparent") is None


# -- issue 21: no SDK behind the tracer ------------------------------------------------------
def _remote_parent() -> trace.SpanContext:
    return trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )


def _what_the_api_injects(ctx: Any) -> dict[str, str]:
    """The headers OpenTelemetry's own NoOpTracer path writes for a call made in ``ctx``: a
    non-recording child span carrying the parent's ids, injected by the global propagator."""
    span = trace.NoOpTracer().start_span("GET", context=ctx)
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span, ctx))
    return carrier


@pytest.mark.parametrize("parent", ["none", "remote", "other-provider"])
def test_issue21_no_sdk_tracer_sends_exactly_what_the_otel_api_would(
    composio_server: LocalServer, driver: Driver, otel: Otel, parent: str
) -> None:
    """Without ``tracer_provider`` and with no global SDK provider the SDK makes no span object
    (nothing would record it), but the request still carries the caller's trace context: the
    same ``traceparent`` and ``baggage`` the OpenTelemetry API's no-op tracer would inject."""
    assert type(trace.get_tracer_provider()) is trace.ProxyTracerProvider  # no SDK here
    client = driver.client(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    ctx = otel_context.get_current()
    app_span = None
    if parent == "remote":  # an incoming request's context, extracted by a framework
        ctx = trace.set_span_in_context(trace.NonRecordingSpan(_remote_parent()), ctx)
    elif parent == "other-provider":  # an SDK span of a provider that is not the global one
        app_span = otel.provider.get_tracer("app").start_span("handle")
        ctx = trace.set_span_in_context(app_span, ctx)
    ctx = baggage.set_baggage("tenant", "t-1", ctx)
    expected = _what_the_api_injects(ctx)
    token = otel_context.attach(ctx)
    try:
        client.tools.list()
        client.request("GET", TOOLS)
    finally:
        otel_context.detach(token)
        client.close()
    if app_span is not None:
        app_span.end()
    assert expected.get("baggage") == "tenant=t-1"
    assert ("traceparent" in expected) is (parent != "none")
    seen = composio_server.requests_to(TOOLS)
    assert len(seen) == 2
    for rec in seen:
        assert rec.header("traceparent") == expected.get("traceparent")
        assert rec.header("baggage") == expected["baggage"]
    if app_span is not None:
        ids = app_span.get_span_context()
        assert _traceparent_ids(expected["traceparent"]) == (ids.trace_id, ids.span_id)
    assert otel.composio_spans() == []


_LATE_PROVIDER = """
import asyncio, json, sys
from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from composio import AsyncComposio, Composio
from composio.testing import LocalServer

TOOLS = "/api/v3/tools"
async def main(server):
    kw = dict(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    sync, aclient = Composio(**kw), AsyncComposio(**kw)
    sync.request("GET", TOOLS)
    await aclient.request("GET", TOOLS)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # after both clients were built
    sync.request("GET", TOOLS)
    await aclient.request("GET", TOOLS)
    sync.close()
    await aclient.close()
    return [
        "%032x-%016x" % (s.context.trace_id, s.context.span_id)
        for s in exporter.get_finished_spans() if s.instrumentation_scope.name == "composio"
    ]

with LocalServer() as server:
    spans = asyncio.run(main(server))
    sent = [r.header("traceparent") for r in server.requests_to(TOOLS)]
    before, after = sent[:2], sent[2:]
print(json.dumps({"before": before, "after": after, "spans": spans}))
"""


def test_issue21_a_global_provider_set_after_the_client_was_built_traces_its_next_call() -> None:
    """The no-SDK shortcut is decided per attempt, not when the client is built: a global
    SDK provider the application sets later gets a span for every following attempt, whose
    ids are the ``traceparent`` sent (a fresh process: a global provider can be set once)."""
    done = subprocess.run(
        [sys.executable, "-c", _LATE_PROVIDER], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == [None, None]
    assert len(seen["spans"]) == 2
    assert [tp.split("-")[1] + "-" + tp.split("-")[2] for tp in seen["after"]] == seen["spans"]


def test_import_composio_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, composio\n"
        "bad = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "print(bad)\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the helper -------------------------------------------------------------------------------
def test_instrument_http_is_idempotent_and_uninstruments(
    composio_server: LocalServer, otel: Otel
) -> None:
    first = composio.tracing.instrument_http(tracer_provider=otel.provider)
    try:
        assert composio.tracing.instrument_http(tracer_provider=otel.provider) is first
        assert composio.tracing.is_http_instrumented()
        requests.get(composio_server.url + "/echo", timeout=5).close()
        assert len(otel.spans()) == 1
    finally:
        composio.tracing.uninstrument_http()
    assert not composio.tracing.is_http_instrumented()
    composio.tracing.uninstrument_http()  # a second call is a no-op
    requests.get(composio_server.url + "/echo", timeout=5).close()
    assert len(otel.spans()) == 1


def test_uninstrument_http_leaves_the_applications_own_instrumentation(otel: Otel) -> None:
    RequestsInstrumentor().instrument(tracer_provider=otel.provider)
    try:
        composio.tracing.instrument_http()  # already instrumented: no-op
        composio.tracing.uninstrument_http()
        assert composio.tracing.is_http_instrumented()
    finally:
        RequestsInstrumentor().uninstrument()
