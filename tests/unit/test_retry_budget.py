"""The retry budget (SPEC §5): 20% of recent requests plus 10 retries per second."""

from __future__ import annotations

import threading

import pytest

from composio._retry_budget import RetryBudget


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def spend_all(budget: RetryBudget, limit: int = 100_000) -> int:
    n = 0
    while n < limit and budget.try_spend():
        n += 1
    return n


def test_ratio_of_recent_requests_plus_the_per_second_floor() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, per_second=10, clock=clock)
    for _ in range(100):
        budget.record_request()
    assert spend_all(budget) == 20 + 10


def test_a_quiet_client_still_gets_the_floor_every_second() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, per_second=10, clock=clock)
    budget.record_request()
    assert spend_all(budget) == 10
    clock.now += 1.0
    assert spend_all(budget) == 10  # a new second, a new floor
    clock.now += 0.5
    assert spend_all(budget) == 0  # same second


def test_requests_fall_out_of_the_window() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.5, per_second=0, window=10, clock=clock)
    for _ in range(10):
        budget.record_request()
    clock.now += 5
    for _ in range(10):
        budget.record_request()
    assert budget.snapshot()["requests"] == 20
    clock.now += 5  # the first ten are now 10 s old: gone
    assert budget.snapshot()["requests"] == 10
    assert spend_all(budget) == 5
    clock.now += 4
    assert spend_all(budget) == 0  # retries spent 4 s ago still count
    clock.now += 1  # the second ten expire; the retries (spent at +10 s) have not yet
    assert budget.snapshot() == {"requests": 0, "retries": 5, "floor_used": 0}
    clock.now += 5
    assert budget.snapshot() == {"requests": 0, "retries": 0, "floor_used": 0}
    clock.now += 1000  # a long idle gap clears everything in O(window)
    budget.record_request()
    budget.record_request()
    assert spend_all(budget) == 1


def test_spent_retries_count_against_the_ratio() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, per_second=0, clock=clock)
    for _ in range(50):
        budget.record_request()
    assert spend_all(budget) == 10
    for _ in range(5):
        budget.record_request()
    assert spend_all(budget) == 1  # 0.2 * 55 = 11 in total


def test_disabled_budget_spends_nothing() -> None:
    budget = RetryBudget(ratio=0, per_second=0)
    for _ in range(1000):
        budget.record_request()
    assert not budget.try_spend()


def test_bad_window_rejected() -> None:
    with pytest.raises(ValueError):
        RetryBudget(window=0)


def test_thread_safe_counting_and_spending() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, per_second=10, clock=clock)
    barrier = threading.Barrier(8)
    granted = [0] * 8

    def worker(i: int) -> None:
        barrier.wait(timeout=10)
        for _ in range(5000):
            budget.record_request()
            if budget.try_spend():
                granted[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert budget.snapshot()["requests"] == 40_000
    # Every grant was paid for exactly once, whatever the interleaving.
    assert sum(granted) == budget.snapshot()["retries"] + budget.snapshot()["floor_used"]
    assert sum(granted) <= 0.2 * 40_000 + 10


def test_after_fork_in_child_starts_empty() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, per_second=0, clock=clock)
    for _ in range(100):
        budget.record_request()
    budget.after_fork_in_child()
    assert budget.snapshot() == {"requests": 0, "retries": 0, "floor_used": 0}
    assert not budget.try_spend()
