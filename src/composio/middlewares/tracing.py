"""The ``tracing`` slot (SPEC §6): one OpenTelemetry CLIENT span per physical attempt.

Why it sits at the ATTEMPT stage: a retried operation is several HTTP requests, and the HTTP
semantic conventions want one span per request (``http.request.resend_count`` numbers them).

Why HTTP instrumentation is suppressed around the transport call, traced or not: the
transport calls ``HTTPAdapter.send`` directly, which the ``requests`` instrumentation (it
wraps ``Session.send``) never sees -- but an older or newer instrumentation, or the
``urllib3`` one, may wrap something below it. Setting OpenTelemetry's "suppress HTTP
instrumentation" context key for the duration of the attempt makes every well-behaved HTTP
instrumentation stand down, so the SDK's span is the only one, and ``allow_tracing=False``
means no span at all, whatever is patched.

OpenTelemetry is imported when a client with tracing on is built, never by
``import composio``. Nothing is installed or patched globally. A failure anywhere in the
tracing code is logged at DEBUG and the request goes on untraced.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from composio._redact import redact_url
from composio._version import __version__
from composio._wire import full_url
from composio.config import ClientConfig
from composio.pipeline import AsyncCallNext, CallNext, Request, Response, Stage

__all__ = ["TracingMiddleware"]

logger = logging.getLogger("composio")
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _suppress_key(context_module: Any) -> Any:
    """OpenTelemetry's (private, but shared by every HTTP instrumentation) suppression key."""
    return getattr(context_module, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None)


class TracingMiddleware:
    name = "tracing"
    stage = Stage.ATTEMPT
    order = 0

    def __init__(self, config: ClientConfig) -> None:
        self._enabled = False
        self._tracer: Any = None
        self._otel: Any = None
        #: the API's ``NoOpTracer`` this tracer delegates to right now, or None (``_idle``)
        self._idle: Callable[[], Any] = _never
        if config.allow_tracing:
            try:
                self._setup(config.tracer_provider)
                self._enabled = True
            except Exception as exc:  # tracing must never break a client
                logger.debug("composio: tracing disabled, setup failed (%s)", type(exc).__name__)

    def _setup(self, tracer_provider: Any) -> None:
        from opentelemetry import context, propagate, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self._tracer = trace.get_tracer(
            "composio", __version__, tracer_provider=tracer_provider, schema_url=_SCHEMA_URL
        )
        self._idle = _idle_probe(self._tracer, trace)
        self._otel = _Otel(
            context,
            propagate.inject,
            trace.set_span_in_context,
            trace.get_current_span,
            trace.NonRecordingSpan,
            SpanKind.CLIENT,
            Status,
            StatusCode,
        )

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        if not self._enabled:
            return _untraced(request, call_next)
        started = self._start(request)
        if started is None:
            return _untraced(request, call_next)
        span, token = started
        try:
            response = call_next(request)
        except BaseException as exc:
            _detach(self._otel, token)
            if span is not None:
                self._finish_error(span, type(exc).__name__)
            raise
        _detach(self._otel, token)
        if span is not None:
            self._finish_response(span, response.status_code)
        return response

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        """The same span around an awaited attempt. OpenTelemetry's context lives in a
        ``contextvars`` variable, which follows the task across its awaits, so the span is
        the current one for everything the attempt awaits, and only for this task."""
        if not self._enabled:
            return await _auntraced(request, call_next)
        started = self._start(request)
        if started is None:
            return await _auntraced(request, call_next)
        span, token = started
        try:
            response = await call_next(request)
        except BaseException as exc:
            _detach(self._otel, token)
            if span is not None:
                self._finish_error(span, type(exc).__name__)
            raise
        _detach(self._otel, token)
        if span is not None:
            self._finish_response(span, response.status_code)
        return response

    # -- traced --------------------------------------------------------------------------
    def _start(self, request: Request) -> tuple[Any, Any] | None:
        """Start the attempt's span, inject ``traceparent``, attach its context (with HTTP
        instrumentation suppressed). None if any of it failed: the attempt goes untraced."""
        otel = self._otel
        span: Any = None
        token: Any = None
        try:
            idle = self._idle()
            if idle is not None:
                # No SDK behind the tracer: its span records nothing, so none of its
                # attributes are computed and it is not finished (a no-op); what it still
                # does -- carry the caller's trace ids into ``traceparent`` -- happens below.
                if isinstance(otel.get_current_span(), otel.non_recording):
                    ctx = otel.context.get_current()  # what ``idle.start_span`` returns anyway
                else:  # another provider's span: a non-recording child with its ids
                    ctx = otel.set_span_in_context(idle.start_span(request.method))
            else:
                span = self._tracer.start_span(
                    request.method, kind=otel.client, attributes=_attributes(request)
                )
                ctx = otel.set_span_in_context(span)
            otel.inject(request.headers, context=ctx)
            key = otel.suppress_key
            if key is not None:
                ctx = otel.context.set_value(key, True, ctx)
            token = otel.context.attach(ctx)
        except Exception as exc:
            logger.debug("composio: span not started (%s)", type(exc).__name__)
            _end(span)
            if token is not None:
                _detach(otel, token)
            return None
        return span, token

    def _finish_response(self, span: Any, status: int) -> None:
        try:
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_attribute("error.type", str(status))
                span.set_status(self._otel.status(self._otel.error))
        except Exception as exc:
            logger.debug("composio: span attributes not set (%s)", type(exc).__name__)
        _end(span)

    def _finish_error(self, span: Any, error_type: str) -> None:
        # Only the class name: an exception's message (ours are redacted, a plugin's may not
        # be) never goes into a span.
        try:
            span.set_attribute("error.type", error_type)
            span.set_status(self._otel.status(self._otel.error))
        except Exception as exc:
            logger.debug("composio: span attributes not set (%s)", type(exc).__name__)
        _end(span)


class _Otel:
    """The OpenTelemetry names one traced attempt needs, resolved once per build."""

    __slots__ = (
        "client",
        "context",
        "error",
        "get_current_span",
        "inject",
        "non_recording",
        "set_span_in_context",
        "status",
        "suppress_key",
    )

    def __init__(
        self,
        context: Any,
        inject: Any,
        set_span_in_context: Any,
        get_current_span: Any,
        non_recording: Any,
        client: Any,
        status: Any,
        status_code: Any,
    ) -> None:
        self.context = context
        self.inject = inject
        self.set_span_in_context = set_span_in_context
        self.get_current_span = get_current_span
        self.non_recording = non_recording
        self.client = client
        self.status = status
        self.error = status_code.ERROR
        self.suppress_key = _suppress_key(context)


def _never() -> None:
    return None


def _idle_probe(tracer: Any, trace: Any) -> Callable[[], Any]:
    """How ``_start`` asks, per attempt, whether ``tracer`` records anything: a function
    returning the OpenTelemetry API's own ``NoOpTracer`` it delegates to right now, else None.

    Per attempt, not once: without ``tracer_provider=`` the tracer is the API's
    ``ProxyTracer``, which answers with a ``NoOpTracer`` until the application sets a global
    provider, maybe after this client was built, and with the real one from then on. Only
    the API's own classes qualify (exact types): a subclass, a plugin's tracer or an SDK
    tracer goes the ordinary way, whatever it does."""
    noop = trace.NoOpTracer
    if type(tracer) is noop:
        return lambda: tracer
    if type(tracer) is trace.ProxyTracer and isinstance(
        getattr(type(tracer), "_tracer", None), property
    ):

        def delegate() -> Any:
            current = tracer._tracer
            return current if type(current) is noop else None

        return delegate
    return _never


def _attributes(request: Request) -> dict[str, Any]:
    """Stable HTTP client span attributes; the URL's query values are redacted, no headers."""
    params, url = request.params, request.url
    if "?" in url or "#" in url or "@" in url:  # values of its own: never kept (see _WHERE)
        where = _where(url, params)
    else:
        key = (url, tuple([name for name, _ in params]) if params else ())
        cached = _WHERE.get(key)
        if cached is None:
            cached = _where(url, params)
            if len(_WHERE) >= _WHERE_SIZE:
                _WHERE.clear()
            _WHERE[key] = cached
        where = cached
    url, host, port = where
    attributes: dict[str, Any] = {
        "http.request.method": request.method,
        "url.full": url,
        "server.address": host,
        "server.port": port,
        "composio.operation": request.context.operation,
    }
    attempt = request.context.attempt
    if attempt >= 1:
        attributes["http.request.resend_count"] = attempt
    return attributes


def _where(url: str, params: Any) -> tuple[str, str, int]:
    """(redacted full URL, host, port) of a request: what its span says about where it went."""
    url = full_url(url, params)  # as the wire sends it: a path's own query joined
    parts = urlsplit(url)
    if parts.query or parts.fragment or "@" in parts.netloc:
        url = redact_url(url)
    return url, parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)


#: ``_where`` per (URL, query parameter names): the redacted URL keeps the names only (every
#: value is replaced), so one answer serves every call of an operation whatever its values.
#: A URL with a query, fragment or userinfo of its own (``client.request("GET", "/p?t=..")``)
#: is never a key: its values, perhaps a capability, would outlive the call in this dict;
#: parsing and redacting the URL again per attempt cost more than the rest of the span's
#: attributes. Bounded: cleared when full (a path with an id in it is a new entry).
_WHERE: dict[tuple[str, tuple[str, ...]], tuple[str, str, int]] = {}
_WHERE_SIZE = 512


def _suppressing() -> tuple[Any, Any] | None:
    """Attach "suppress HTTP instrumentation" if OpenTelemetry is loaded at all: (context
    module, token), or None. If the application never imported OpenTelemetry, no
    instrumentation can be active, so the check is one dict lookup."""
    context = sys.modules.get("opentelemetry.context")
    key = _suppress_key(context) if context is not None else None
    if key is None:
        return None
    try:
        return context, context.attach(context.set_value(key, True))  # type: ignore[union-attr]
    except Exception:
        return None


def _unsuppress(attached: tuple[Any, Any]) -> None:
    context, token = attached
    with contextlib.suppress(Exception):
        context.detach(token)


def _untraced(request: Request, call_next: CallNext) -> Response:
    """Send with HTTP instrumentation suppressed (no span from anything below)."""
    attached = _suppressing()
    if attached is None:
        return call_next(request)
    try:
        return call_next(request)
    finally:
        _unsuppress(attached)


async def _auntraced(request: Request, call_next: AsyncCallNext) -> Response:
    attached = _suppressing()
    if attached is None:
        return await call_next(request)
    try:
        return await call_next(request)
    finally:
        _unsuppress(attached)


def _detach(otel: _Otel, token: Any) -> None:
    try:
        otel.context.detach(token)
    except Exception as exc:
        logger.debug("composio: tracing context not detached (%s)", type(exc).__name__)


def _end(span: Any) -> None:
    if span is None:
        return
    try:
        span.end()
    except Exception as exc:
        logger.debug("composio: span not ended (%s)", type(exc).__name__)
