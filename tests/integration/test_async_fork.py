"""``AsyncComposio`` across ``os.fork()`` (SPEC §12.8, §13): the child runs a new event loop
with the same client and gets a fresh pool (no parent socket), fresh telemetry and budget;
the parent's pool, idle connection included, is untouched by anything the child does."""

from __future__ import annotations

import asyncio
import gc
import os

import pytest

from composio import AsyncComposio, ClientClosedError
from composio.telemetry._queue import THREAD_NAME
from composio.testing import LocalServer
from tests.integration.test_fork import _fork_and_run, server  # noqa: F401 - a fixture

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
TOOLS = "/api/v3/tools"


def test_async_client_used_in_the_parent_works_in_the_child_on_a_new_loop(
    server: LocalServer,  # noqa: F811
) -> None:
    loop = asyncio.new_event_loop()  # the parent's loop stays open across the fork
    client = AsyncComposio(api_key=server.api_key, base_url=server.url)
    session = client.create_session(headers={"x-request-id": "parent"})
    try:
        loop.run_until_complete(session.tools.list())
        runtime = client._runtime
        pool = runtime.transport._pool
        parent_session, parent_gate = pool.session, pool.gate
        assert runtime.telemetry.flush(5.0)
        (sink,) = runtime.telemetry.sinks
        parent_thread = sink.thread
        assert len(server.telemetry_events) == 1

        def child() -> dict[str, object]:
            reset = pool.session is None and pool.gate is not parent_gate
            gc.collect()  # the disowned parent session's finalizers run here, harmlessly

            async def calls() -> int:
                page = await client.create_session(headers={"x-request-id": "child"}).tools.list()
                await session.tools.list()
                assert pool.session is not None and pool.session is not parent_session
                await client.close()  # flushes the child's events
                try:
                    await session.tools.list()
                except ClientClosedError:
                    return len(page.items)
                raise AssertionError("a call after close() went out")

            items = asyncio.run(calls())
            return {
                "reset_before_call": reset,
                "items": items,
                "new_thread": sink.thread is not None and sink.thread is not parent_thread,
                "threads": [t.name for t in __import__("threading").enumerate()].count(THREAD_NAME),
            }

        report = _fork_and_run(child)
        assert report == {"reset_before_call": True, "items": 20, "new_thread": True, "threads": 0}
        ids = [r.header("x-request-id") for r in server.requests_to(TOOLS)]
        assert ids == ["parent", "child", "parent"]
        assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"] * 3

        # the parent is unharmed: its loop, pool and kept-alive connection still serve it
        loop.run_until_complete(session.tools.list())
        assert pool.session is parent_session and sink.thread is parent_thread
        seen = server.requests_to(TOOLS)
        assert seen[-1].header("x-request-id") == "parent"
        parent_conn = seen[0].connection_id
        # the child wrote on its own connection, never the parent's; the parent's next call
        # reused its kept-alive socket (the child's exit did not close or unregister it)
        assert {r.connection_id for r in seen[1:3]}.isdisjoint({parent_conn})
        assert seen[3].connection_id == parent_conn
    finally:
        loop.run_until_complete(client.close())
        loop.close()
    assert len(server.telemetry_events) == 4


def test_a_closed_async_client_stays_closed_in_the_child(server: LocalServer) -> None:  # noqa: F811
    client = AsyncComposio(api_key=server.api_key, base_url=server.url, allow_tracking=False)

    async def use_and_close() -> None:
        await client.tools.list()
        await client.close()

    asyncio.run(use_and_close())

    def child() -> dict[str, object]:
        async def call() -> str:
            try:
                await client.tools.list()
            except ClientClosedError as exc:
                return str(exc)
            return "sent"

        return {"message": asyncio.run(call())}

    message = str(_fork_and_run(child)["message"])
    assert "was closed by close()" in message
    assert len(server.requests_to(TOOLS)) == 1


def test_child_gathers_past_the_pool_size_after_the_parent_did(server: LocalServer) -> None:  # noqa: F811
    """The pool's admission gate binds to the loop that first waited on it: the parent's
    contention must not make the child's contention fail (it runs on another loop)."""
    client = AsyncComposio(
        api_key=server.api_key, base_url=server.url, allow_tracking=False, pool_maxsize=1
    )

    async def gathered() -> int:
        pages = await asyncio.gather(*(client.tools.list() for _ in range(3)))
        return sum(len(p.items) for p in pages)

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(gathered()) == 60  # three calls queue on one slot

        def child() -> dict[str, object]:
            items = asyncio.run(gathered())
            return {"items": items}

        assert _fork_and_run(child) == {"items": 60}
        assert len(server.requests_to(TOOLS)) == 6
    finally:
        loop.run_until_complete(client.close())
        loop.close()
