"""Regressions found by the break2 review of issue 16's gate, external URLs and composio-redis.

Each test is named for what it breaks; all run on the public API against loopback servers.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from composio import ClientClosedError
from tests.integration._raw_servers import raw_server
from tests.integration.test_pool_gate import _async_client, _paths, _routes, _until


@pytest.mark.asyncio
async def test_break2_a_call_waiting_for_a_slot_when_close_runs_is_client_closed() -> None:
    """``pool_maxsize=1``, its slot held: a call waiting at the gate when ``close()`` runs is
    ``ClientClosedError`` once the slot comes back (it was aiohttp's bare ``RuntimeError:
    Session is closed``: the session was taken before the wait), and sends nothing; the
    call whose connection ``close()`` closed under it is ``ClientClosedError`` too, not a
    "reset" blamed on the server."""
    held, release = threading.Event(), threading.Event()
    with raw_server(_routes(held, release)) as server:
        client = _async_client(server.url, pool_maxsize=1, max_retries=0)  # nothing masks it
        holder = asyncio.ensure_future(client.request("GET", "/hold"))
        try:
            assert await asyncio.to_thread(held.wait, 10)
            waiter = asyncio.ensure_future(client.request("GET", "/waiter"))
            gate = client._runtime.transport._pool.gate
            await asyncio.wait_for(_until(lambda: bool(gate.waiters)), 10)
            await client.close()
        finally:
            release.set()
        with pytest.raises(ClientClosedError) as caught:
            await waiter
        assert "/waiter" in str(caught.value) and "close()" in str(caught.value)
        with pytest.raises(ClientClosedError):
            await holder  # its connection was closed under it: not a "reset" of the server's
        assert _paths(server) == [b"/hold"]
        assert gate.free == 1
