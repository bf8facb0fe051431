"""The waiting logic of ``wait_for_connection``, driven by hand: it is a flow (no I/O), the
same generator both clients run, so its decisions are checked here without a server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from composio import (
    APIConnectionError,
    APITimeoutError,
    ConnectedAccount,
    ConnectionFailedError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from composio._operation import Operation, Sleep
from composio._ops.connected_accounts import POLL_CAP, backoff, wait_for_account


def _account(status: str) -> ConnectedAccount:
    return ConnectedAccount.from_dict({"id": "ca_1", "status": status})


def _flow(timeout: float = 30.0) -> Any:
    return wait_for_account("ca_1", timeout=timeout, extra_headers=None)


def _status_error(cls: type, status: int) -> Any:
    return cls("x", request=None, status_code=status)


def test_polls_at_once_then_sleeps_with_backoff_then_returns_active() -> None:
    flow = _flow()
    first = next(flow)
    assert isinstance(first, Operation)
    assert (first.method, first.path) == ("GET", "/connected_accounts/ca_1")
    assert first.name == "connected_accounts.wait_for_connection"
    # Each poll's call deadline is capped by the wait's own.
    assert first.options.deadline is not None
    assert first.options.deadline <= time.monotonic() + 30.0
    waits = []
    step = flow.send(_account("INITIATED"))
    for _ in range(6):
        assert isinstance(step, Sleep)
        waits.append(step.seconds)
        assert isinstance(flow.send(None), Operation)
        step = flow.send(_account("INITIATED"))
    assert 0.375 <= waits[0] <= 0.625
    assert all(w <= POLL_CAP for w in waits) and waits[-1] >= 0.75 * POLL_CAP
    assert isinstance(step, Sleep)
    flow.send(None)
    with pytest.raises(StopIteration) as done:
        flow.send(_account("ACTIVE"))
    assert done.value.value.status == "ACTIVE"


@pytest.mark.parametrize("state", ["FAILED", "EXPIRED", "INACTIVE", "REVOKED", "failed"])
def test_a_terminal_state_raises_connection_failed(state: str) -> None:
    flow = _flow()
    next(flow)
    with pytest.raises(ConnectionFailedError) as info:
        flow.send(_account(state))
    assert info.value.status == state.upper() and info.value.account_id == "ca_1"


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError("reset", request=None, kind="reset"),
        _status_error(InternalServerError, 503),
        RateLimitError("slow down", request=None, status_code=429),
    ],
    ids=["connection", "5xx", "429"],
)
def test_a_transient_poll_failure_is_polled_again(error: Exception) -> None:
    flow = _flow()
    next(flow)
    assert isinstance(flow.throw(error), Sleep)
    assert isinstance(flow.send(None), Operation)


def test_any_other_error_ends_the_wait() -> None:
    flow = _flow()
    next(flow)
    with pytest.raises(NotFoundError):
        flow.throw(_status_error(NotFoundError, 404))


def test_the_last_sleep_is_cut_to_the_deadline_and_then_it_times_out() -> None:
    flow = _flow(timeout=0.2)
    next(flow)
    step = flow.send(_account("INITIATED"))
    assert isinstance(step, Sleep) and step.seconds <= 0.2
    time.sleep(step.seconds)  # what the driver does with the step
    with pytest.raises(APITimeoutError) as info:
        flow.send(None)
    assert "INITIATED" in str(info.value) and info.value.kind == "deadline"


def test_a_poll_timing_out_at_the_deadline_is_the_waits_timeout() -> None:
    flow = _flow(timeout=0.05)
    next(flow)
    time.sleep(0.06)
    late = APITimeoutError("deadline", request=None, kind="deadline")
    with pytest.raises(APITimeoutError) as info:
        flow.throw(late)
    assert "was not ACTIVE within 0.05s" in str(info.value)
    assert info.value.__cause__ is late


def test_backoff_doubles_from_half_a_second_to_the_cap_with_bounded_jitter() -> None:
    for attempt in range(12):
        for rand in (0.0, 0.5, 0.999):
            wait = backoff(attempt, rand)
            base = min(0.5 * 2**attempt, POLL_CAP)
            assert 0.75 * base <= wait <= min(1.25 * base, POLL_CAP)
    assert backoff(0, 0.5) == 0.5 and backoff(3, 0.5) == 4.0 and backoff(9, 0.999) == POLL_CAP
