"""The telemetry queue (SPEC §7) with in-memory transports: batching, bounds, drops, close."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from composio.telemetry import EVENT_FIELDS
from composio.telemetry._event import Record, to_event
from composio.telemetry._queue import THREAD_NAME, EventQueue

WAIT = 5.0  # bound for "eventually"; never a synchronisation sleep


def _record(i: int = 0) -> Record:
    return (f"op{i}", 1.5, 1_700_000_000.25, "ok", 1, "openai")


class Collect:
    """Records batches and the thread they arrived on; optionally blocks the first send."""

    def __init__(self, block_first: bool = False) -> None:
        self.batches: list[list[Mapping[str, Any]]] = []
        self.threads: set[str] = set()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.got = threading.Condition()
        self.closed = False
        if not block_first:
            self.release.set()

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.release.wait(WAIT)
        with self.got:
            self.batches.append(list(events))
            self.got.notify_all()

    def close(self) -> None:
        self.closed = True

    def count(self) -> int:
        return sum(len(b) for b in self.batches)

    def wait_for(self, n: int) -> bool:
        with self.got:
            return self.got.wait_for(lambda: self.count() >= n, WAIT)


def _queue(transport: Any, **kw: Any) -> EventQueue:
    return EventQueue(lambda: transport, owns_transport_state=False, **kw)


def test_event_has_exactly_the_spec_fields() -> None:
    event = to_event(_record())
    assert tuple(event) == EVENT_FIELDS
    assert event["source"] == "PYTHON_SDK"
    assert event["functionName"] == "op0"
    assert event["durationMs"] == 1.5
    assert event["timestamp"] == "2023-11-14T22:13:20.250Z"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", event["sdkVersion"])


def test_thread_starts_lazily_and_sends_off_the_callers_thread() -> None:
    t = Collect()
    q = _queue(t)
    assert q.thread is None
    before = set(threading.enumerate())  # other tests' idle telemetry threads may linger
    q.put(_record())
    assert q.thread is not None and q.thread.name == THREAD_NAME
    assert q.thread not in before
    assert t.wait_for(1)  # the linger timer sends a lone event without any flush
    assert t.threads == {THREAD_NAME}
    q.close()
    assert t.closed


def test_batches_hold_at_most_ten_events() -> None:
    t = Collect(block_first=True)
    q = _queue(t)
    q.put(_record(0))
    assert t.entered.wait(WAIT)  # the thread is stuck in the first send
    for i in range(1, 26):
        q.put(_record(i))
    t.release.set()
    assert q.flush(WAIT)
    assert [len(b) for b in t.batches] == [1, 10, 10, 5]
    assert [e["functionName"] for b in t.batches for e in b] == [f"op{i}" for i in range(26)]
    q.close()


def test_steady_load_keeps_batches_full() -> None:
    """Events arriving during slow POSTs wait for the next wake-up instead of going one by one,
    and callers wake the thread once per ten batches, not per event."""
    t = Collect(block_first=True)
    q = _queue(t, linger=60.0)  # no timer-driven partial batch within this test
    for i in range(99):
        q.put(_record(i))
    assert not t.entered.is_set()  # 99 waiting: no caller has woken the lingering thread
    q.put(_record(99))
    assert t.entered.wait(WAIT)  # the 100th woke it; its first send is blocked
    for i in range(100, 125):
        q.put(_record(i))
    t.release.set()
    assert t.wait_for(100)
    assert q.qsize() == 25  # the stragglers wait for the next wake-up
    for i in range(125, 200):
        q.put(_record(i))
    assert t.wait_for(200)
    assert [len(b) for b in t.batches] == [10] * 20
    assert [e["functionName"] for b in t.batches for e in b] == [f"op{i}" for i in range(200)]
    q.close()


def test_overflow_drops_the_oldest_and_counts() -> None:
    t = Collect(block_first=True)
    q = _queue(t)
    q.put(_record(-1))
    assert t.entered.wait(WAIT)
    for i in range(1025):
        q.put(_record(i))
    assert q.qsize() == 1000
    assert q.dropped == 25
    t.release.set()
    assert q.flush(WAIT)
    names = [e["functionName"] for b in t.batches for e in b]
    assert names == ["op-1"] + [f"op{i}" for i in range(25, 1025)]
    assert q.sent == 1001
    q.close()


def test_a_raising_transport_is_counted_and_never_reaches_the_caller() -> None:
    class Raising:
        calls = 0

        def send(self, events: list[Mapping[str, Any]]) -> None:
            Raising.calls += 1
            raise OSError("endpoint down")

        def close(self) -> None:
            raise RuntimeError("close fails too")

    q = _queue(Raising())
    for i in range(3):
        q.put(_record(i))
    assert q.flush(WAIT)
    assert q.failed == 3 and q.sent == 0
    q.close()  # does not raise


def test_a_failing_factory_is_counted() -> None:
    def factory() -> Any:
        raise RuntimeError("cannot build")

    q = EventQueue(factory, owns_transport_state=True)
    q.put(_record())
    assert q.flush(WAIT)
    assert q.failed == 1
    q.close()


def test_close_is_bounded_with_a_hanging_transport() -> None:
    t = Collect(block_first=True)  # never released until the end of the test
    q = _queue(t)
    q.put(_record())
    assert t.entered.wait(WAIT)
    started = time.monotonic()
    q.close(timeout=0.3)
    assert time.monotonic() - started < 2.0
    q.put(_record())  # after close: ignored, no error
    t.release.set()


def test_close_sends_what_is_queued() -> None:
    t = Collect()
    q = _queue(t, linger=60.0)  # only close can send these
    for i in range(3):
        q.put(_record(i))
    q.close(timeout=WAIT)
    assert t.count() == 3
    assert t.closed


def test_idle_thread_retires_and_a_new_put_restarts_it() -> None:
    t = Collect()
    q = _queue(t, idle=0.05)
    q.put(_record(0))
    first = q.thread
    assert first is not None and t.wait_for(1)
    first.join(WAIT)
    assert not first.is_alive()
    assert q.thread is None
    q.put(_record(1))
    assert q.thread is not None and q.thread is not first
    assert t.wait_for(2)
    assert q.threads_started == 2
    q.close()


def test_flush_without_thread_is_immediate() -> None:
    q = _queue(Collect())
    assert q.flush(0.0) is True
    q.close()


def test_after_fork_reset_gives_a_fresh_queue_and_no_thread() -> None:
    t = Collect(block_first=True)
    q = _queue(t)
    q.put(_record())
    assert t.entered.wait(WAIT)
    q.put(_record(1))
    q.after_fork_in_child()  # what the child sees: the parent's thread is gone
    assert q.thread is None and q.qsize() == 0
    t.release.set()
    q.put(_record(2))
    assert q.thread is not None
    assert q.flush(WAIT)
    q.close()


@pytest.mark.parametrize("n", [1, 10])
def test_put_never_blocks_on_the_transport(n: int) -> None:
    """Bounded wall time only (no perf assert): 1000 puts while the transport is stuck."""
    t = Collect(block_first=True)
    q = _queue(t)
    q.put(_record())
    assert t.entered.wait(WAIT)
    started = time.monotonic()
    for i in range(1000 * n):
        q.put(_record(i))
    assert time.monotonic() - started < 5.0
    t.release.set()
    q.close()
