"""The middleware pipeline (SPEC §3): the request/response types and the chain.

A chain is sorted by ``(stage, order, name)`` and composed into nested callables once, when a
client is built. A request then runs through plain function calls: nothing is looked up,
sorted or allocated per request beyond the request itself.

Middlewares are shared by every thread and every session of a client, so they keep no
per-request state on ``self``; per-call data lives in :class:`CallContext` (``state`` survives
retries, ``attempt`` counts them).
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from composio.headers import Headers, Layer

if TYPE_CHECKING:
    import requests

    from composio.config import Timeout

__all__ = [
    "CallContext",
    "CallNext",
    "Middleware",
    "Request",
    "Response",
    "Stage",
    "compose",
    "sort_chain",
]


class Stage(IntEnum):
    """Where a middleware sits, outermost first."""

    CALL = 0  #: once per SDK operation
    RETRY = 1  #: wraps the attempts
    ATTEMPT = 2  #: once per physical attempt, just before the transport


class CallContext:
    """Per-operation data shared by every attempt of one call (mutable: ``attempt``, ``state``)."""

    __slots__ = (
        "attempt",
        "call_layer",
        "deadline",
        "max_retries",
        "operation",
        "session_layer",
        "state",
        "timeout",
    )

    def __init__(
        self,
        operation: str,
        timeout: Timeout,
        deadline: float,
        max_retries: int,
        session_layer: Layer | None = None,
        call_layer: Layer | None = None,
        attempt: int = 0,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.operation = operation
        self.timeout = timeout
        #: ``time.monotonic()`` value after which no attempt may run
        self.deadline = deadline
        self.max_retries = max_retries
        self.session_layer: Layer = session_layer if session_layer is not None else {}
        self.call_layer: Layer = call_layer if call_layer is not None else {}
        #: 0 for the first attempt, n for the n-th retry
        self.attempt = attempt
        #: survives retries: a middleware's per-call scratch space
        self.state: dict[str, Any] = state if state is not None else {}

    def __repr__(self) -> str:
        return (
            f"CallContext(operation={self.operation!r}, attempt={self.attempt}, "
            f"max_retries={self.max_retries}, timeout={self.timeout!r})"
        )


class Request:
    """One outgoing call. ``headers`` belongs to this call alone and may be changed freely."""

    __slots__ = ("context", "headers", "json", "method", "params", "url")

    def __init__(
        self,
        method: str,
        url: str,
        *,
        context: CallContext,
        params: Sequence[tuple[str, str]] | None = None,
        json: object = None,
        headers: Headers | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.json = json
        self.headers = headers if headers is not None else Headers()
        self.context = context

    def __repr__(self) -> str:
        from composio._redact import redact_url

        return f"<Request {self.method} {redact_url(self.url)} op={self.context.operation}>"


_UNSET: Any = object()


class Response:
    """A received response whose body has been read in full."""

    __slots__ = ("_json", "content", "elapsed", "headers", "request", "requests_response")

    def __init__(
        self,
        request: Request,
        requests_response: requests.Response,
        content: bytes,
        elapsed: float,
    ) -> None:
        self.request = request
        self.requests_response = requests_response
        self.headers: Mapping[str, str] = requests_response.headers
        self.content = content
        self.elapsed = elapsed
        self._json: Any = _UNSET

    @property
    def status_code(self) -> int:
        return int(self.requests_response.status_code)

    @property
    def status(self) -> int:
        return self.status_code

    @property
    def request_id(self) -> str | None:
        """The server's request id, else the one this call sent."""
        return self.headers.get("x-request-id") or self.request.headers.get("x-request-id")

    @property
    def text(self) -> str:
        return self.content.decode(self.requests_response.encoding or "utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (cached); raises ``ValueError`` if it is not JSON."""
        if self._json is _UNSET:
            self._json = _json.loads(self.content)
        return self._json

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}] {self.request.context.operation}>"


CallNext: TypeAlias = Callable[[Request], Response]


@runtime_checkable
class Middleware(Protocol):
    """A step of the chain.

    ``__call__`` may change the request, call ``call_next`` zero, one or many times, and
    inspect or replace the response. An optional ``order: int`` (default 0) sorts within a
    stage; ties break on ``name``.
    """

    name: str
    stage: Stage

    def __call__(self, request: Request, call_next: CallNext) -> Response: ...


def _key(mw: Middleware) -> tuple[int, int, str]:
    return (int(mw.stage), int(getattr(mw, "order", 0)), mw.name)


def sort_chain(middlewares: Sequence[Middleware]) -> tuple[Middleware, ...]:
    return tuple(sorted(middlewares, key=_key))


def compose(chain: Sequence[Middleware], transport: CallNext) -> CallNext:
    """Nest ``chain`` (already sorted, outermost first) around ``transport``."""
    handler = transport
    for mw in reversed(chain):
        handler = _link(mw, handler)
    return handler


def _link(mw: Middleware, call_next: CallNext) -> CallNext:
    def handler(request: Request) -> Response:
        return mw(request, call_next)

    handler.__qualname__ = f"chain[{mw.name}]"
    return handler
