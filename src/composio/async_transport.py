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
loops); make one ``AsyncComposio`` per loop (e.g. per ``asyncio.run``). The connections are
closed by ``close()`` on that loop, or when that loop shuts down (``_released_with_loop``).

The pool gate (``_Gate``, SPEC §13): at most ``pool_maxsize`` attempts hold a connection, each
only from sending its request to the end of its body; ``_Pacer`` bounds how many calls start
per turn of the loop.
"""

from __future__ import annotations

import asyncio
import collections
import os
import ssl
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from composio._async_wire import TIMER_SLOP as _TIMER_SLOP
from composio._async_wire import Exchange, Reply, Timers, WireFailure, request_head
from composio._async_wire import supported as wire_supported
from composio._deadline_http import HeaderLines
from composio._egress import Egress, resolver, socket_factory
from composio._egress import guard as egress_guard
from composio._external import SLICE, EnvProxies, FileSink, async_data
from composio._install import install_hint
from composio._redact import redact_url, scrub
from composio._request_info import request_info
from composio._wire import (
    REDIRECTS,
    RedirectRefused,
    connection_error,
    deadline_error,
    encode,
    full_url,
    redirect_refused,
    redirect_target,
    strip_cross_origin,
)
from composio.config import env_flag
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

#: A redirect body up to this size is read so its connection can be reused; larger: closed.
_DRAIN_LIMIT = 65536
#: Calls that may start per turn of the loop, per slot of the pool (``_Pacer``).
_PACE_PER_SLOT = 4
#: The verbs the fast exchange writes as they are (``composio._async_wire``).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_INSTALL_HINT = f"AsyncComposio needs aiohttp: {install_hint('async')}"


def require_aiohttp() -> Any:
    """Import aiohttp, or fail with the install command (it is an optional extra)."""
    try:
        import aiohttp
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise ImportError(_INSTALL_HINT) from exc
    return aiohttp


class _Lib:
    """aiohttp's names the hot path uses, imported once (the first pool start)."""

    __slots__ = ("aiohttp", "fast", "timeout", "url")

    def load(self) -> None:
        aiohttp = require_aiohttp()
        from yarl import URL

        self.aiohttp, self.url, self.timeout = aiohttp, URL, aiohttp.ClientTimeout
        #: whether this aiohttp's pool can lend its connections (``composio._async_wire``)
        self.fast = wire_supported(aiohttp) and not env_flag("COMPOSIO_AIOHTTP_ONLY")


_LIB = _Lib()
_running_loop = asyncio.get_running_loop


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


class _Gate:
    """Admission to the pool: at most ``size`` attempts hold a connection at once (SPEC §13).

    Why it exists: aiohttp's connector also queues at its ``limit``, but only after each
    request did its whole set-up, so 1,000 gathered calls would all do theirs in one turn of
    the loop. Waiting here, before ``session.request``, keeps that set-up to pool-size
    requests per turn (SPEC §13: p99 loop lag), and the wait can honour the call's deadline.

    Why only around one attempt (``AiohttpTransport.__call__``), nothing else: a slot held
    through a retry's wait, the parsing or a middleware stalls unrelated calls for seconds,
    and a middleware that calls the same client from inside the chain would wait for a slot
    its own caller holds -- a deadlock once every slot is taken. Waiting here counts against
    the call's deadline and the attempt's connect timeout, like a connect would.

    A slot is handed straight to the oldest waiter on release (no barging, FIFO); a waiter
    that timed out or was cancelled stays in the deque, done, and is skipped. While a slot is
    free, every waiter left in the deque is such a dead one.
    """

    __slots__ = ("free", "size", "waiters")

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self.waiters: collections.deque[asyncio.Future[bool]] = collections.deque()

    def take(self) -> bool:
        """Take a free slot without waiting (True), or say there is none (False): the path of
        an idle pool, a counter and no coroutine (SPEC §19: the gate costs nothing then)."""
        if not self.free:
            return False
        self.free -= 1
        if self.waiters:
            self.waiters.clear()  # dead ones only (see the class docstring)
        return True

    async def acquire(self, request: Request) -> float:
        """Take a slot for ``request``'s attempt; the seconds waited for it. Raises
        ``APITimeoutError`` when the call's deadline (``kind="deadline"``) or the attempt's
        connect timeout (``kind="pool_timeout"``: retried like a connect timeout, but not the
        host's fault) comes first; nothing was sent (``sent=False``)."""
        if self.take():
            return 0.0
        started = time.monotonic()
        ctx = request.context
        remaining = ctx.deadline - started
        connect = ctx.timeout.connect
        limit = remaining if connect is None else min(connect, remaining)
        granted = False
        if limit > 0:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[bool] = loop.create_future()
            self.waiters.append(waiter)
            timer = loop.call_later(limit, _expire, waiter)
            try:
                granted = await waiter
            except BaseException:  # cancelled: a slot handed over meanwhile goes on
                if waiter.done() and not waiter.cancelled() and waiter.result():
                    self.release()
                raise
            finally:
                timer.cancel()
        waited = time.monotonic() - started
        if not granted:
            raise self._timeout(request, waited, deadline=limit == remaining)
        return waited

    def release(self) -> None:
        """Give a slot back: to the oldest live waiter, else to the free count."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self.free += 1

    def _timeout(self, request: Request, waited: float, *, deadline: bool) -> APITimeoutError:
        url = full_url(request.url, request.params)  # not encode(): no body is needed
        why = (
            f"while waiting {waited:.2f}s for a free connection: all {self.size} of the pool "
            "(pool_maxsize) were in use by other calls"
        )
        if deadline:
            return deadline_error(request, url, why, sent=False)
        return APITimeoutError(  # "pool_timeout": the host was never contacted (SPEC §13)
            scrub(
                f"{request.method} {redact_url(url)}: the connect timeout of "
                f"{request.context.timeout.connect:g}s ran out {why}. Raise pool_maxsize= "
                "or Timeout(connect=...), or make fewer calls at once.",
                request.headers,
            ),
            request=request_info(request, url),
            sent=False,
            kind="pool_timeout",
        )


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class _Pacer:
    """How many calls may *start* per turn of the event loop: about ``size`` (SPEC §13), four
    times the pool's (``_PACE_PER_SLOT``).

    Why: ``asyncio.gather`` of 1,000 calls makes 1,000 tasks that all run their first step in
    one turn of the loop -- the whole chain, up to the gate (``_Gate``) -- so the loop is
    unavailable for that long (measured: twice the lag of bare aiohttp gathering the same
    calls). Admitting ``size`` per turn keeps the work per turn bounded. Why four per slot
    (measured, ``tox -e bench``, 1,000 gathered through a 32-slot pool, a loaded 2-core
    machine): one per slot kept the p99 lag at 0.2-0.33x bare aiohttp's and took 1.21-1.26x
    its wall time; four per slot measured 0.1-0.3x lag and 0.95-1.28x wall. The wall time is
    bound by the loop's CPU per call, which the pacer does not change (docs/benchmarks.md).
    A paced call waits for turns of the loop only, never for another call to finish or give
    anything back, so it holds nothing and cannot deadlock; it runs after the deadline is
    set, so the wait counts against it. An idle client pays one counter decrement and a
    ``call_soon``.
    """

    __slots__ = ("budget", "loop", "size", "waiters")

    def __init__(self, size: int) -> None:
        self.size = size
        self.budget = size  #: starts left in this turn; 0 while waiters are queued
        self.loop: asyncio.AbstractEventLoop | None = None  #: set while a refill is due
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def start(self) -> asyncio.Future[None] | None:
        """Admit a call now (None), or give the future to await for its turn: no coroutine
        on the path of an idle client (SPEC §19). Cancelling that await loses the start for
        that turn, nothing else."""
        loop = _running_loop()
        if self.loop is not loop:
            if self.loop is not None:  # a refill due on another (dead) loop never comes
                self.budget, self.waiters = self.size, collections.deque()
            self.loop = loop  # the first start of a turn: the budget comes back next turn
            loop.call_soon(self._refill)
        if self.budget:
            self.budget -= 1
            return None
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters.append(waiter)
        return waiter

    def _refill(self) -> None:
        self.budget, waiters = self.size, self.waiters
        while waiters and self.budget:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self.budget -= 1
        if waiters or self.budget < self.size:  # more to admit, or starts taken: next turn
            assert self.loop is not None
            self.loop.call_soon(self._refill)
        else:
            self.loop = None


class _Pool:
    """What a root client owns: the aiohttp session (once created), its loop, TLS, proxies."""

    __slots__ = (
        "base_url",
        "closed_by",
        "fast_keys",
        "gate",
        "lines",
        "loop",
        "maxsize",
        "pace",
        "pid",
        "proxies",
        "resolver",
        "session",
        "ssl",
        "starting",
        "timers",
        "verify",
        "watch",
    )

    def __init__(self, base_url: str, verify: bool | str, maxsize: int) -> None:
        self.base_url = base_url  #: the root client's, named in ClientClosedError
        self.maxsize = maxsize
        self.verify = _environment(base_url, verify)
        #: env proxies, read once and decided per URL (NO_PROXY per host): every exchange,
        #: API, redirect hop or storage, asks for its own (``composio._external``)
        self.proxies = EnvProxies()
        #: header lines checked once (a middleware's too: SPEC §12.3), as the sync pool's
        self.lines = HeaderLines()
        self.session: aiohttp.ClientSession | None = None
        self.resolver: Any = None  #: the connector's (composio._egress.resolver)
        #: (scheme, host, port) -> the connector's own pool key for direct connections there,
        #: learnt from its first connection (``learn_key``); what the fast exchange borrows by
        self.fast_keys: dict[tuple[str, str, int | None], Any] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.starting: asyncio.Future[None] | None = None
        #: the deadline and read timeouts of the fast exchanges on ``loop`` (new with it)
        self.timers = Timers()
        self.ssl: ssl.SSLContext | bool = True
        #: how the pool was closed ("close()", "the exit of its 'async with' block"), or None
        self.closed_by: str | None = None
        self.pid = os.getpid()
        #: Admission to the pool, held for one attempt (``AiohttpTransport.__call__``).
        self.gate = _Gate(maxsize)
        #: How many calls start per turn of the loop (``AsyncComposio._arun``).
        self.pace = _Pacer(maxsize * _PACE_PER_SLOT)
        #: closes the session when its loop shuts down (``_released_with_loop``)
        self.watch: AsyncGenerator[None, None] | None = None

    async def get(self, request: Request) -> aiohttp.ClientSession:
        """The session, created on the first call inside the running loop; a closed pool
        raises :class:`ClientClosedError` naming ``request`` (its text is built only then)."""
        session = self.session
        if self.closed_by is None and session is not None and self.loop is _running_loop():
            return session
        who = f"{request.method} {redact_url(request.url)}"
        if self.closed_by is not None:
            raise self.closed_error(who)
        return await self._start(who)

    async def _start(self, who: str) -> aiohttp.ClientSession:
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
        if self.loop is None:  # bound to a loop: an older Timers' timer is another loop's
            self.timers = Timers()
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
            self.resolver = resolver(aiohttp)
            connector = aiohttp.TCPConnector(
                limit=self.maxsize,
                limit_per_host=0,
                ssl=self.ssl,
                ttl_dns_cache=300,
                resolver=self.resolver,  # aiohttp's own, in threads (composio._egress.hosts)
                socket_factory=socket_factory,  # each address checked before its connect
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
            self.watch = _released_with_loop(self)
            await self.watch.__anext__()  # registered with this loop's shutdown_asyncgens()
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
        if self.watch is not None:  # collected, it would ask the parent's loop to run it
            _DISOWNED.append(self.watch)
        self.loop, self.starting, self.watch, self.pid = None, None, None, os.getpid()
        self.resolver = None  # bound to the parent's loop
        self.fast_keys = {}
        self.gate = _Gate(self.maxsize)
        self.pace = _Pacer(self.maxsize * _PACE_PER_SLOT)

    def learn_key(self, origin: tuple[str, str, int | None]) -> None:
        """Find the pool key aiohttp filed a direct connection to ``origin`` under (the
        first call there went through ``ClientSession``), so that later calls can borrow
        that connection (``composio._async_wire``). The key is aiohttp's own object, never
        built here: what it holds beyond host, port and proxy is aiohttp's business."""
        conns: Any = getattr(self.session.connector if self.session else None, "_conns", None)
        if not isinstance(conns, dict):
            return
        scheme, host, port = origin
        for key in conns:
            direct = key.proxy is None and key.is_ssl == (scheme == "https")
            if direct and key.host == host and key.port == port:
                self.fast_keys[origin] = key
                return

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
        self.lines.clear()  # no header value (the API key is one) outlives the client here

    async def aclose(self, how: str) -> None:
        """Mark the pool closed and close its connections, on the loop that owns them.

        From another loop, with connections still open, this raises instead: aiohttp closes
        nothing of a connector whose loop is closed (``BaseConnector._close`` returns early)
        and cannot close from one loop what another loop's selector holds, so the sockets
        would leak with no more than a ``ResourceWarning`` when collected. Left as it is,
        the pool is still released when its own loop shuts down (or by ``close()`` there).
        """
        self.mark_closed(how)
        if self.session is None:
            return
        if self.loop is not asyncio.get_running_loop() and _open_connections(self.session):
            raise ComposioError(
                f"{how}: this AsyncComposio's connections belong to the event loop it was "
                "used on, and close() runs on another loop; they cannot be closed from here. "
                "Close the client on its own loop: 'async with AsyncComposio(...)' or "
                "'await client.close()' inside the coroutine you pass to asyncio.run (its "
                "connections are also released when that asyncio.run ends), or "
                "asyncio.run_coroutine_threadsafe(client.close(), loop) for a loop running in "
                "another thread."
            )
        watch, self.watch = self.watch, None
        await self.release()
        if watch is not None:
            await watch.aclose()  # nothing left for it to release at the loop's shutdown

    async def release(self) -> None:
        """Close the aiohttp session and its sockets; the pool stays open, and a later call
        on the same loop starts a new session (``starting`` is reset for it)."""
        session, self.session, self.starting = self.session, None, None
        dns, self.resolver = self.resolver, None
        self.fast_keys = {}
        if session is not None and not session.closed:
            await session.close()
        self.timers.stop()
        if dns is not None:  # a resolver given to a connector is not closed with it
            await dns.close()


async def _released_with_loop(pool: _Pool) -> AsyncGenerator[None, None]:
    """Started once on the pool's loop, so that loop's ``shutdown_asyncgens()`` -- which
    ``asyncio.run`` awaits before it closes the loop -- closes the pool's connections while
    the loop can still run their shutdown. A client used inside ``asyncio.run`` and closed
    after it (or never) leaks no socket; ``close()`` on the loop closes it earlier."""
    try:
        yield
    finally:
        await pool.release()


def _open_connections(session: aiohttp.ClientSession) -> int:
    """Sockets a session's connector holds, idle or lent (aiohttp 3.x keeps them in
    ``_conns`` and ``_acquired``; if those names change, it counts one: "maybe")."""
    connector: Any = session.connector
    conns: Any = getattr(connector, "_conns", None)
    acquired: Any = getattr(connector, "_acquired", None)
    if connector is None or connector.closed:
        return 0
    if not hasattr(conns, "values") or acquired is None:
        return 1
    return len(acquired) + sum(len(idle) for idle in conns.values())


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
        self._egress = Egress(base_url)  #: which exchanges go to another origin (SSRF check)
        self._pool = pool if pool is not None else _Pool(base_url, verify, pool_maxsize)
        #: where the fast exchange may go: the API's own origin (``_FastRoute``), or None
        self._fast = _FastRoute.of(base_url)

    @property
    def pool_maxsize(self) -> int:
        return self._pool.maxsize

    @property
    def closed(self) -> bool:
        return self._pool.closed_by is not None

    def pace(self) -> asyncio.Future[None] | None:
        """None when one more call may start in this turn of the loop, else the future to
        await for a turn with room (``_Pacer``); used by ``AsyncComposio._paced``. It holds
        no slot of the pool."""
        return self._pool.pace.start()

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
        """One attempt: a slot of the pool's gate is held from sending the request to the end
        of its body (redirect hops included), and given back before anything else runs."""
        pool = self._pool
        session = await pool.get(request)  # closed, or another loop's pool: refused first
        gate = pool.gate
        if gate.take():  # a free slot: nothing awaited, nothing else ran meanwhile
            waited = 0.0
        else:
            waited = await gate.acquire(request)
            try:
                # Taken again once the slot is held: close() may have run while this call
                # waited (ClientClosedError then, not aiohttp's "Session is closed").
                session = await pool.get(request)
            except BaseException:
                gate.release()
                raise
        try:
            return await self._send(session, request, waited)
        finally:
            gate.release()

    async def _send(
        self, session: aiohttp.ClientSession, request: Request, waited: float
    ) -> Response:
        """Send ``request`` (``waited`` s of its connect timeout were spent at the gate)."""
        pool = self._pool
        aiohttp, timeout_cls = _LIB.aiohttp, _LIB.timeout

        ctx = request.context
        started = time.monotonic()
        url, wire, body = encode(request)
        lines: list[bytes] | None = pool.lines.check(wire)  # named, never shown, before sending
        method = request.method
        fast = self._fast if _LIB.fast and request.sink is None and _small(body) else None
        if method not in _METHODS:  # a middleware's own verb: aiohttp checks it
            fast = None
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
                # None where the total ends first anyway: a read timeout is a timer moved on
                # every chunk received, for nothing then
                read = None if t.read is None or t.read >= remaining else t.read
                proxy = pool.proxies.for_url(url)
                # another origin, direct: its address is checked at connect (composio._egress)
                check = self._egress.guard(url, proxy)
                target = None
                if fast is not None and proxy is None and check is None:
                    target = fast.target(url)
                key = None if target is None else pool.fast_keys.get(fast.origin)  # type: ignore[union-attr]
                conn: Any = None if key is None else await session.connector._get(key, [])  # type: ignore[union-attr]
                learn = False
                if conn is not None and conn.protocol.should_close:
                    conn.close()  # bytes arrived while it was idle: not in step, not reused
                    conn = None
                if conn is not None:  # an idle connection aiohttp opened: borrowed for this hop
                    if lines is None:
                        lines = pool.lines.check(wire)
                    assert fast is not None and target is not None
                    head = request_head(method, target, fast.host, lines, wire)
                    resp = await _exchange(  # bytes or None: fast is set for those only (_small)
                        conn,
                        head,
                        body,  # type: ignore[arg-type]
                        method == "HEAD",
                        remaining,
                        read,
                        pool.timers,
                    )
                else:
                    timeout = timeout_cls(
                        total=remaining,  # every hop, and the body, end at the deadline
                        # What the gate left of Timeout.connect; never <= 0, which aiohttp
                        # reads as "no timeout" (a slot handed over at the limit's edge).
                        sock_connect=remaining
                        if t.connect is None
                        else min(max(t.connect - waited, _TIMER_SLOP), remaining),
                        sock_read=read,
                    )
                    resp = await self._session_request(
                        session, request, url, wire, body, timeout, proxy, check
                    )
                    learn = target is not None and key is None  # the first call there
                status = resp.status
                if status not in REDIRECTS or method not in ("GET", "HEAD"):
                    break  # not a redirect the SDK follows: the answer is this response
                location = _as_latin1(resp.headers.get("location"))
                if location is None:
                    break  # a redirect status without a Location: the answer as well
                try:
                    target_url = redirect_target(url, location, hops)
                except RedirectRefused as refused:
                    request_id = resp.headers.get("x-request-id")
                    await _drain(resp)
                    resp = None
                    raise redirect_refused(request, url, status, refused, request_id) from None
                await _drain(resp)
                resp = None
                if learn:
                    pool.learn_key(fast.origin)  # type: ignore[union-attr]
                hops += 1
                waited = 0.0  # a hop's connect timeout is whole: the gate was passed once
                wire = strip_cross_origin(wire, url, target_url)
                lines = None
                url = target_url
            during = "reading the body"
            if type(resp) is Reply:
                content = resp.body
            else:
                sink = request.sink if 200 <= status < 300 else None
                content = await (resp.read() if sink is None else _into(sink, resp))
                if status == 101:  # aiohttp keeps an "upgraded" connection lent: never reused
                    resp.close()
                if learn:
                    pool.learn_key(fast.origin)  # type: ignore[union-attr]
        except APIError:  # the SDK's own (a deadline, a refused hop): nothing is held
            raise
        except BaseException as exc:
            if resp is not None:
                resp.close()  # cancelled or failed mid-body: the slot goes back to the pool
            if pool.closed_by is not None and isinstance(exc, Exception):
                # close() closed this connection under the call: say so, not "reset"
                raise pool.closed_error(f"{method} {redact_url(url)}") from None
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

    async def _session_request(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        url: str,
        wire: dict[str, str],
        body: Any,
        timeout: Any,
        proxy: str | None,
        check: Any,
    ) -> Any:
        """One hop through aiohttp's ``ClientSession``: a new connection, a proxy, another
        origin, a streamed body or a download; its response's body is still to be read."""
        aiohttp = _LIB.aiohttp
        # None, not (): aiohttp builds a set per call for any tuple, the empty one included
        skip = None if body is None or "content-type" in request.headers else ("Content-Type",)
        token = None if check is None else egress_guard.set(check)
        try:
            return await session.request(
                request.method,
                _LIB.url(url, encoded=True),
                headers=wire,
                data=async_data(body),  # a file or large bytes: slice by slice
                allow_redirects=False,
                timeout=timeout,
                proxy=proxy,
                skip_auto_headers=skip,
            )
        except aiohttp.ClientConnectorError:
            if check is not None and check.refused is not None:
                raise check.error(request, url) from None
            raise
        finally:
            if token is not None:
                egress_guard.reset(token)


class _FastRoute:
    """Where the fast exchange (``composio._async_wire``) may go from one transport: URLs
    of the base URL's own origin, written as the base URL writes it, with a target of
    printable ASCII (anything else is aiohttp's to encode). None for a base URL with
    credentials in it (aiohttp turns those into an ``Authorization`` header) or not http(s).
    """

    __slots__ = ("host", "origin", "prefix")

    def __init__(self, prefix: str, host: str, origin: tuple[str, str, int | None]) -> None:
        self.prefix = prefix  #: ``scheme://netloc``, as the request URLs start
        self.host = f"Host: {host}"  #: the ``Host`` header line aiohttp would send
        self.origin = origin  #: (scheme, host, port) as aiohttp's pool key holds them

    @classmethod
    def of(cls, base_url: str) -> _FastRoute | None:
        from yarl import URL

        try:
            url = URL(base_url)
        except (TypeError, ValueError):
            return None
        if url.scheme not in ("http", "https") or url.user is not None or not url.raw_host:
            return None
        if url.password is not None:  # pragma: no cover - no user means no password
            return None
        netloc = base_url.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0]
        return cls(
            f"{url.scheme}://{netloc}",
            url.host_port_subcomponent or netloc,
            (url.scheme, url.raw_host, url.port),
        )

    def target(self, url: str) -> str | None:
        """``url``'s request target when it is on this origin and safe to send as written."""
        prefix = self.prefix
        if not url.startswith(prefix):
            return None
        target = url[len(prefix) :]
        if not target:
            return "/"
        if target[0] == "?":
            target = "/" + target
        elif target[0] != "/":
            return None  # "http://host:1" is not a prefix of "http://host:10/..."
        if target.isascii() and target.isprintable() and " " not in target and "#" not in target:
            return target
        return None


def _small(body: Any) -> bool:
    """A body the fast exchange writes in one piece: none, or bytes up to one slice."""
    return body is None or (type(body) is bytes and len(body) <= SLICE)


async def _exchange(
    conn: Any,
    head: bytes,
    body: bytes | None,
    head_only: bool,
    remaining: float,
    read: float | None,
    timers: Timers,
) -> Reply:
    """One request and its whole answer on ``conn``, an idle connection of aiohttp's pool
    (``composio._async_wire``), its deadline and read timeout watched by ``timers`` (the
    pool's ``Timers``). The connection goes back to the pool when the answer says it may
    be kept; any failure, a cancellation or the deadline closes it."""
    handler = conn.protocol
    transport = handler.transport
    done: asyncio.Future[Reply] = _running_loop().create_future()
    exchange = Exchange(handler, done, head_only, remaining, read)
    try:  # watched and swapped inside: whatever fails, the connection is closed, unwatched
        timers.watch(exchange)
        transport.set_protocol(exchange)
        transport.write(head + body if body else head)
        reply = await done
    except BaseException:
        if transport is not None:
            transport.set_protocol(handler)
        conn.close()
        raise
    finally:
        timers.watched.discard(exchange)
    transport.set_protocol(handler)
    if exchange.keep_alive and handler.is_connected():
        conn.release()
    else:
        conn.close()
    return reply


async def _into(sink: FileSink, resp: Any) -> bytes:
    """A download's body written to its sink slice by slice, each write in a worker thread
    (SPEC §13: no file I/O on the loop); the memory held is a slice, whatever the size."""
    while chunk := await resp.content.read(SLICE):
        await asyncio.to_thread(sink.write, chunk)
    resp.release()
    return b""


async def _drain(resp: Any) -> None:
    """Read a redirect's (small) body so its connection can carry the next request; a body
    over 64 KiB is not worth it: the connection is closed instead. Either way its pool slot
    is free afterwards."""
    if type(resp) is Reply:  # read whole, its connection released already
        return
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


#: Sessions inherited through fork() that could not be disowned safely, and the parent's
#: ``_released_with_loop`` generators: never collected (collecting one would run code of,
#: or wake, the parent's loop).
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

    def err(cls: type[APIConnectionError], kind: str, sent: bool) -> APIConnectionError:
        return connection_error(cls, request, url, kind, sent, exc)

    if isinstance(exc, WireFailure):  # the fast exchange's (composio._async_wire)
        if exc.kind == "deadline":
            return deadline_error(request, url, f"while {exc.during}", sent=True)
        return err(
            APITimeoutError if exc.kind == "read_timeout" else APIConnectionError, exc.kind, True
        )

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
