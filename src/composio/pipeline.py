"""The middleware pipeline (SPEC §3): the request/response types and the chain.

A chain is sorted by ``(stage, order, name)`` and composed into nested callables once, when a
client is built. A request then runs through plain function calls: nothing is looked up,
sorted or allocated per request beyond the request itself.

Middlewares are shared by every thread and every session of a client, so they keep no
per-request state on ``self``; per-call data lives in :class:`CallContext` (``state`` survives
retries, ``attempt`` counts them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from composio._json_read import read_json
from composio._redact import redact_url, scrub
from composio.headers import Headers, Layer

if TYPE_CHECKING:
    import requests

    from composio._external import FileBody, FileSink
    from composio.config import Timeout

__all__ = [
    "AsyncCallNext",
    "CallContext",
    "CallNext",
    "Middleware",
    "Request",
    "RequestPolicy",
    "Response",
    "Stage",
    "acompose",
    "compose",
    "is_policy",
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
        "tool",
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
        tool: str | None = None,
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
        #: the slug of the tool this request executes, on every tool execution whatever the
        #: operation (``tools.execute``, ``tools.handle_tool_calls``, ``tool_router.execute``
        #: ...; custom tools run locally too); ``None`` on every other request, the toolkit
        #: lookups a tool execution makes included. How a plugin recognises a tool execution
        #: without knowing operation names (docs/middleware.md).
        self.tool = tool

    def __repr__(self) -> str:
        return (
            f"CallContext(operation={self.operation!r}, attempt={self.attempt}, "
            f"max_retries={self.max_retries}, timeout={self.timeout!r})"
        )


class Request:
    """One outgoing call. ``headers`` belongs to this call alone and may be changed freely."""

    __slots__ = ("content", "context", "headers", "json", "method", "params", "sink", "url")

    def __init__(
        self,
        method: str,
        url: str,
        *,
        context: CallContext,
        params: Sequence[tuple[str, str]] | None = None,
        json: object = None,
        headers: Headers | None = None,
        content: bytes | FileBody | None = None,
        sink: FileSink | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.json = json
        #: a raw body (``files.upload``'s PUT; a file streamed from disk, ``composio._external``);
        #: when set, ``json`` is not used
        self.content = content
        #: where a 2xx answer's body goes instead of memory (a download streamed to disk,
        #: ``composio._external.FileSink``); only requests to other origins have one
        self.sink = sink
        self.headers = headers if headers is not None else Headers()
        self.context = context

    def __repr__(self) -> str:
        return f"<Request {self.method} {redact_url(self.url)} op={self.context.operation}>"


_UNSET: Any = object()


class Response:
    """A received response whose body has been read in full.

    ``raw`` is the library's own response object: a ``requests.Response`` from the sync
    transport (also reachable as ``requests_response``, SPEC §3); from the async one, an
    ``aiohttp.ClientResponse`` (already released), or a ``composio._async_wire.Reply`` where
    the call borrowed an idle pooled connection (its fast exchange). Status and headers are
    copied out of it once, so everything above the transport reads the same two attributes
    whichever library answered.
    """

    __slots__ = (
        "_json",
        "_make_raw",
        "_raw",
        "content",
        "elapsed",
        "headers",
        "request",
        "status_code",
    )

    def __init__(
        self,
        request: Request,
        raw: Any,
        content: bytes,
        elapsed: float,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        make_raw: Callable[[], Any] | None = None,
    ) -> None:
        self.request = request
        self._raw = raw
        #: builds ``raw`` on first access (the sync transport: most calls never look at the
        #: ``requests.Response``, and building one costs more than parsing a small page)
        self._make_raw = make_raw
        self.status_code: int = int(raw.status_code) if status_code is None else status_code
        self.headers: Mapping[str, str] = raw.headers if headers is None else headers
        self.content = content
        self.elapsed = elapsed
        self._json: Any = _UNSET

    @property
    def raw(self) -> Any:
        """The library's own response object (built on first access where it is lazy)."""
        make = self._make_raw
        if make is not None:
            self._raw, self._make_raw = make(), None
        return self._raw

    @property
    def requests_response(self) -> requests.Response:
        """The underlying ``requests.Response`` (sync client); the raw response otherwise."""
        return self.raw  # type: ignore[no-any-return]

    @property
    def status(self) -> int:
        return self.status_code

    @property
    def request_id(self) -> str | None:
        """The server's request id, else the one this call sent.

        The one place a response's request id is read (models' ``_request_id``,
        ``RawResponse``, errors, the DEBUG line): a server's own id is the server's text, and
        a server or proxy may echo a secret request header into it, so it is scrubbed
        (SPEC §12.5) -- unless it is the id this call sent, the common case, which costs
        nothing."""
        sent = self.request.headers.get("x-request-id")
        got = self.headers.get("x-request-id")
        if not got or got == sent:
            return got or sent
        return scrub(got, self.request.headers)

    @property
    def text(self) -> str:
        encoding = getattr(self.raw, "encoding", None)
        if not isinstance(encoding, str):
            encoding = _charset(self.headers.get("content-type"))
        return self.content.decode(encoding or "utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (cached); raises ``ValueError`` if it is not JSON."""
        if self._json is _UNSET:
            self._json = read_json(self.content)
        return self._json

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}] {self.request.context.operation}>"


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return None


CallNext: TypeAlias = Callable[[Request], Response]
AsyncCallNext: TypeAlias = Callable[[Request], Awaitable[Response]]


@runtime_checkable
class Middleware(Protocol):
    """A step of the chain.

    ``__call__`` may change the request, call ``call_next`` zero, one or many times, and
    inspect or replace the response. An optional ``order: int`` (default 0) sorts within a
    stage; ties break on ``name``.

    Two other shapes serve the async client too (SPEC §13): a middleware that only edits the
    request or inspects the response declares ``on_request(request)`` and/or
    ``on_response(response)`` (no I/O, so both chains run it), and one that must wrap an
    awaited call provides ``async def acall(request, call_next)``. Where ``on_request`` /
    ``on_response`` are declared, both chains use them, whatever else the object has.
    """

    name: str
    stage: Stage

    def __call__(self, request: Request, call_next: CallNext) -> Response: ...


class RequestPolicy:
    """Base of a middleware that only edits the request (``on_request``): sans-I/O, so the
    sync and the async chain both run it, fused with its neighbours into one link.

    ``__call__`` and ``acall`` are here only so that such a middleware also works where a
    classic one is expected (called directly, or by a chain of another framework).
    """

    __slots__ = ()

    def on_request(self, request: Request) -> None:
        raise NotImplementedError

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        self.on_request(request)
        return call_next(request)

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        self.on_request(request)
        return await call_next(request)


def _key(mw: Middleware) -> tuple[int, int, str]:
    return (int(mw.stage), int(getattr(mw, "order", 0)), mw.name)


def sort_chain(middlewares: Sequence[Middleware]) -> tuple[Middleware, ...]:
    return tuple(sorted(middlewares, key=_key))


def is_policy(mw: object) -> bool:
    """True for a sans-I/O middleware (``on_request``/``on_response``): it runs in both chains."""
    return callable(getattr(mw, "on_request", None)) or callable(getattr(mw, "on_response", None))


def _policy_parts(mw: object) -> tuple[Any, Any]:
    on_request = getattr(mw, "on_request", None)
    on_response = getattr(mw, "on_response", None)
    return (
        on_request if callable(on_request) else None,
        on_response if callable(on_response) else None,
    )


class _Fused:
    """Adjacent policies run as one link: their ``on_request`` functions in chain order, then
    the inner chain, then the last one's ``on_response`` (only the last may have one)."""

    __slots__ = ("after", "befores", "names")

    def __init__(
        self,
        names: tuple[str, ...],
        befores: tuple[Callable[[Request], None], ...],
        after: Callable[[Response], Response | None] | None,
    ) -> None:
        self.names = names
        self.befores = befores
        self.after = after


def _runs(chain: Sequence[Middleware]) -> list[Middleware | _Fused]:
    """The chain as links, outermost first. Adjacent policies without ``on_response`` fuse
    into one link: one loop over their ``on_request`` functions instead of one nested call
    each (the five header middlewares cost a single frame)."""
    links: list[Middleware | _Fused] = []
    for mw in chain:
        if not is_policy(mw):
            links.append(mw)
            continue
        before, after = _policy_parts(mw)
        mine = (before,) if before else ()
        prev = links[-1] if links else None
        if isinstance(prev, _Fused) and prev.after is None:
            links[-1] = _Fused((*prev.names, mw.name), prev.befores + mine, after)
        else:
            links.append(_Fused((mw.name,), mine, after))
    return links


def compose(chain: Sequence[Middleware], transport: CallNext) -> CallNext:
    """Nest ``chain`` (already sorted, outermost first) around ``transport``."""
    handler = transport
    for link in reversed(_runs(chain)):
        handler = _policy_link(link, handler) if isinstance(link, _Fused) else _link(link, handler)
    return handler


def _link(mw: Middleware, call_next: CallNext) -> CallNext:
    def handler(request: Request) -> Response:
        return mw(request, call_next)

    handler.__qualname__ = f"chain[{mw.name}]"
    return handler


def _policy_link(fused: _Fused, call_next: CallNext) -> CallNext:
    befores, after = fused.befores, fused.after
    if after is None and len(befores) == 1:
        (before,) = befores

        def handler(request: Request) -> Response:
            before(request)
            return call_next(request)

    elif after is None:

        def handler(request: Request) -> Response:
            for before in befores:
                before(request)
            return call_next(request)

    else:

        def handler(request: Request) -> Response:
            for before in befores:
                before(request)
            response = call_next(request)
            replaced = after(response)
            return response if replaced is None else replaced

    handler.__qualname__ = f"chain[{'+'.join(fused.names)}]"
    return handler


def acompose(chain: Sequence[Middleware], transport: AsyncCallNext) -> AsyncCallNext:
    """The async twin of :func:`compose`: ``acall`` links and the same policy links.

    Every middleware must be a policy or have ``acall``; the plugin layer checks that when the
    chain is built, so that the error names the plugin.
    """
    handler = transport
    for link in reversed(_runs(chain)):
        if isinstance(link, _Fused):
            handler = _apolicy_link(link, handler)
        else:
            handler = _alink(link, handler)
    return handler


def _alink(mw: Middleware, call_next: AsyncCallNext) -> AsyncCallNext:
    acall = mw.acall  # type: ignore[attr-defined]

    async def handler(request: Request) -> Response:
        return await acall(request, call_next)  # type: ignore[no-any-return]

    handler.__qualname__ = f"achain[{mw.name}]"
    return handler


def _apolicy_link(fused: _Fused, call_next: AsyncCallNext) -> AsyncCallNext:
    befores, after = fused.befores, fused.after

    async def handler(request: Request) -> Response:
        for before in befores:
            before(request)
        response = await call_next(request)
        if after is None:
            return response
        replaced = after(response)
        return response if replaced is None else replaced

    handler.__qualname__ = f"achain[{'+'.join(fused.names)}]"
    return handler
