"""The public-operation scope behind SPEC §12.11 (one event per public call), without a network:
a reporter records what the scope emits."""

from __future__ import annotations

import asyncio
import threading

import pytest

from composio.telemetry._scope import current_scope, public_operation


class Reporter:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[tuple[str, str, int]] = []
        self.fail = fail

    def emit(self, name: str, started: float, t0: float, status: str, attempts: int) -> None:
        if self.fail:
            raise RuntimeError("telemetry is broken")
        self.events.append((name, status, attempts))


def _request(reporter: Reporter, outcome: str = "ok") -> None:
    """What the telemetry middleware does for one HTTP call inside a scope."""
    scope = current_scope()
    assert scope is not None and scope.claim(reporter)
    scope.note(1, outcome)


def test_nested_public_calls_are_one_event_named_after_the_outer_one() -> None:
    reporter = Reporter()

    @public_operation("tools.list")
    def inner() -> None:
        _request(reporter)

    @public_operation("tools.get")
    def outer() -> str:
        inner()
        inner()
        return "done"

    assert outer() == "done"
    inner()
    assert reporter.events == [("tools.get", "ok", 2), ("tools.list", "ok", 1)]
    assert current_scope() is None


def test_the_raised_error_is_the_status_and_a_broken_reporter_never_replaces_it() -> None:
    good, broken = Reporter(), Reporter(fail=True)
    for reporter in (good, broken):

        @public_operation("tools.list")
        def call(r: Reporter = reporter) -> None:
            _request(r)
            raise KeyError("parse failed")

        with pytest.raises(KeyError):
            call()
        assert current_scope() is None
    assert good.events == [("tools.list", "KeyError", 1)]
    assert broken.events == []


def test_without_a_request_nothing_is_reported() -> None:
    @public_operation("tools.get")
    def bad_input() -> None:
        raise ValueError("user_id must be a non-empty string")

    with pytest.raises(ValueError):
        bad_input()
    assert current_scope() is None


def test_the_last_request_outcome_is_kept_when_nothing_is_raised() -> None:
    reporter = Reporter()

    @public_operation("tools.execute")
    def run() -> None:
        _request(reporter, "ToolExecutionError")  # raise_on_error=False

    run()
    assert reporter.events == [("tools.execute", "ToolExecutionError", 1)]


def test_async_operations_and_threads_have_their_own_scopes() -> None:
    reporter = Reporter()
    entered = threading.Barrier(2)

    @public_operation("tools.list")
    async def listing(n: int) -> int:
        _request(reporter)
        await asyncio.sleep(0)  # interleave the two tasks inside their scopes
        _request(reporter)
        return n

    async def both() -> list[int]:
        return list(await asyncio.gather(listing(1), listing(2)))

    assert asyncio.run(both()) == [1, 2]
    assert reporter.events == [("tools.list", "ok", 2), ("tools.list", "ok", 2)]

    seen: list[object] = []

    @public_operation("toolkits.list")
    def in_thread() -> None:
        entered.wait(5)  # both threads are inside their own scope at once
        seen.append(current_scope())
        _request(reporter)

    threads = [threading.Thread(target=in_thread) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert reporter.events[2:] == [("toolkits.list", "ok", 1)] * 2
