"""The state machine of one host's circuit: closed -> open -> half-open -> closed or open.

Why a lock per circuit and not a lock-free counter: the transitions are compound (count a
failure *and* maybe open; grant the one probe *and* leave open), and a plain lock held for a
few attribute writes costs well under a microsecond uncontended. Nothing is done under the
lock but arithmetic: no I/O, no logging, no callbacks, so it is also safe to take on an event
loop's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from composio import ComposioError

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "Circuit", "CircuitOpenError"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


class CircuitOpenError(ComposioError):
    """The circuit for ``origin`` is open: the request was *not* sent.

    Not an ``APIConnectionError`` on purpose: nothing was attempted, and the SDK's retry layer
    must never retry it (with or without this plugin's retry hook), or an open circuit would be
    met with backoff sleeps instead of failing fast.

    ``failures``: consecutive failures that opened it. ``half_open_in``: seconds until one
    probe request is let through (0.0 when the circuit is half-open and its probe is still in
    flight). ``state``: ``"open"`` or ``"half-open"``.
    """

    origin: str
    failures: int
    half_open_in: float
    state: str

    def __init__(
        self, message: str, *, origin: str, failures: int, half_open_in: float, state: str
    ) -> None:
        super().__init__(message)
        self.origin = origin
        self.failures = failures
        self.half_open_in = half_open_in
        self.state = state


class Circuit:
    """One host's breaker. Thread-safe; ``clock`` is monotonic seconds."""

    __slots__ = (
        "_clock",
        "_cooldown",
        "_failures",
        "_lock",
        "_opened_at",
        "_probing",
        "_state",
        "_threshold",
        "origin",
    )

    def __init__(
        self, origin: str, threshold: int, cooldown: float, clock: Callable[[], float]
    ) -> None:
        self.origin = origin
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0  #: consecutive failures (reset by a success)
        self._opened_at = 0.0
        self._probing = False  #: the one half-open probe is in flight

    # -- before an attempt -------------------------------------------------------------
    def admit(self, method: str, url: str) -> bool:
        """Let a request through (``True`` if it is the half-open probe) or raise
        :class:`CircuitOpenError` naming ``method`` and the path of ``url``."""
        if self._state is CLOSED:  # the hot path: one attribute read, no lock
            return False
        with self._lock:
            state = self._state
            if state is CLOSED:
                return False
            if state is OPEN:
                wait = self._opened_at + self._cooldown - self._clock()
                if wait > 0:
                    failures = self._failures
                else:
                    self._state = HALF_OPEN
                    self._probing = True
                    return True
            elif not self._probing:  # half-open, the last probe ended without a verdict
                self._probing = True
                return True
            else:
                wait, failures = 0.0, self._failures
        raise self._error(state, wait, failures, method, url)

    def _error(
        self, state: str, wait: float, failures: int, method: str, url: str
    ) -> CircuitOpenError:
        path = url[len(self.origin) :].split("?", 1)[0] or "/"  # never the query: it may be private
        if state is OPEN:
            detail = f"it half-opens in {wait:.1f}s, when one probe request is let through"
        else:
            detail = (
                "it is half-open and its one probe request is still in flight; the circuit "
                "closes if the probe succeeds"
            )
        return CircuitOpenError(
            f"{method} {path} was not sent: the circuit breaker for {self.origin} is {state} after "
            f"{failures} consecutive failure{'s' if failures != 1 else ''}; {detail}.",
            origin=self.origin,
            failures=failures,
            half_open_in=max(wait, 0.0),
            state=state,
        )

    # -- after an attempt --------------------------------------------------------------
    def success(self, probe: bool) -> None:
        if not probe and self._state is CLOSED and self._failures == 0:
            return  # the hot path again: nothing to reset
        with self._lock:
            if probe or self._state is CLOSED:
                self._state = CLOSED
                self._failures = 0
                self._probing = False
            # A straggler that was admitted while closed and answered after the circuit
            # opened proves little about the host now: only the probe may close it.

    def failure(self, probe: bool) -> None:
        with self._lock:
            self._failures += 1
            if probe:  # the probe failed: open again, for a fresh cool-down
                self._state = OPEN
                self._opened_at = self._clock()
                self._probing = False
            elif self._state is CLOSED and self._failures >= self._threshold:
                self._state = OPEN
                self._opened_at = self._clock()
            # A straggler failing while open or half-open only adds to the count.

    def neutral(self, probe: bool) -> None:
        """An outcome that says nothing about the host (a 429, the call's own deadline, a
        cancelled task): a probe gives its slot back so the next request probes instead."""
        if probe:
            with self._lock:
                if self._state is HALF_OPEN:
                    self._probing = False

    # -- reading -----------------------------------------------------------------------
    def rejects(self) -> bool:
        """Would a request now be refused? (The retry hook asks before the SDK retries.)"""
        with self._lock:
            if self._state is OPEN:
                return self._opened_at + self._cooldown > self._clock()
            return self._state is HALF_OPEN and self._probing

    @property
    def state(self) -> str:
        return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def __repr__(self) -> str:
        return f"<Circuit {self.origin} {self._state} failures={self._failures}>"
