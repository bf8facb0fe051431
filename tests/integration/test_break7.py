"""Break round 7 on issue 21's chain and page work: each test states a rule the performance
changes must keep, checked against the real libraries (OpenTelemetry API/SDK) over loopback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.sdk.trace import TracerProvider

from composio import Stage, ValidationError
from composio.pipeline import Request, RequestPolicy
from composio.testing import LocalServer
from tests._drivers import Driver

TOOLS = "/api/v3/tools"


class _NoOpTracerOfOurOwn(trace.NoOpTracer):
    """The API's no-op tracer under another class: the SDK's shortcut (exact types only) does
    not apply, so the ordinary ``start_span`` path runs -- OpenTelemetry's own answer."""


class _NoOpProviderOfOurOwn(trace.NoOpTracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _NoOpTracerOfOurOwn()


class _SeesTheSpan(RequestPolicy):
    """A plugin's policy inside the attempt: what it sees of the current OpenTelemetry context."""

    name = "test-break7-sees-span"
    stage = Stage.ATTEMPT
    order = 50

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def on_request(self, request: Request) -> None:
        span = trace.get_current_span()
        ids = span.get_span_context()
        self.seen.append(
            (
                ids.trace_id,
                ids.span_id,
                ids.is_valid,
                span.is_recording(),
                dict(baggage.get_all()),
                is_http_instrumentation_enabled(),
            )
        )


def _parent(kind: str, other: TracerProvider) -> tuple[Any, Any]:
    ctx = otel_context.get_current()
    span = None
    if kind == "remote":
        remote = trace.SpanContext(
            trace_id=0x0AF7651916CD43DD8448EB211C80319C,
            span_id=0xB7AD6B7169203331,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
        )
        ctx = trace.set_span_in_context(trace.NonRecordingSpan(remote), ctx)
    elif kind == "other-provider":
        span = other.get_tracer("app").start_span("handle")
        ctx = trace.set_span_in_context(span, ctx)
    if kind != "none":
        ctx = baggage.set_baggage("tenant", "t-7", ctx)
    return ctx, span


@pytest.mark.parametrize("parent", ["none", "remote", "other-provider"])
@pytest.mark.parametrize("allow_tracing", [True, False])
def test_break7_no_sdk_shortcut_sends_and_shows_what_the_ordinary_path_does(
    driver: Driver, parent: str, allow_tracing: bool
) -> None:
    """The no-SDK shortcut against OpenTelemetry's own no-op path (a ``NoOpTracer`` subclass,
    which the shortcut leaves alone): the same ``traceparent``/``baggage`` on the wire, and a
    plugin policy inside the attempt sees the same current span, baggage and suppression."""
    assert type(trace.get_tracer_provider()) is trace.ProxyTracerProvider  # no SDK here
    other = TracerProvider()
    with LocalServer() as server:
        kw = dict(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        short, plain = _SeesTheSpan(), _SeesTheSpan()
        clients = [
            driver.client(**kw, allow_tracing=allow_tracing, middlewares=[short]),
            driver.client(
                **kw,
                allow_tracing=allow_tracing,
                middlewares=[plain],
                tracer_provider=_NoOpProviderOfOurOwn(),
            ),
        ]
        ctx, span = _parent(parent, other)
        token = otel_context.attach(ctx)
        try:
            for client in clients:
                client.tools.list()
                client.request("GET", TOOLS)
        finally:
            otel_context.detach(token)
        if span is not None:
            span.end()
        sent = [(r.header("traceparent"), r.header("baggage")) for r in server.requests_to(TOOLS)]
    other.shutdown()
    assert len(sent) == 4
    assert sent[:2] == sent[2:]
    assert (sent[0][0] is not None) is (allow_tracing and parent != "none")
    assert short.seen == plain.seen and len(short.seen) == 2
    assert short.seen[0][5] is False  # HTTP instrumentation suppressed inside the attempt


class _WritesHost(RequestPolicy):
    """What composio-request-signing does for ``signed_headers=["host"]`` (issue 16 item 9):
    write the ``Host`` the HTTP library would send, so that the value signed is the one sent."""

    name = "test-break7-writes-host"
    stage = Stage.ATTEMPT
    order = 500

    def __init__(self, value: str | None = None) -> None:
        self.value = value

    def on_request(self, request: Request) -> None:
        own = urlsplit(request.url).netloc  # loopback: "127.0.0.1:<port>", as sent
        request.headers["Host"] = own if self.value is None else self.value


def test_break7_a_middlewares_host_naming_the_requests_own_host_is_sent(driver: Driver) -> None:
    """issue 21 refused every middleware's ``Host``, which broke the first-party request
    signing plugin's signed ``host`` on both clients (its own tests failed). A ``Host`` that
    names the request's own host is what the transport writes anyway: it goes through, once;
    any other value is still refused (``test_issue21_a_middlewares_framing_header_...``)."""
    with LocalServer() as server:
        client = driver.client(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            middlewares=[_WritesHost()],
        )
        own = urlsplit(server.url).netloc
        for _ in range(2):  # the second call borrows the connection on the async client
            assert client.request("POST", "/echo", json={"a": 1}).json()["headers"]["host"] == own
            assert client.request("GET", "/echo").json()["headers"]["host"] == own
        raw = [r.header("host") for r in server.requests_to("/echo")]
        assert raw == [own] * 4


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1", "127.0.0.1:1", "EVIL:80"])
def test_break7_a_middlewares_host_naming_another_host_is_still_refused(
    driver: Driver, host: str
) -> None:
    with LocalServer() as server:
        client = driver.client(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            middlewares=[_WritesHost(host)],
        )
        with pytest.raises(ValidationError, match="Host"):
            client.request("GET", "/echo")
        assert server.requests_to("/echo") == []
