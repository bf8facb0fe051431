"""Break-10 review of issue 21's third pass on the async fast exchange (``composio._async_wire``):
one timer per pool (``Timers``) watching every exchange in flight.

Each case runs on the fast exchange and on aiohttp's own path (``COMPOSIO_AIOHTTP_ONLY=1``,
the reference), against a raw loopback server (``tests/integration/_raw_servers.py``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from composio import APIConnectionError, AsyncComposio, Timeout
from tests.integration import test_issue21_async_wire as wire_tests
from tests.integration._raw_servers import Behaviour, raw_server
from tests.integration.test_issue21_async_wire import FIRST, KEY

#: the fast exchange and aiohttp's own path (``COMPOSIO_AIOHTTP_ONLY=1``), as there
path = wire_tests.path

#: calls in flight at once, each on its own kept-alive connection
_CALLS = 8
_T = 0.3
#: call i's timeout is _T + i * _STEP: the next few are due within 2 ms of the first
_STEP = 0.0004


def _stall_or_answer() -> Behaviour:
    """``/stall`` is never answered (only the client's timers end it); anything else gets a
    kept-alive 200 at once."""

    def serve(conn: socket.socket, head: bytes, stop: threading.Event) -> bool | None:
        if head.startswith(b"GET /stall"):
            stop.wait(30)
            return None
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(FIRST), FIRST))
        return True

    return serve


@pytest.mark.parametrize("which", ["total", "read"])
def test_break10_no_call_times_out_before_its_own_timeout(which: str, path: str) -> None:
    """The shared timer runs at the earliest due of the exchanges in flight and asks each
    whether it is due. It answered "yes" to any exchange due within ``TIMER_SLOP`` (2 ms)
    of that moment -- a slop meant for an exchange's own timer run early by the clock --
    so calls due a moment after the first failed up to 2 ms before their own deadline or
    read timeout (a per-call timer, and aiohttp's path, never do). Here 8 calls start
    one after another in one turn of the loop, call i with a timeout of 0.3 s + i * 0.4 ms;
    none may fail before its own timeout has run from its own start."""

    def timeout(i: int) -> Timeout:
        t = _T + i * _STEP
        return Timeout(connect=1.0, total=t) if which == "total" else Timeout(connect=1.0, read=t)

    kind = "deadline" if which == "total" else "read_timeout"

    async def run(url: str) -> list[tuple[float, float, str]]:
        async with AsyncComposio(
            api_key=KEY, base_url=url, allow_tracking=False, max_retries=0
        ) as client:
            # _CALLS connections opened side by side, then idle: each call below borrows one
            await asyncio.gather(*(client.request("GET", "/first") for _ in range(_CALLS)))

            async def one(i: int) -> tuple[float, float, str]:
                started = time.monotonic()
                with pytest.raises(APIConnectionError) as info:
                    await client.request("GET", "/stall", timeout=timeout(i))
                elapsed = time.monotonic() - started
                return _T + i * _STEP, elapsed, info.value.kind  # type: ignore[attr-defined]

            return await asyncio.gather(*(one(i) for i in range(_CALLS)))

    with raw_server(_stall_or_answer()) as server:
        results = asyncio.run(run(server.url))
        assert server.connections == _CALLS  # every timed call borrowed an idle connection
    assert {k for _, _, k in results} == {kind}
    early = [(t, round(elapsed, 5)) for t, elapsed, _ in results if elapsed < t]
    assert early == [], f"(timeout, elapsed) of calls that failed before their {which}: {early}"
