"""Opt-in helper for applications that want ``requests`` instrumented too (SPEC §6).

The SDK traces its own calls and never instruments ``requests`` for the application. An
application that wants spans for its *other* HTTP calls can use :func:`instrument_http`
instead of ``RequestsInstrumentor().instrument()``: same instrumentation, but header values
outside the SDK's allow-list (``x-api-key``, ``Authorization``, cookies, session/tenant
headers, ...) are replaced by ``[REDACTED]`` even when ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_
HEADERS_CLIENT_REQUEST``/``_RESPONSE`` ask for them to be captured. Composio's own requests
never get a span from it either way: the SDK sends them below ``Session.send`` and with HTTP
instrumentation suppressed.

Nothing here runs at ``import composio``; OpenTelemetry is imported when a function is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from composio._fork import module_lock
from composio._redact import SHOWN_HEADER_VALUES

__all__ = ["instrument_http", "is_http_instrumented", "uninstrument_http"]

REDACTED = "[REDACTED]"
_PREFIXES = ("http.request.header.", "http.response.header.")
#: Attribute-name spelling of the allow-list (the instrumentation lower-cases, ``-`` -> ``_``).
_SHOWN = frozenset(name.replace("-", "_") for name in SHOWN_HEADER_VALUES)
_lock = module_lock("composio.tracing")
_ours = False


def _scrub(span: Any) -> None:
    """Overwrite every captured header attribute whose header is not allow-listed."""
    attributes = getattr(span, "attributes", None)
    if not attributes:
        return
    for key in list(attributes):
        for prefix in _PREFIXES:
            if key.startswith(prefix) and key[len(prefix) :] not in _SHOWN:
                span.set_attribute(key, [REDACTED])


def _chain(user_hook: Callable[..., Any] | None) -> Callable[..., None]:
    def hook(span: Any, *args: Any) -> None:
        try:
            if user_hook is not None:
                user_hook(span, *args)
        finally:
            _scrub(span)

    return hook


def instrument_http(
    tracer_provider: Any = None,
    *,
    excluded_urls: str | None = None,
    request_hook: Callable[..., Any] | None = None,
    response_hook: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Turn on ``opentelemetry-instrumentation-requests`` with header scrubbing.

    Idempotent: if ``requests`` is already instrumented (by this helper or by the
    application), nothing changes and the instrumentor is returned. ``request_hook`` and
    ``response_hook`` run before the scrubbing; ``excluded_urls`` and other keywords are passed
    to ``RequestsInstrumentor().instrument``. Undo with :func:`uninstrument_http`.
    """
    global _ours
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    instrumentor = RequestsInstrumentor()
    with _lock:
        if instrumentor.is_instrumented_by_opentelemetry:
            return instrumentor
        options: dict[str, Any] = dict(kwargs)
        if tracer_provider is not None:
            options["tracer_provider"] = tracer_provider
        if excluded_urls is not None:
            options["excluded_urls"] = excluded_urls
        options["request_hook"] = _chain(request_hook)
        options["response_hook"] = _chain(response_hook)
        instrumentor.instrument(**options)
        _ours = True
        return instrumentor


def is_http_instrumented() -> bool:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    return bool(RequestsInstrumentor().is_instrumented_by_opentelemetry)


def uninstrument_http() -> None:
    """Undo :func:`instrument_http`; leaves an instrumentation the application made alone."""
    global _ours
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    with _lock:
        if not _ours:
            return
        _ours = False
        instrumentor = RequestsInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
