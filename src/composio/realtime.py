"""Realtime triggers: ``client.triggers.subscribe(...)`` over the Pusher Channels protocol
(SPEC §18), without a public endpoint.

Why not ``pysher`` (the vendor SDK's choice): it is unmaintained since 2022, and its design
is where the vendor's failures came from -- a thread per connection that reconnects forever
once a subscribe timed out (vendor #3858), and ``stop()`` from a callback joining the very
thread that runs the callback (a deadlock). Here the websocket is aiohttp's (the ``async``
extra), and there are no callbacks: a subscription is an iterator, so the caller's code never
runs on the socket's thread.

* :class:`AsyncSubscription` runs on the caller's event loop: one task reads the socket.
* :class:`Subscription` (sync) owns one thread running a private event loop; iteration reads
  a thread-safe queue, and :meth:`Subscription.close` stops the loop and joins the thread
  (from any thread; from the loop body too, which never runs on that thread).

Both share :class:`_Listener` (connect, subscribe, pump, reconnect) and the sans-I/O parts in
:mod:`composio._realtime`. The credentials and the channel auth are ordinary operations run
through the client's chain (headers, retry, tracing, telemetry apply). The websocket itself
goes to another origin (Pusher's, or ``realtime_url``) and carries none of the SDK's headers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from composio._install import install_hint
from composio._realtime import (
    CHUNKED_EVENT,
    EVENT,
    MAX_FRAME,
    PONG_TIMEOUT,
    Budget,
    BudgetExceeded,
    ChunkAssembler,
    Filters,
    ProtocolError,
    app_url,
    auth_operation,
    backoff,
    channel_name,
    connection_established,
    credentials_operation,
    error_of,
    event_from_data,
    frame,
    read_frame,
)
from composio._version import __version__
from composio.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ComposioError,
    RequestInfo,
)
from composio.webhooks import TriggerEvent

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio
    from composio.client import Composio

__all__ = ["AsyncSubscription", "Subscription"]

log = logging.getLogger("composio.realtime")

#: One reconnect attempt (socket, handshake, auth, subscription) at most this long.
RECONNECT_TIMEOUT: Final = 30.0
_END: Final = object()
_USER_AGENT: Final = f"composio-pipeline-python/{__version__}"


class _Dropped(Exception):
    """The socket ended (closed, reset, silent past the pong timeout)."""


def _aiohttp() -> Any:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ComposioError(
            "triggers.subscribe needs the websocket client of the async extra: "
            f"{install_hint('async')}."
        ) from None
    return aiohttp


async def _refuse_redirect(session: Any, context: Any, params: Any) -> None:
    """aiohttp's ``on_request_redirect``: the websocket follows no redirect. ``ws_connect``
    would follow one to any ``http://`` URL, so a ``wss://`` origin could move the socket --
    and the channel auth sent on it -- to plain text on any host, past the rule
    ``validate_realtime_url`` enforces on the origin; Pusher never redirects."""
    raise ProtocolError(
        f"the websocket handshake was answered with a redirect (HTTP "
        f"{params.response.status}), which the realtime client does not follow"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _ssl_for(url: str, verify: bool | str) -> Any:
    """The TLS context for a ``wss://`` origin, from the client's ``verify`` (loads files:
    called off the event loop)."""
    if not url.startswith("wss://"):
        return None
    from composio.async_transport import _ssl_context

    return _ssl_context(verify)


def _connect_error(exc: BaseException, url: str, seconds: float) -> BaseException:
    """What a failed first subscription raises: the API's own errors as they are, the
    socket's as ``APIConnectionError``/``APITimeoutError`` naming the origin, never the key."""
    origin = _origin(url)
    request = RequestInfo("GET", origin)
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return APITimeoutError(
            f"triggers.subscribe: not subscribed within {seconds:g} s (the client's total "
            f"timeout) at {origin}; check realtime_url / COMPOSIO_REALTIME_URL and the network.",
            request=request,
            kind="deadline",
        )
    if isinstance(exc, ProtocolError):
        return APIConnectionError(
            f"triggers.subscribe: {exc} at {origin}.", request=request, kind="protocol"
        )
    if isinstance(exc, Exception):
        return APIConnectionError(
            f"triggers.subscribe: could not connect to {origin} ({type(exc).__name__}).",
            request=request,
            kind="realtime",
        )
    return exc


class _Listener:
    """One subscription's socket: connect and subscribe, pump frames, reconnect with backoff
    and subscribe again. Runs on one event loop; ``deliver`` gets each event that passes the
    filters, or the error that ended the subscription."""

    def __init__(
        self,
        url: str,
        channel: str,
        authorize: Callable[[str, str], Awaitable[str]],
        filters: Filters,
        ssl: Any,
        deliver: Callable[[object], None],
        budget: Budget,
    ) -> None:
        self._url = url
        self._channel = channel
        self._authorize = authorize
        self._filters = filters
        self._ssl = ssl
        self._deliver = deliver
        self._session: Any = None
        self._ws: Any = None
        self._activity = 120.0
        #: a Pusher server cannot be slowed down: what it sends and the consumer has not read
        #: is bounded in bytes, half-sent events dropped first, then the subscription ended
        self.budget = budget
        self._chunks = ChunkAssembler(budget)

    async def connect(self) -> None:
        """One attempt: socket, ``connection_established``, auth, subscription confirmed."""
        aiohttp = _aiohttp()
        if self._session is None:
            # Its own session: no cookie jar, no proxy from the environment, one socket,
            # no redirect followed.
            refuse = aiohttp.TraceConfig()
            refuse.on_request_redirect.append(_refuse_redirect)
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, trace_configs=[refuse]
            )
        await self.drop_socket()
        self._ws = ws = await self._session.ws_connect(
            self._url,
            ssl=self._ssl if self._ssl is not None else True,
            autoping=True,
            max_msg_size=MAX_FRAME,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            headers={"User-Agent": _USER_AGENT},
        )
        event, _, data = await self._next(self._activity)
        if event == "pusher:error":
            raise error_of(data)
        if event != "pusher:connection_established":
            raise ProtocolError(f"expected pusher:connection_established first, got {event!r}")
        socket_id, self._activity = connection_established(data)
        auth = await self._authorize(socket_id, self._channel)
        await ws.send_str(frame("pusher:subscribe", {"channel": self._channel, "auth": auth}))
        while True:
            event, channel, data = await self._next(self._activity)
            if event == "pusher_internal:subscription_succeeded" and channel == self._channel:
                return
            if event in ("pusher:error", "pusher:subscription_error"):
                raise error_of(data)
            await self._handle(event, channel, data)

    async def _next(self, timeout: float) -> tuple[str, str | None, Any]:
        aiohttp = _aiohttp()
        while True:
            msg = await self._ws.receive(timeout=timeout)
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    return read_frame(msg.data)
                except ProtocolError as exc:
                    # one bad frame is skipped: reconnecting would lose what comes next
                    log.warning("realtime: skipped %s", exc)
                    continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                continue  # not part of the protocol: ignored
            raise _Dropped(f"socket ended ({msg.type.name}, code {self._ws.close_code})")

    async def _handle(self, event: str, channel: str | None, data: Any) -> None:
        if event == "pusher:ping":
            await self._ws.send_str(frame("pusher:pong", {}))
        elif event == "pusher:error":
            error = error_of(data)
            if error.code is not None:
                raise error
            log.warning("realtime: %s", error)
        elif channel == self._channel and event == EVENT:
            self._emit(data)
        elif channel == self._channel and event == CHUNKED_EVENT:
            text = self._chunks.add(data)
            if text is not None:
                self._emit(text)

    def _emit(self, data: Any) -> None:
        event = event_from_data(data)
        if event is None:
            log.warning("realtime: skipped a trigger frame that is not a JSON object")
        elif self._filters.match(event):
            # the frame's characters (decoded objects take a few times that in memory)
            size = len(data) if isinstance(data, str) else len(frame("", data))
            self._chunks.make_room(size)
            self.budget.take(size)
            self._deliver((event, size))

    async def pump(self) -> None:
        """Frames of the subscribed socket until it ends: pings after silence, a missing
        pong (a half-open socket) ends it."""
        while True:
            try:
                event, channel, data = await self._next(self._activity)
            except asyncio.TimeoutError:
                await self._ws.send_str(frame("pusher:ping", {}))
                try:
                    event, channel, data = await self._next(min(PONG_TIMEOUT, self._activity))
                except asyncio.TimeoutError:
                    raise _Dropped("no pong within the pong timeout") from None
            await self._handle(event, channel, data)

    async def run(self) -> None:
        """After a first :meth:`connect`: pump, and on a drop reconnect with backoff and
        subscribe again, until cancelled, refused for good or over the budget (delivered as
        the error, after the events already delivered)."""
        try:
            await self._run()
        except BudgetExceeded:
            log.warning("realtime: %s", self.budget.exceeded())
            self._deliver(self.budget.exceeded())

    async def _run(self) -> None:
        aiohttp = _aiohttp()
        retryable = (_Dropped, aiohttp.ClientError, OSError, asyncio.TimeoutError, ProtocolError)
        attempt = 0
        while True:
            immediate = False
            try:
                await self.pump()
            except ProtocolError as exc:
                if exc.fatal:
                    self._deliver(_connect_error(exc, self._url, 0))
                    return
                immediate = exc.immediate
            except retryable:
                pass
            log.info("realtime: connection lost; reconnecting")
            self._chunks.clear()
            while True:
                if not immediate:
                    await asyncio.sleep(backoff(attempt))
                    attempt += 1
                immediate = False
                try:
                    await asyncio.wait_for(self.connect(), RECONNECT_TIMEOUT)
                except APIStatusError as exc:
                    if exc.status_code in (401, 403):
                        self._deliver(exc)
                        return
                except ProtocolError as exc:
                    if exc.fatal:
                        self._deliver(_connect_error(exc, self._url, 0))
                        return
                except (*retryable, APIError):
                    pass
                else:
                    attempt = 0
                    break

    async def drop_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def aclose(self) -> None:
        try:
            await self.drop_socket()
        finally:
            session, self._session = self._session, None
            if session is not None:
                await session.close()


def _prepare(config: Any, credentials: Any, filters: Filters) -> tuple[str, str]:
    url = app_url(config.realtime_url, credentials)
    return url, channel_name(credentials.project_id)


def _received(item: object, budget: Budget) -> TriggerEvent:
    """A queued ``(event, size)`` read by the consumer: its bytes leave the budget."""
    assert isinstance(item, tuple)
    event, size = item
    budget.release(size)
    assert isinstance(event, TriggerEvent)
    return event


# -- async -----------------------------------------------------------------------------------
class AsyncSubscription:
    """Trigger events as they happen, on ``AsyncComposio``: ``async for event in sub``.

    Returned by ``await client.triggers.subscribe(...)`` once subscribed. ``async with``
    closes it on exit; :meth:`close` ends iteration and leaves no task or socket behind.
    """

    __slots__ = ("__weakref__", "_closed", "_listener", "_loop", "_queue", "_task")
    _closed: bool
    _listener: _Listener
    _loop: asyncio.AbstractEventLoop
    _queue: asyncio.Queue[object]
    _task: asyncio.Future[None]

    def __init__(self) -> None:
        raise TypeError("use client.triggers.subscribe(...)")

    @classmethod
    async def _open(cls, client: AsyncComposio, filters: Filters) -> AsyncSubscription:
        _aiohttp()
        config = client._built.config
        credentials = await client._arun(credentials_operation())
        url, channel = _prepare(config, credentials, filters)
        ssl = await asyncio.to_thread(_ssl_for, url, config.verify)
        # unbounded in count: the listener's budget bounds it in bytes
        events: asyncio.Queue[object] = asyncio.Queue()

        async def authorize(socket_id: str, name: str) -> str:
            return await client._arun(auth_operation(socket_id, name))

        budget = Budget(config.realtime_max_buffer_bytes)
        listener = _Listener(url, channel, authorize, filters, ssl, events.put_nowait, budget)
        seconds = config.timeout.total
        try:
            await asyncio.wait_for(listener.connect(), seconds)
        except BaseException as exc:
            await asyncio.shield(listener.aclose())
            raise _connect_error(exc, url, seconds) from None
        self = object.__new__(cls)
        self._listener = listener
        self._queue = events
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.ensure_future(_run_async(listener, events))
        return self

    def __aiter__(self) -> AsyncSubscription:
        return self

    async def __anext__(self) -> TriggerEvent:
        if self._closed:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END or self._closed:
            self._queue.put_nowait(_END)  # wake any other reader too
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            await self.close()
            raise item
        return _received(item, self._listener.budget)

    async def close(self) -> None:
        """Unsubscribe: the socket closed, the reading task ended; iteration stops."""
        if self._closed:
            return
        self._closed = True
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        # A task cancelled before it first ran never enters its ``finally``: the socket and
        # session are closed here too (idempotent when the task already did it).
        await asyncio.shield(self._listener.aclose())
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_END)

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> AsyncSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True):
            return
        warnings.warn(
            "an AsyncSubscription was not closed; use 'async with' or await sub.close()",
            ResourceWarning,
            stacklevel=2,
        )
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)


async def _run_async(listener: _Listener, events: asyncio.Queue[object]) -> None:
    """The reading task: references the listener and the queue, never the subscription, so a
    forgotten subscription can be collected (and its ``__del__`` stops this)."""
    try:
        await listener.run()
    finally:
        await asyncio.shield(listener.aclose())
        with contextlib.suppress(asyncio.QueueFull):
            events.put_nowait(_END)


# -- sync ------------------------------------------------------------------------------------
class _Runner:
    """The sync subscription's thread and loop. The thread references this, never the
    :class:`Subscription`, so a forgotten subscription is collected and stops it (the vendor's
    thread outlived its subscription and reconnected forever, #3858)."""

    def __init__(self, client: Composio, url: str, channel: str, filters: Filters) -> None:
        # unbounded in count: the listener's budget bounds it in bytes
        self.events: queue.Queue[object] = queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.stop_event = asyncio.Event()
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.config = client._built.config
        self.url = url

        async def authorize(socket_id: str, name: str) -> str:
            # The client's sync chain, on this private loop's thread: nothing else runs on
            # it while the socket waits for the subscription.
            return client._run(auth_operation(socket_id, name))

        self.listener = _Listener(
            url,
            channel,
            authorize,
            filters,
            _ssl_for(url, self.config.verify),
            self.events.put_nowait,
            Budget(self.config.realtime_max_buffer_bytes),
        )
        self.thread = threading.Thread(
            target=self._main, name=f"composio-realtime:{_origin(url)}", daemon=True
        )

    def _main(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _serve(self) -> None:
        listener = self.listener
        seconds = self.config.timeout.total
        try:
            try:
                await asyncio.wait_for(listener.connect(), seconds)
            except BaseException as exc:
                self.ready.set_exception(_connect_error(exc, self.url, seconds))
                return
            self.ready.set_result(None)
            run = asyncio.ensure_future(listener.run())
            stop = asyncio.ensure_future(self.stop_event.wait())
            await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
            for task in (run, stop):
                task.cancel()
            await asyncio.gather(run, stop, return_exceptions=True)
        finally:
            await listener.aclose()
            self.put_end()

    def put_end(self) -> None:
        with contextlib.suppress(queue.Full):
            self.events.put_nowait(_END)

    def stop(self) -> None:
        """From any thread: ask the loop to end (idempotent; a closed loop has ended)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.stop_event.set)


class Subscription:
    """Trigger events as they happen, on ``Composio``: ``for event in sub``.

    Returned by ``client.triggers.subscribe(...)`` once subscribed. ``with`` closes it on
    exit. :meth:`close` may be called from any thread, or from inside the ``for`` body: it
    stops the subscription's loop, joins its thread and ends iteration.
    """

    __slots__ = ("__weakref__", "_closed", "_runner")
    _closed: bool
    _runner: _Runner

    def __init__(self) -> None:
        raise TypeError("use client.triggers.subscribe(...)")

    @classmethod
    def _open(cls, client: Composio, filters: Filters) -> Subscription:
        _aiohttp()
        credentials = client._run(credentials_operation())
        url, channel = _prepare(client._built.config, credentials, filters)
        runner = _Runner(client, url, channel, filters)
        runner.thread.start()
        try:
            runner.ready.result()
        except BaseException:
            runner.stop()
            runner.thread.join()
            raise
        self = object.__new__(cls)
        self._runner = runner
        self._closed = False
        return self

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> TriggerEvent:
        if self._closed:
            raise StopIteration
        item = self._runner.events.get()
        if item is _END or self._closed:
            self._runner.put_end()  # wake any other reader too
            raise StopIteration
        if isinstance(item, BaseException):
            self.close()
            raise item
        return _received(item, self._runner.listener.budget)

    def close(self) -> None:
        """Unsubscribe and wait until the socket is closed and the thread has ended.

        Idempotent, and safe when two threads close at once: stopping is idempotent and
        both may join the thread (no lock: none is needed, and a lock would need a fork
        reset, SPEC §12.8)."""
        self._closed = True
        runner = self._runner
        runner.stop()
        if threading.current_thread() is not runner.thread:
            runner.thread.join()
        runner.put_end()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True):
            return
        warnings.warn(
            "a Subscription was not closed; use 'with' or sub.close()",
            ResourceWarning,
            stacklevel=2,
        )
        self._runner.stop()
