"""A bounded queue drained by one lazily started daemon thread (SPEC §7).

Why a thread and a queue even for a custom transport: the caller's path must cost one enqueue
and nothing else, whatever the transport does (raise, block for seconds, hang forever).

* ``put`` is all a caller runs: a ``deque.append`` and two length checks. The thread is woken
  only when it sleeps idle or when ten batches wait -- not per event nor per batch: waking a
  thread costs the caller a futex syscall and a GIL hand-off, far more than the append.
* Bounded at ``maxsize``: when full, the oldest record is dropped and counted, so a dead
  endpoint costs memory for at most ``maxsize`` events.
* The thread sends batches of up to ``batch_size`` records when ten batches are queued or
  ``linger`` seconds after the first record, exits after ``idle`` seconds without events (a client
  dropped without ``close()`` does not pin a thread forever) and the next ``put`` restarts it.
* ``close(timeout)`` sends what is queued and waits at most ``timeout``; a transport that hangs
  is abandoned (the thread is a daemon).
* After ``os.fork()`` the child gets a fresh queue, lock and thread (:meth:`after_fork_in_child`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from composio.telemetry._event import Record, to_event

__all__ = ["THREAD_NAME", "EventQueue", "close_all"]

logger = logging.getLogger("composio")
THREAD_NAME = "composio-telemetry"
_EXIT_BUDGET = 1.0


class EventQueue:
    """The sink a ``telemetry`` middleware emits to; one per transport per root client."""

    def __init__(
        self,
        transport_factory: Callable[[], Any],
        *,
        owns_transport_state: bool,
        maxsize: int = 1000,
        batch_size: int = 10,
        linger: float = 0.2,
        idle: float = 30.0,
        wake_batches: int = 10,
    ) -> None:
        """``owns_transport_state``: the transport was made by the factory (the default HTTP
        one) and is rebuilt after a fork; a user's transport object is kept as is."""
        self._factory = transport_factory
        self._owns_transport_state = owns_transport_state
        self._maxsize = maxsize
        self._batch_size = batch_size
        #: a caller wakes the busy thread only once this many records wait (or it idles):
        #: every wake is a GIL hand-off the caller pays for, so wake per ten batches, not one.
        self._wake_at = batch_size * wake_batches
        self._linger = linger
        self._idle = idle
        self._transport: Any = None
        self._closed = False
        self.dropped = 0  #: records dropped because the queue was full
        self.sent = 0  #: records handed to the transport without an exception
        self.failed = 0  #: records whose ``send`` raised
        self.threads_started = 0
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._dq: deque[Any] = deque(maxlen=self._maxsize)
        self._wake = threading.Event()
        self._sleeping = False  #: the thread waits for a first event (wake it on put)
        self._flushes: list[threading.Event] = []
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- the caller's path ---------------------------------------------------------------
    def put(self, record: Record | dict[str, Any]) -> None:
        """Enqueue one record; never blocks on the transport, never raises."""
        if self._closed:
            return
        dq = self._dq
        if len(dq) >= self._maxsize:  # the append below pushes the oldest out
            self._count_drop()
        dq.append(record)
        if self._thread is None:
            self._start()
        elif self._sleeping or len(dq) >= self._wake_at:
            wake = self._wake
            if not wake.is_set():
                wake.set()

    def _count_drop(self) -> None:
        with self._lock:
            self.dropped += 1

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(
                target=self._run, args=(self._dq,), name=THREAD_NAME, daemon=True
            )
            self._thread = thread
            self.threads_started += 1
            _live.add(self)
            _register_atexit()
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down: no new threads
            with self._lock:
                self._thread = None

    # -- control -------------------------------------------------------------------------
    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        return len(self._dq)

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until everything queued so far was handed to the transport (bounded)."""
        if self._thread is None:
            return not self._dq
        done = threading.Event()
        self._flushes.append(done)
        self._wake.set()
        return done.wait(max(0.0, timeout))

    def close(self, timeout: float = 1.0) -> None:
        """Send what is queued, close the transport; give up after ``timeout`` seconds."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop = True
            thread = self._thread
        if thread is None:
            if not self._dq:
                self._close_transport()
                return
            # a put raced with close: drain on a short-lived thread, still bounded here
            thread = threading.Thread(
                target=self._run, args=(self._dq,), name=THREAD_NAME, daemon=True
            )
            thread.start()
        self._wake.set()
        thread.join(max(0.0, timeout))

    def after_fork_in_child(self) -> None:
        """The parent's thread does not exist here and its lock/queue may be mid-use."""
        self._reset()
        if self._owns_transport_state:
            self._transport = None  # its sockets belong to the parent

    # -- the telemetry thread ------------------------------------------------------------
    def _run(self, dq: deque[Any]) -> None:
        _suppress_instrumentation()
        wake = self._wake
        while self._dq is dq:  # after a fork reset this thread's generation is over
            if not dq and not self._flushes and not self._stop:
                wake.clear()  # before _sleeping: a put that sees _sleeping sets it again
                self._sleeping = True
                woke = bool(dq) or wake.wait(self._idle)
                self._sleeping = False
                if not woke and not dq and not self._flushes and not self._stop:
                    if self._retire(dq):
                        return
                    continue
            if dq and len(dq) < self._wake_at and not self._flushes and not self._stop:
                deadline = time.monotonic() + self._linger
                while len(dq) < self._wake_at and not self._flushes and not self._stop:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    wake.clear()
                    if len(dq) < self._wake_at:
                        wake.wait(remaining)
            self._send_queued(dq)
            while self._flushes:
                self._flush_transport()
                self._flushes.pop(0).set()
            if self._stop:
                self._send_queued(dq, drain=True)
                self._close_transport()
                return

    def _send_queued(self, dq: deque[Any], drain: bool = False) -> None:
        """Send what was queued when this drain began, in batches of ``batch_size``
        (everything, including later arrivals, when draining, flushing or stopping).

        Under steady load events keep arriving during the POSTs; draining to empty would send
        the stragglers one by one. They wait for the next wake-up instead, so batches stay full.
        """
        budget = len(dq)
        while dq and (budget > 0 or drain or self._flushes or self._stop):
            batch: list[Any] = []
            with contextlib.suppress(IndexError):
                while len(batch) < self._batch_size:
                    batch.append(dq.popleft())
            budget -= len(batch)
            if batch:
                self._deliver(batch)

    def _retire(self, dq: deque[Any]) -> bool:
        """Idle: give up the thread slot; keep it if a ``put`` raced in. True = exit."""
        me = threading.current_thread()
        with self._lock:
            if self._dq is not dq or self._thread is not me:
                return True
            self._thread = None
        # A put that read ``_thread`` before it became None saw a live thread and did not
        # start one: its record is in ``dq`` by now, so look again before leaving.
        if not dq:
            return True
        with self._lock:
            if self._thread is None:
                self._thread = me
                return False
        return True

    def _get_transport(self) -> Any:
        if self._transport is None:
            self._transport = self._factory()
        return self._transport

    def _deliver(self, batch: list[Any]) -> None:
        events = [to_event(r) if isinstance(r, tuple) else r for r in batch]
        try:
            self._get_transport().send(events)
        except Exception as exc:
            self.failed += len(events)
            logger.debug("composio: telemetry batch not sent (%s)", type(exc).__name__)
        else:
            self.sent += len(events)

    def _flush_transport(self) -> None:
        flush = getattr(self._transport, "flush", None)
        if callable(flush):
            try:
                flush(1.0)
            except Exception as exc:
                logger.debug("composio: telemetry flush failed (%s)", type(exc).__name__)

    def _close_transport(self) -> None:
        transport = self._transport
        if transport is None:
            return
        self._flush_transport()
        try:
            transport.close()
        except Exception as exc:
            logger.debug("composio: telemetry transport close failed (%s)", type(exc).__name__)


def _suppress_instrumentation() -> None:
    """This thread's own HTTP posts must never show up as application spans."""
    try:
        from opentelemetry import context
    except ImportError:  # pragma: no cover - opentelemetry-api is a dependency
        return
    ctx = context.get_current()
    for name in ("_SUPPRESS_HTTP_INSTRUMENTATION_KEY", "_SUPPRESS_INSTRUMENTATION_KEY"):
        key = getattr(context, name, None)
        if key is not None:
            ctx = context.set_value(key, True, ctx)
    context.attach(ctx)


_live: weakref.WeakSet[EventQueue] = weakref.WeakSet()
_atexit_registered = False


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(close_all, _EXIT_BUDGET)


def close_all(timeout: float = _EXIT_BUDGET) -> None:
    """Flush every live queue, all of them together within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for sink in list(_live):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        with contextlib.suppress(Exception):  # close never raises by design; belt and braces
            sink.close(remaining)
