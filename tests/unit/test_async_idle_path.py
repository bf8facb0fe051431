"""An idle AsyncComposio's admission costs no coroutine (SPEC §19): the pool gate's free slot
and the pacer's start are plain calls, and the waiting paths are unchanged."""

from __future__ import annotations

import asyncio

import pytest

from composio.async_transport import _Gate, _Pacer


@pytest.mark.asyncio
async def test_gate_takes_a_free_slot_without_waiting_and_refuses_when_none() -> None:
    gate = _Gate(2)
    dead: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    dead.cancel()
    gate.waiters.append(dead)  # a waiter that gave up: skipped, then dropped
    assert gate.take() and gate.take()
    assert gate.free == 0 and not gate.waiters
    assert gate.take() is False
    assert gate.free == 0
    gate.release()
    assert gate.free == 1


@pytest.mark.asyncio
async def test_pacer_admits_a_turns_budget_then_hands_out_futures_for_the_next_turn() -> None:
    pacer = _Pacer(2)
    assert pacer.start() is None and pacer.start() is None
    turn = pacer.start()
    assert turn is not None and not turn.done()
    await turn  # the refill scheduled by the first start admits it on a later turn
    assert turn.done()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert pacer.start() is None  # a new turn, a new budget
