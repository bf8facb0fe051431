"""The per-root-client retry budget (SPEC §5).

Why a budget at all: per-call ``max_retries`` alone lets a failing backend be hit with
``(max_retries + 1)x`` its normal load exactly when it can least take it. The budget bounds
retries *across* calls: at most ``ratio`` of the requests started in the last ``window``
seconds, plus a floor of ``per_second`` retries in every wall-clock second so that a quiet
client (one call a minute) still gets its retry.

Why buckets: one counter pair per second in a ring of ``window`` slots makes both operations
O(1) and allocation-free; the success path pays one lock round-trip and two increments.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Budget", "RetryBudget"]


class Budget(Protocol):
    """What the ``retry`` middleware needs of a retry budget: this module's per-client one,
    or one a plugin supplies through ``composio_retry_budget`` (SPEC §16: shared by a fleet).

    The sync client calls ``record_request``/``try_spend``; the async client awaits
    ``arecord_request``/``atry_spend``, so a budget kept across the network never blocks the
    event loop. ``try_spend`` is asked only for a retry that will otherwise happen.
    """

    def record_request(self) -> None: ...
    def try_spend(self) -> bool: ...
    async def arecord_request(self) -> None: ...
    async def atry_spend(self) -> bool: ...


class RetryBudget:
    """Retries may not exceed ``ratio`` of recent requests plus ``per_second`` per second.

    Shared by a root client, its sessions and ``with_options`` copies; thread-safe.
    ``clock`` (seconds, monotonic) is injectable for tests.
    """

    __slots__ = (
        "_floor_used",
        "_lock",
        "_now",
        "_requests",
        "_requests_total",
        "_retries",
        "_retries_total",
        "clock",
        "per_second",
        "ratio",
        "window",
    )

    def __init__(
        self,
        ratio: float = 0.2,
        per_second: float = 10.0,
        window: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least one second")
        self.ratio = ratio
        self.per_second = per_second
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._requests = [0] * window  #: first attempts started in each second of the ring
        self._retries = [0] * window  #: retries paid from the ratio in each second
        self._requests_total = 0  #: sums over the ring, kept incrementally
        self._retries_total = 0
        self._now = int(clock())  #: the second the ring's newest slot belongs to
        self._floor_used = 0  #: retries paid from this second's floor

    def _advance(self, now: int) -> None:
        """Drop the slots that fell out of the window (caller holds the lock)."""
        last = self._now
        if now <= last:  # same second, or a clock that went backwards: keep counting
            return
        w = self.window
        for second in range(last + 1, min(now, last + w) + 1):
            i = second % w
            self._requests_total -= self._requests[i]
            self._retries_total -= self._retries[i]
            self._requests[i] = 0
            self._retries[i] = 0
        self._now = now
        self._floor_used = 0

    def record_request(self) -> None:
        """Count one operation's first attempt (retries are counted by :meth:`try_spend`)."""
        now = int(self.clock())
        with self._lock:
            if now != self._now:
                self._advance(now)
            self._requests[self._now % self.window] += 1
            self._requests_total += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget; ``False`` when it is spent (do not retry)."""
        now = int(self.clock())
        with self._lock:
            if now != self._now:
                self._advance(now)
            if self._retries_total + 1 <= self.ratio * self._requests_total:
                self._retries[self._now % self.window] += 1
                self._retries_total += 1
                return True
            if self._floor_used < self.per_second:
                self._floor_used += 1
                return True
            return False

    async def arecord_request(self) -> None:
        """:meth:`record_request` for the async client (no I/O: it never awaits)."""
        self.record_request()

    async def atry_spend(self) -> bool:
        """:meth:`try_spend` for the async client (no I/O: it never awaits)."""
        return self.try_spend()

    def after_fork_in_child(self) -> None:
        """A forked child starts with a fresh lock (the parent's may be held) and no history."""
        self._lock = threading.Lock()
        self._requests = [0] * self.window
        self._retries = [0] * self.window
        self._requests_total = self._retries_total = self._floor_used = 0
        self._now = int(self.clock())

    def snapshot(self) -> dict[str, int]:
        """Requests and ratio-paid retries in the current window (for tests and debugging)."""
        now = int(self.clock())
        with self._lock:
            if now != self._now:
                self._advance(now)
            return {
                "requests": self._requests_total,
                "retries": self._retries_total,
                "floor_used": self._floor_used,
            }
