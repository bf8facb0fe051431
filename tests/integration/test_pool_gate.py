"""The async pool gate and closing across event loops (issue 16 items 1, 2, 3 and 15; SPEC §13).

The gate bounds only the time an attempt holds a connection: a slot is taken by the transport
for one attempt and given back before a retry's wait, the parsing and the rest of the chain;
waiting for it counts against the call's deadline and the attempt's connect timeout. Proven
against a raw loopback server that holds ``/hold`` until the test lets it go, so "the slot is
busy" is a fact of the test, not a timing. Items 2 and 3 hold on the sync client already;
their sync tests keep it that way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import socket
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from composio import (
    APITimeoutError,
    AsyncComposio,
    Composio,
    ComposioError,
    Request,
    Response,
    Stage,
    Timeout,
)
from composio.middlewares.retry import RetrySeams
from composio.pipeline import AsyncCallNext, CallNext
from composio.testing import LocalServer
from tests.integration._raw_servers import Behaviour, RawServer, answer, raw_server

OK = b'{"ok": true}'


def _routes(held: threading.Event, release: threading.Event) -> Behaviour:
    """``/hold`` answers once ``release`` is set (``held`` says it arrived); ``/limited``
    answers 429 with ``Retry-After: 3`` the first time, 200 afterwards; anything else 200.
    Connections are kept alive until the client closes them."""
    limited = threading.Event()

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> bool:
        conn.settimeout(None)
        path = head.split(b" ", 2)[1]
        status, extra = b"200 OK", b""
        if path == b"/hold":
            held.set()
            while not release.wait(0.05):
                if stop.is_set():
                    return False
        elif path == b"/limited" and not limited.is_set():
            limited.set()
            status, extra = b"429 Too Many Requests", b"Retry-After: 3\r\n"
        conn.sendall(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/json\r\n"
            + extra
            + b"Content-Length: "
            + str(len(OK)).encode()
            + b"\r\n\r\n"
            + OK
        )
        return True

    return behaviour


def _paths(server: RawServer) -> list[bytes]:
    return [head.split(b" ", 2)[1] for head in server.requests]


async def _until(condition: Callable[[], bool]) -> None:
    """Let the loop turn until ``condition`` holds (a state of the client, not a time)."""
    while not condition():
        await asyncio.sleep(0)


def _async_client(url: str, **kw: Any) -> AsyncComposio:
    return AsyncComposio(api_key="k", base_url=url, allow_tracking=False, **kw)


# -- item 1: waiting for a slot counts against the deadline and the connect timeout ----------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("timeout", "kind"),
    [(Timeout(total=0.5), "deadline"), (Timeout(connect=0.3, total=30), "pool_timeout")],
    ids=["total", "connect"],
)
async def test_item1_waiting_for_a_pool_slot_counts_against_the_call_timeouts(
    timeout: Timeout, kind: str
) -> None:
    """``pool_maxsize=1``, its one connection held by the server: a call whose deadline (or
    connect timeout) ends first is ``APITimeoutError`` while the slot is still held -- not a
    success once the slot came free -- and sends nothing."""
    held, release = threading.Event(), threading.Event()
    with raw_server(_routes(held, release)) as server:
        client = _async_client(server.url, pool_maxsize=1, max_retries=0)
        holder = asyncio.ensure_future(client.request("GET", "/hold", timeout=Timeout(total=8)))
        try:
            assert await asyncio.to_thread(held.wait, 10)
            with pytest.raises(APITimeoutError) as caught:
                await client.request("GET", "/fast", timeout=timeout)
            assert not holder.done()  # it ran out while the only slot was busy
        finally:
            release.set()
        err = caught.value
        assert (err.kind, err.sent) == (kind, False)
        assert "free connection" in str(err) and "pool_maxsize" in str(err), str(err)
        assert (await holder).json() == {"ok": True}
        assert _paths(server) == [b"/hold"]  # the call that timed out sent nothing
        assert (await client.request("GET", "/fast")).json() == {"ok": True}  # still usable
        assert client._runtime.transport.checked_out() == 0
        await client.close()


@pytest.mark.asyncio
async def test_item1_a_call_cancelled_while_waiting_for_a_slot_gives_it_no_hold() -> None:
    """A waiter cancelled at the gate leaves no slot behind: the next call gets the one the
    holder gives back."""
    held, release = threading.Event(), threading.Event()
    with raw_server(_routes(held, release)) as server:
        client = _async_client(server.url, pool_maxsize=1)
        holder = asyncio.ensure_future(client.request("GET", "/hold"))
        assert await asyncio.to_thread(held.wait, 10)
        waiter = asyncio.ensure_future(client.request("GET", "/never"))
        gate = client._runtime.transport._pool.gate
        await asyncio.wait_for(_until(lambda: bool(gate.waiters)), 10)  # it waits at the gate
        waiter.cancel()
        release.set()
        assert (await holder).json() == {"ok": True}
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (await client.request("GET", "/after")).json() == {"ok": True}
        assert _paths(server) == [b"/hold", b"/after"]
        await client.close()


# -- item 2: a middleware that calls the same client cannot deadlock it -----------------------


class _Audit:
    """A CALL-stage middleware that, before each SDK operation, makes a call of its own on
    the same client (a token fetch, an audit record) -- through the whole chain again."""

    name = "audit"
    stage = Stage.CALL

    def __init__(self) -> None:
        self.client: Any = None

    @staticmethod
    def _inner(request: Request) -> bool:
        return request.context.operation == "request"  # the audit call itself

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        if not self._inner(request):
            seen = self.client.request("GET", "/echo").json()["headers"]
            request.headers["x-audited"] = seen["x-request-id"]
        return call_next(request)

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        if not self._inner(request):
            seen = (await self.client.request("GET", "/echo")).json()["headers"]
            request.headers["x-audited"] = seen["x-request-id"]
        return await call_next(request)


def _audited(cls: type[Any], server: LocalServer) -> Any:
    """A client of ``cls`` with a pool of 2 whose ``_Audit`` middleware calls it back."""
    audit = _Audit()
    client = cls(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        pool_maxsize=2,
        middlewares=[audit],
    )
    audit.client = client
    return client


def _check_audited(server: LocalServer) -> None:
    tools = server.requests_to("/api/v3/tools")
    assert len(tools) == 4 and all(r.header("x-audited") for r in tools)
    assert len(server.requests_to("/echo")) == 4


@pytest.mark.asyncio
async def test_item2_a_middleware_calling_the_same_client_does_not_deadlock(
    composio_server: LocalServer,
) -> None:
    """``pool_maxsize=2`` and 4 gathered calls, each of whose middleware awaits the client:
    with a slot held around the chain, the outer calls held both and the inner ones waited
    for them forever."""
    client = _audited(AsyncComposio, composio_server)
    pages = await asyncio.wait_for(asyncio.gather(*(client.tools.list() for _ in range(4))), 20)
    assert all(len(page.items) > 0 for page in pages)
    _check_audited(composio_server)
    await client.close()


def test_item2_sync_a_middleware_calling_the_same_client_does_not_deadlock(
    composio_server: LocalServer,
) -> None:
    client = _audited(Composio, composio_server)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda _: client.tools.list(), range(4), timeout=20))
    assert all(len(page.items) > 0 for page in pages)
    _check_audited(composio_server)
    client.close()


# -- item 3: a retry's wait holds no slot -------------------------------------------------------


@pytest.mark.asyncio
async def test_item3_a_call_in_retry_backoff_holds_no_pool_slot() -> None:
    """``pool_maxsize=1``; a call got 429 ``Retry-After: 3`` and waits to retry (the wait is
    the test's, so it ends when the test says): an unrelated call goes through meanwhile."""
    held, release = threading.Event(), threading.Event()
    in_backoff, end_backoff = asyncio.Event(), asyncio.Event()
    waits: list[float] = []

    async def backoff(seconds: float) -> None:
        waits.append(seconds)
        in_backoff.set()
        await end_backoff.wait()

    with raw_server(_routes(held, release)) as server:
        client = _async_client(server.url, pool_maxsize=1, plugins=[RetrySeams(asleep=backoff)])
        limited = asyncio.ensure_future(client.request("GET", "/limited"))
        await asyncio.wait_for(in_backoff.wait(), 10)
        assert waits == [3.0]
        other = await asyncio.wait_for(client.request("GET", "/other"), 10)
        assert other.json() == {"ok": True} and not limited.done()
        end_backoff.set()
        assert (await limited).json() == {"ok": True}
        assert _paths(server) == [b"/limited", b"/other", b"/limited"]
        await client.close()


def test_item3_sync_a_call_in_retry_backoff_does_not_block_another() -> None:
    held, release = threading.Event(), threading.Event()
    in_backoff, end_backoff = threading.Event(), threading.Event()

    def backoff(seconds: float) -> None:
        in_backoff.set()
        end_backoff.wait(20)

    with raw_server(_routes(held, release)) as server:
        client = Composio(
            api_key="k",
            base_url=server.url,
            allow_tracking=False,
            pool_maxsize=1,
            plugins=[RetrySeams(sleep=backoff)],
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            limited = pool.submit(client.request, "GET", "/limited")
            assert in_backoff.wait(10)
            assert client.request("GET", "/other").json() == {"ok": True}
            assert not limited.done()
            end_backoff.set()
            assert limited.result(10).json() == {"ok": True}
        assert _paths(server) == [b"/limited", b"/other", b"/limited"]
        client.close()


# -- item 15: closing across event loops --------------------------------------------------------


def _resource_warnings(seen: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]


def test_item15_used_in_one_asyncio_run_and_closed_in_another_leaks_no_socket() -> None:
    """The connections are released when the ``asyncio.run`` that used them ends (its loop
    can still run their shutdown then); ``close()`` in a later ``asyncio.run`` succeeds with
    nothing left to leak: no ``ResourceWarning`` when the client is collected."""
    with raw_server(answer()) as server, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        clients = [_async_client(server.url)]

        async def use() -> object:
            return (await clients[0].request("GET", "/x")).json()

        assert asyncio.run(use()) == {"ok": True}
        assert server.wait_open_connections(0)
        asyncio.run(clients[0].close())
        assert clients[0]._runtime.transport.closed
        clients.clear()
        gc.collect()
    assert _resource_warnings(seen) == []


def test_item15_a_client_never_closed_releases_its_sockets_when_its_asyncio_run_ends() -> None:
    with raw_server(answer()) as server, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")

        async def use() -> object:
            client = _async_client(server.url)
            return (await client.request("GET", "/x")).json()

        assert asyncio.run(use()) == {"ok": True}
        assert server.wait_open_connections(0)
        gc.collect()
    assert _resource_warnings(seen) == []


def test_item15_close_on_another_loop_with_connections_open_refuses_and_says_how() -> None:
    """Its own loop still alive (not shut down): ``close()`` from another loop cannot close
    that loop's sockets, so it raises saying how, and leaves them for the right close."""
    with raw_server(answer()) as server:
        client = _async_client(server.url)
        own = asyncio.new_event_loop()
        try:
            response = own.run_until_complete(client.request("GET", "/x"))
            assert response.json() == {"ok": True} and server.open_connections == 1
            with pytest.raises(ComposioError) as caught:
                asyncio.run(client.close())
            message = str(caught.value)
            assert "another loop" in message and "run_coroutine_threadsafe" in message
            assert "async with AsyncComposio" in message
            assert server.open_connections == 1  # nothing half-closed
            own.run_until_complete(client.close())  # on its own loop: released
            assert server.wait_open_connections(0)
        finally:
            own.close()


def test_item15_a_loop_that_shut_down_its_asyncgens_can_still_use_the_client() -> None:
    """Released by ``shutdown_asyncgens()`` on a loop that then keeps running: the next call
    on that loop opens a new session instead of finding none."""
    with raw_server(answer()) as server:
        client = _async_client(server.url)
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(client.request("GET", "/a")).json() == {"ok": True}
            loop.run_until_complete(loop.shutdown_asyncgens())
            assert server.wait_open_connections(0)
            assert loop.run_until_complete(client.request("GET", "/b")).json() == {"ok": True}
            loop.run_until_complete(client.close())
            assert server.wait_open_connections(0)
        finally:
            loop.close()
