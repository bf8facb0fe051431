"""The async client's transport: one ``aiohttp`` pool per root client (SPEC §13).

Why aiohttp (measured, ``python -m tests.benchmarks.async_transports``, see
``docs/design-decisions.md``): about a third of httpx's CPU per call on loopback, and no
per-event scan of a large pool.

What it promises, the same as the ``requests`` transport:

* one pool per root client, shared by its sessions and ``with_options`` copies;
* no cookie jar (``DummyCookieJar``): the pool serves many users and tenants;
* redirects followed by the SDK (``composio._wire``): GET/HEAD only, at most 5 hops,
  credentials and user headers dropped across origins, never https to http;
* environment proxies and CA bundle resolved once (``trust_env`` off afterwards), proxies
  decided per URL from that snapshot (``composio._external.EnvProxies``);
* the call's total deadline bounds every hop and every body read;
* nothing blocks the event loop: the SSL context (a CA file read) is built in a worker thread,
  once, on the first call; aiohttp resolves names in its resolver's threads.

Which loop owns the pool: the ``aiohttp.ClientSession`` is created lazily, on the first call,
inside the running loop, and belongs to that loop. A call from another loop raises
:class:`~composio.errors.ComposioError` saying so (aiohttp's connections cannot move between
loops); make one ``AsyncComposio`` per loop (e.g. per ``asyncio.run``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from typing import TYPE_CHECKING, Any

from composio._external import EnvProxies, async_data
from composio._redact import redact_url
from composio._wire import (
    REDIRECTS,
    RedirectRefused,
    deadline_error,
    encode,
    redirect_refused,
    redirect_target,
    strip_cross_origin,
)
from composio.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientClosedError,
    ComposioError,
)
from composio.pipeline import Request, Response

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpTransport", "require_aiohttp"]

#: asyncio may run a timer up to its clock resolution early: a read timeout clipped to the
#: deadline that fires this close to it is the deadline.
_TIMER_SLOP = 0.002
#: A redirect body up to this size is read so its connection can be reused; larger: closed.
_DRAIN_LIMIT = 65536
_INSTALL_HINT = "AsyncComposio needs aiohttp: pip install 'composio-pipeline[async]'"


def require_aiohttp() -> Any:
    """Import aiohttp, or fail with the install command (it is an optional extra)."""
    try:
        import aiohttp
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise ImportError(_INSTALL_HINT) from exc
    return aiohttp


class _Lib:
    """aiohttp's names the hot path uses, imported once (the first pool start)."""

    __slots__ = ("aiohttp", "timeout", "url")

    def load(self) -> None:
        aiohttp = require_aiohttp()
        from yarl import URL

        self.aiohttp, self.url, self.timeout = aiohttp, URL, aiohttp.ClientTimeout


_LIB = _Lib()


def _environment(base_url: str, verify: bool | str) -> bool | str:
    """The CA bundle for ``base_url``, resolved the way the sync transport does
    (``requests``' rules: ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``...)."""
    import requests

    with requests.Session() as session:
        env = session.merge_environment_settings(base_url, {}, False, verify, None)
    resolved = env.get("verify", verify)
    return verify if resolved is None else resolved


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """Built once, in a worker thread: loading a CA bundle reads a file."""
    if verify is False:
        return False
    if verify is True:
        from requests.utils import DEFAULT_CA_BUNDLE_PATH

        verify = DEFAULT_CA_BUNDLE_PATH
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


class _Pool:
    """What a root client owns: the aiohttp session (once created), its loop, TLS, proxies."""

    __slots__ = (
        "base_url",
        "closed_by",
        "gate",
        "loop",
        "maxsize",
        "pid",
        "proxies",
        "session",
        "ssl",
        "starting",
        "verify",
    )

    def __init__(self, base_url: str, verify: bool | str, maxsize: int) -> None:
        self.base_url = base_url  #: the root client's, named in ClientClosedError
        self.maxsize = maxsize
        self.verify = _environment(base_url, verify)
        #: env proxies, read once and decided per URL (NO_PROXY per host): every exchange,
        #: API, redirect hop or storage, asks for its own (``composio._external``)
        self.proxies = EnvProxies()
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.starting: asyncio.Future[None] | None = None
        self.ssl: ssl.SSLContext | bool = True
        #: how the pool was closed ("close()", "the exit of its 'async with' block"), or None
        self.closed_by: str | None = None
        self.pid = os.getpid()
        #: Admission to the pool, held for a whole call (see ``AsyncComposio._arun``).
        self.gate = asyncio.Semaphore(maxsize)

    async def get(self, who: str) -> aiohttp.ClientSession:
        """The session, created on the first call inside the running loop."""
        session = self.session
        if session is not None and self.loop is asyncio.get_running_loop():
            return session
        return await self._start(who)

    async def _start(self, who: str) -> aiohttp.ClientSession:
        if self.closed_by is not None:
            raise self.closed_error(who)
        loop = asyncio.get_running_loop()
        if self.pid != os.getpid():  # pragma: no cover - the at-fork hook did it already
            self.after_fork_in_child()
        if self.loop is not None and self.loop is not loop:
            raise ComposioError(
                f"{who}: this AsyncComposio's connection pool belongs to the event loop it "
                "was first used on, and this call runs on another loop. aiohttp connections "
                "cannot move between loops: create one AsyncComposio per event loop (for "
                "example inside the function you pass to asyncio.run)."
            )
        self.loop = loop
        if self.starting is not None:  # another task is creating it: wait for that
            await asyncio.shield(self.starting)
            assert self.session is not None
            return self.session
        self.starting = loop.create_future()
        try:
            _LIB.load()
            aiohttp = _LIB.aiohttp
            self.ssl = await asyncio.to_thread(_ssl_context, self.verify)
            connector = aiohttp.TCPConnector(
                limit=self.maxsize, limit_per_host=0, ssl=self.ssl, ttl_dns_cache=300
            )
            self.session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # resolved once above
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            # aiohttp re-sends an idempotent request once by itself when a pooled connection
            # turns out dead (>= 3.11, private switch, used by its own test client). SPEC §5:
            # the retry middleware is the only retry layer, counting and budgeting each attempt.
            self.session._retry_connection = False
            self.starting.set_result(None)
        except BaseException as exc:
            starting, self.starting, self.loop = self.starting, None, None
            if isinstance(exc, Exception):
                starting.set_exception(exc)
                starting.exception()  # retrieved: waiters re-raise it, nobody logs it
            else:
                starting.cancel()
            raise
        return self.session

    def after_fork_in_child(self) -> None:
        """A forked child starts a fresh pool on its first call, on whatever loop it runs.

        Why the parent's session is disowned, not closed or dropped: its connections are
        registered in the parent's event loop, whose epoll instance the child shares. Closing
        them (``close()``, or aiohttp's connector finalizer when the session is collected)
        would unregister the parent's sockets from that shared epoll and send TLS shutdowns on
        the parent's streams. So the connector is marked closed with its connection lists
        emptied -- its finalizer then has nothing to do -- and the sockets' file descriptors
        are closed plainly when collected, which the parent does not notice. The admission
        gate is new too: the parent's may be bound to its loop or hold permits of calls that
        do not exist in the child. A closed pool stays closed in the child.
        """
        session, self.session = self.session, None
        if session is not None:
            _disown(session)
        self.loop, self.starting, self.pid = None, None, os.getpid()
        self.gate = asyncio.Semaphore(self.maxsize)

    def checked_out(self) -> int:
        """Connections lent to a call right now (0 when every call gave its back)."""
        connector = self.session.connector if self.session is not None else None
        return len(getattr(connector, "_acquired", ())) if connector is not None else 0

    def closed_error(self, what: str) -> ClientClosedError:
        return ClientClosedError(
            f"{what}: the AsyncComposio client for {self.base_url} was closed by "
            f"{self.closed_by}; its sessions and with_options copies share its connection pool "
            "and are closed with it. Create a new AsyncComposio(...) to make more calls.",
            base_url=self.base_url,
        )

    def mark_closed(self, how: str) -> None:
        if self.closed_by is None:  # idempotent: the first ``how`` is kept
            self.closed_by = how

    async def aclose(self, how: str) -> None:
        self.mark_closed(how)
        session, self.session = self.session, None
        if session is not None and not session.closed:
            await session.close()


class AiohttpTransport:
    """Sends a :class:`Request` over the root client's aiohttp pool and reads the whole body."""

    name = "transport"

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = True,
        pool_maxsize: int = 32,
        pool: _Pool | None = None,
    ) -> None:
        require_aiohttp()
        self._base_url = base_url
        self._pool = pool if pool is not None else _Pool(base_url, verify, pool_maxsize)

    @property
    def pool_maxsize(self) -> int:
        return self._pool.maxsize

    @property
    def closed(self) -> bool:
        return self._pool.closed_by is not None

    @property
    def gate(self) -> asyncio.Semaphore:
        """One slot per pooled connection; ``AsyncComposio._arun`` holds one per call."""
        return self._pool.gate

    def for_base_url(self, base_url: str) -> AiohttpTransport:
        """A transport for another base URL over the same pool (``with_options(base_url=)``)."""
        return AiohttpTransport(base_url, pool=self._pool)

    def checked_out(self) -> int:
        return self._pool.checked_out()

    # -- lifecycle -----------------------------------------------------------------------
    async def aclose(self, how: str = "close()") -> None:
        await self._pool.aclose(how)

    def close(self, how: str = "close()") -> None:
        """Synchronous close, for a build that failed before any call: no session exists yet
        (it is created by the first call), so marking the pool closed is all there is."""
        self._pool.mark_closed(how)

    def after_fork_in_child(self) -> None:
        """Called in a forked child (``composio._fork``): the parent's pool is disowned."""
        self._pool.after_fork_in_child()

    # -- sending -------------------------------------------------------------------------
    async def __call__(self, request: Request) -> Response:
        pool = self._pool
        if pool.closed_by is not None:
            raise pool.closed_error(f"{request.method} {redact_url(request.url)}")
        session = await pool.get(request.context.operation)
        aiohttp, URL, timeout_cls = _LIB.aiohttp, _LIB.url, _LIB.timeout

        ctx = request.context
        started = time.monotonic()
        url, wire, body = encode(request)
        method = request.method
        skip = () if body is None or "content-type" in request.headers else ("Content-Type",)
        hops = 0
        resp: Any = None
        during = "waiting for the response"
        try:
            while True:
                remaining = ctx.deadline - time.monotonic()
                if remaining <= 0:
                    what = "next redirect hop" if hops else "attempt"
                    raise deadline_error(request, url, f"before the {what} could start", sent=False)
                t = ctx.timeout
                timeout = timeout_cls(
                    total=remaining,  # every hop, and the body, end at the deadline
                    sock_connect=remaining if t.connect is None else min(t.connect, remaining),
                    sock_read=remaining if t.read is None else min(t.read, remaining),
                )
                resp = await session.request(
                    method,
                    URL(url, encoded=True),
                    headers=wire,
                    data=async_data(body),  # a file or large bytes: slice by slice
                    allow_redirects=False,
                    timeout=timeout,
                    proxy=pool.proxies.for_url(url),
                    skip_auto_headers=skip,
                )
                status = resp.status
                location = _as_latin1(resp.headers.get("location"))
                if status not in REDIRECTS or method not in ("GET", "HEAD") or location is None:
                    break  # not a redirect the SDK follows: the answer is this response
                try:
                    target = redirect_target(url, location, hops)
                except RedirectRefused as refused:
                    request_id = resp.headers.get("x-request-id")
                    await _drain(resp)
                    resp = None
                    raise redirect_refused(request, url, status, refused, request_id) from None
                await _drain(resp)
                resp = None
                hops += 1
                wire = strip_cross_origin(wire, url, target)
                url = target
            during = "reading the body"
            content = await resp.read()
        except APIError:  # the SDK's own (a deadline, a refused hop): nothing is held
            raise
        except BaseException as exc:
            if resp is not None:
                resp.close()  # cancelled or failed mid-body: the slot goes back to the pool
            mapped = _map_error(aiohttp, exc, request, url, during)
            if mapped is None:
                raise
            raise mapped from None
        return Response(
            request,
            resp,
            content,
            time.monotonic() - started,
            status_code=resp.status,
            headers=resp.headers,
        )


async def _drain(resp: Any) -> None:
    """Read a redirect's (small) body so its connection can carry the next request; a body
    over 64 KiB is not worth it: the connection is closed instead. Either way its pool slot
    is free afterwards."""
    read = 0
    try:
        while True:
            chunk = await resp.content.read(_DRAIN_LIMIT)
            if not chunk:
                break
            read += len(chunk)
            if read > _DRAIN_LIMIT:
                resp.close()
                return
    except BaseException:
        resp.close()
        raise
    resp.release()


def _disown(session: Any) -> None:
    """Forget a session inherited through ``fork()`` without touching its sockets (see
    ``_Pool.after_fork_in_child``). aiohttp's connector keeps its idle connections in
    ``_conns`` and lent ones in ``_acquired`` (3.x); if those names change, the session is
    kept referenced forever instead, so its finalizer never runs in this process."""
    connector = getattr(session, "_connector", None)
    conns: Any = getattr(connector, "_conns", None)
    acquired: Any = getattr(connector, "_acquired", None)
    if connector is None or not hasattr(conns, "clear") or not hasattr(acquired, "clear"):
        _DISOWNED.append(session)
        return
    conns.clear()
    acquired.clear()
    connector._closed = True  # ClientSession.closed is now True: no "unclosed" warning


#: Sessions inherited through fork() that could not be disowned safely: never collected.
_DISOWNED: list[Any] = []


def _as_latin1(value: str | None) -> str | None:
    """A header as ``http.client`` decodes it (latin-1), so that the shared redirect code sees
    what it sees on the sync side; aiohttp decodes UTF-8 with ``surrogateescape``."""
    if value is None:
        return None
    try:
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    except UnicodeError:  # pragma: no cover - every str round-trips
        return value


def _map_error(
    aiohttp: Any, exc: BaseException, request: Request, url: str, during: str
) -> APIConnectionError | None:
    """aiohttp's exceptions as the same ``APIConnectionError`` kinds the sync transport raises,
    so the retry rules (``sent``, ``kind``) are identical. None: not a transport error
    (cancellation, the SDK's own errors) -- re-raised as is."""
    from composio.transport import RequestsTransport

    def err(cls: type[APIConnectionError], kind: str, sent: bool) -> APIConnectionError:
        return RequestsTransport._error(cls, request, url, kind, sent, exc)

    if isinstance(exc, asyncio.CancelledError) or not isinstance(
        exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)
    ):
        return None
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return err(APITimeoutError, "connect_timeout", False)
    if isinstance(exc, asyncio.TimeoutError):  # a socket read, or the total, timed out
        # As the sync transport: the call's total running out is "deadline" (never retried);
        # one read outwaiting Timeout.read with time left is "read_timeout".
        if time.monotonic() >= request.context.deadline - _TIMER_SLOP or not isinstance(
            exc, aiohttp.SocketTimeoutError
        ):
            return deadline_error(request, url, f"while {during}", sent=True)
        return err(APITimeoutError, "read_timeout", True)
    if isinstance(exc, aiohttp.ClientSSLError):  # certificate and handshake errors both
        return err(APIConnectionError, "tls", False)
    dns = getattr(aiohttp, "ClientConnectorDNSError", None)
    if dns is not None and isinstance(exc, dns):
        return err(APIConnectionError, "dns", False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return err(APIConnectionError, "refused", False)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return err(APIConnectionError, _payload_kind(exc), True)
    if isinstance(exc, aiohttp.ClientResponseError):
        return err(APIConnectionError, "protocol", True)
    return err(APIConnectionError, "reset", True)


def _payload_kind(exc: BaseException) -> str:
    """``truncated`` or ``reset`` for a body that ended early, decided from structure first.

    aiohttp (3.11-3.14) chains the parser's verdict as the cause: a ``ContentLengthError`` or
    ``TransferEncodingError`` means the connection ended before the framing said the body
    would (a clean close short of Content-Length: ``truncated``, as the sync transport says).
    Whether that end was a clean FIN or a TCP RST is not kept as an object anywhere aiohttp
    exposes -- it only appends the socket error's ``repr`` to the message ("... .
    ConnectionResetError(104, ...)") -- so that one bit is read from the text, narrowly: an
    ``OSError`` subclass name after the parser's verdict. A payload error with any other cause
    (a broken connection mid-read) is ``reset``.
    """
    from aiohttp.http_exceptions import ContentLengthError, TransferEncodingError

    if not isinstance(exc.__cause__, (ContentLengthError, TransferEncodingError)):
        return "reset"
    socket_error = str(exc).rpartition(". ")[2].split("(", 1)[0]
    return "reset" if socket_error in _SOCKET_ERRORS else "truncated"


#: The socket errors aiohttp names after a short body when the close was not clean.
_SOCKET_ERRORS = frozenset(
    {
        "OSError",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "TimeoutError",
    }
)
