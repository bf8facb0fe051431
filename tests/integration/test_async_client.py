"""``AsyncComposio`` over real loopback HTTP (SPEC §13): what only the async client has.

The semantics it shares with ``Composio`` (sessions, precedence, retry, deadline, redirects,
tracing, telemetry, errors, redaction) are tested by running the sync tests on both clients
(the ``driver`` fixture); this file covers the async-only parts: ``async for`` over pages,
the chain's middleware shapes, cancellation, the event loop's ownership and its lag.
"""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import sys
import threading
from typing import Any

import pytest

from composio import (
    AsyncComposio,
    AsyncPage,
    ClientClosedError,
    ComposioError,
    PluginError,
    Request,
    Response,
    Stage,
    Tool,
)
from composio.async_transport import _PACE_PER_SLOT
from composio.middlewares.retry import RetrySeams
from composio.pipeline import AsyncCallNext, CallNext
from composio.testing import Fault, LocalServer
from tests._drivers import Driver
from tests.integration._raw_servers import raw_server


def _client(server: LocalServer, **kw: Any) -> AsyncComposio:
    return AsyncComposio(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)


@pytest.mark.asyncio
async def test_tools_list_is_an_async_page_and_async_for_walks_every_page_lazily(
    composio_server: LocalServer, composio_async_client: AsyncComposio
) -> None:
    session = composio_async_client.create_session(headers={"x-user-id": "a"})
    page = await session.tools.list(limit=5)
    assert isinstance(page, AsyncPage) and len(page) == 5 and page.has_next_page()
    assert all(isinstance(t, Tool) for t in page.items)
    assert len(composio_server.requests_to("/api/v3/tools")) == 1  # nothing fetched ahead
    slugs = [tool.slug async for tool in page]
    every = (await session.tools.list(limit=1000)).items
    assert slugs == [t.slug for t in every] and len(slugs) > 5
    pages = composio_server.requests_to("/api/v3/tools")
    # the first page, the walk's further pages (it reuses the first), the full-list check
    assert len(pages) == 1 + (-(-len(slugs) // 5) - 1) + 1
    assert {r.header("x-user-id") for r in pages} == {"a"}


@pytest.mark.asyncio
async def test_every_resource_method_and_request(
    composio_server: LocalServer, composio_async_client: AsyncComposio
) -> None:
    client = composio_async_client
    tool = await client.tools.retrieve("TEXT_UPPERCASE")
    assert tool.slug == "TEXT_UPPERCASE"
    wrapped = await client.tools.get("a", slug="TEXT_UPPERCASE")
    assert wrapped[0]["function"]["name"] == "TEXT_UPPERCASE"  # type: ignore[index]
    result = await client.tools.execute("TEXT_UPPERCASE", {"text": "hi"}, user_id="a")
    assert result.successful and result.data == {"result": "HI"}
    kits = await client.toolkits.list(limit=2)
    assert isinstance(kits, AsyncPage) and len(kits) == 2
    kit = await client.toolkits.retrieve(kits.items[0].slug)
    assert kit.slug == kits.items[0].slug
    response = await client.request("GET", "/api/v3/tools", params={"limit": 1})
    assert response.status_code == 200 and len(response.json()["items"]) == 1
    assert composio_server.execution_count("TEXT_UPPERCASE") == 1


@pytest.mark.asyncio
async def test_create_session_and_with_options_do_no_io_and_keep_the_kind(
    composio_server: LocalServer,
) -> None:
    client = _client(composio_server)
    session = client.create_session(headers={"x-tenant": "t"})
    copy = session.with_options(max_retries=0)
    assert type(session) is AsyncComposio and type(copy) is AsyncComposio
    assert composio_server.accepted_connections == 0  # nothing was opened
    await copy.request("GET", "/echo")
    assert composio_server.requests_to("/echo")[0].header("x-tenant") == "t"
    await client.close()


# -- middleware shapes ------------------------------------------------------------------------


class _WrapOnlySync:
    name = "legacy-wrap"
    stage = Stage.CALL

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        return call_next(request)


class _Policy:
    """Sans-I/O: runs unchanged in both chains."""

    name = "stamp"
    stage = Stage.CALL
    order = 450

    def __init__(self) -> None:
        self.statuses: list[int] = []

    def on_request(self, request: Request) -> None:
        request.headers["x-stamp"] = request.context.operation

    def on_response(self, response: Response) -> None:
        self.statuses.append(response.status_code)


class _AsyncWrap:
    name = "async-wrap"
    stage = Stage.ATTEMPT
    order = -1

    def __init__(self) -> None:
        self.attempts = 0

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        self.attempts += 1
        await asyncio.sleep(0)
        return await call_next(request)


def test_a_middleware_without_on_request_or_acall_fails_the_async_build_naming_it(
    composio_server: LocalServer,
) -> None:
    class Plugin:
        composio_plugin_name = "acme-legacy"

        from composio.hookspecs import hookimpl

        @hookimpl
        def composio_middlewares(self, config: object) -> list[object]:
            return [_WrapOnlySync()]

    with pytest.raises(PluginError) as info:
        _client(composio_server, plugins=[Plugin()])
    text = str(info.value)
    assert "legacy-wrap" in text and "acme-legacy" in text and "acall" in text
    with pytest.raises(PluginError, match="legacy-wrap"):
        _client(composio_server, middlewares=[_WrapOnlySync()])
    # The same middleware is fine for the sync client, and the async one builds without it.
    from composio import Composio

    Composio(api_key="k", base_url=composio_server.url, middlewares=[_WrapOnlySync()]).close()


@pytest.mark.asyncio
async def test_policies_and_acall_middlewares_run_in_the_async_chain(
    composio_server: LocalServer,
) -> None:
    policy, wrap = _Policy(), _AsyncWrap()
    client = _client(composio_server, middlewares=[policy, wrap], max_retries=1)
    composio_server.fail_next("/echo", [Fault(503, headers={"retry-after-ms": "1"})])
    response = await client.request("GET", "/echo")
    assert response.status_code == 200
    assert [r.header("x-stamp") for r in composio_server.requests_to("/echo")] == [
        "request",
        "request",
    ]
    assert policy.statuses == [200]  # a CALL-stage policy sees the final answer once
    assert wrap.attempts == 2  # an ATTEMPT-stage acall sees each attempt
    await client.close()


# -- lifecycle and loops ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_closed_means_closed_for_the_client_and_its_sessions(
    composio_server: LocalServer,
) -> None:
    client = _client(composio_server)
    session = client.create_session(headers={"x-user-id": "a"})
    await session.tools.list()
    await session.close()  # a session does not own the pool
    await session.tools.list()
    await client.close()
    for who in (client, session, client.with_options(timeout=5.0)):
        with pytest.raises(ClientClosedError, match="closed"):
            await who.tools.list()
    before = composio_server.accepted_connections
    assert composio_server.accepted_connections == before  # nothing reopened


@pytest.mark.asyncio
async def test_async_with_closes_the_pool(composio_server: LocalServer) -> None:
    async with _client(composio_server) as client:
        await client.tools.list()
        transport = client._runtime.transport
        assert not transport.closed
    assert transport.closed
    with pytest.raises(ClientClosedError):
        await client.request("GET", "/echo")


def test_the_pool_belongs_to_the_loop_it_first_ran_on(composio_server: LocalServer) -> None:
    client = _client(composio_server)
    assert asyncio.run(client.request("GET", "/echo")).status_code == 200
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            asyncio.run(client.request("GET", "/echo"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], ComposioError)
    assert "event loop" in str(errors[0]) and "one AsyncComposio per event loop" in str(errors[0])
    assert len(composio_server.requests_to("/echo")) == 1


# -- cancellation -----------------------------------------------------------------------------


class _StallThenAnswer:
    """First request: headers and part of a body, then stall until the client hangs up.
    Later requests: a normal JSON answer. Events say where the exchange is."""

    def __init__(self) -> None:
        self.mid_body = threading.Event()
        self.client_hung_up = threading.Event()
        self.count = 0

    def __call__(self, conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        self.count += 1
        if self.count > 1:
            body = b'{"ok": true}'
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        self.mid_body.set()
        conn.settimeout(0.05)
        while not stop.is_set():
            try:
                if conn.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        self.client_hung_up.set()


@pytest.mark.asyncio
async def test_cancelling_the_awaiting_task_mid_response_frees_the_connection() -> None:
    behaviour = _StallThenAnswer()
    with raw_server(behaviour) as raw:
        client = AsyncComposio(api_key="k", base_url=raw.url, allow_tracking=False)
        transport = client._runtime.transport
        task = asyncio.ensure_future(client.request("GET", "/slow"))
        assert await asyncio.to_thread(behaviour.mid_body.wait, 10)
        assert transport.checked_out() == 1  # the call holds its connection mid-body
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert transport.checked_out() == 0  # given back (closed: its body was half read)
        assert await asyncio.to_thread(behaviour.client_hung_up.wait, 10)
        response = await client.request("GET", "/next")  # the client is still usable
        assert response.json() == {"ok": True} and transport.checked_out() == 0
        await client.close()


@pytest.mark.asyncio
async def test_cancelling_during_a_retry_wait_stops_the_call(composio_server: LocalServer) -> None:
    waiting = asyncio.Event()

    async def long_wait(seconds: float) -> None:
        waiting.set()
        await asyncio.sleep(30)

    client = _client(composio_server, max_retries=2, plugins=[RetrySeams(asleep=long_wait)])
    composio_server.fail_next("/api/v3/tools", [503, 503, 503])
    task = asyncio.ensure_future(client.tools.list())
    await asyncio.wait_for(waiting.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(composio_server.requests_to("/api/v3/tools")) == 1  # no attempt after cancel
    assert client._runtime.transport.checked_out() == 0
    await client.close()


# -- the event loop is never blocked ----------------------------------------------------------


#: Audit events that block the calling thread: on the loop's thread, each would stall every
#: task on the loop (a DNS lookup, a file read such as a CA bundle, a sleep, a subprocess).
_BLOCKING_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "open", "time.sleep", "subprocess.Popen"}
)


class _BlockingCalls:
    """Which blocking calls a thread made, from CPython's audit hooks (PEP 578).

    Deterministic where a lag bound is not: a blocking call on the loop is caught whether it
    took 1 ms or 1 s, on an idle or a loaded machine. The hook cannot be removed, so one
    instance is installed once and armed per test.
    """

    def __init__(self) -> None:
        self.thread: int | None = None
        self.seen: list[tuple[str, str]] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event not in _BLOCKING_EVENTS or threading.get_ident() != self.thread:
            return
        if event == "open" and str(args[0]).endswith((".py", ".pyc")):
            return  # a module's first import (once per process), e.g. the executor's module
        self.seen.append((event, repr(args)[:120]))

    def arm(self) -> None:
        self.seen.clear()
        self.thread = threading.get_ident()

    def disarm(self) -> list[tuple[str, str]]:
        self.thread = None
        return list(self.seen)


_BLOCKING = _BlockingCalls()


@pytest.mark.asyncio
async def test_the_detector_sees_a_blocking_call_on_the_loop() -> None:
    """Control for the test below: a DNS lookup and a file read on the loop are caught."""
    _BLOCKING.arm()
    socket.getaddrinfo("127.0.0.1", 80)
    with open(os.devnull, "rb"):
        pass
    seen = _BLOCKING.disarm()
    assert {event for event, _ in seen} == {"socket.getaddrinfo", "open"}


@pytest.mark.asyncio
async def test_200_gathered_calls_do_no_blocking_io_on_the_loop(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC §13: nothing blocks the event loop. 200 calls run through the whole chain
    (tracking and tracing on) with no DNS lookup, file read, sleep or subprocess on the loop's
    thread (the lag this would cause is what the benchmark, ``tox -e bench``, reports)."""
    composio_server.record = False
    monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", composio_server.url + "/v1/metrics/invocations")
    client = AsyncComposio(api_key=composio_server.api_key, base_url=composio_server.url)
    sessions = [client.create_session(headers={"x-user-id": f"u{i}"}) for i in range(200)]
    _BLOCKING.arm()  # from the first call: building the pool must not block the loop either
    try:
        answers = await asyncio.gather(
            *(
                s.request("GET", "/echo", extra_headers={"x-call": str(i)})
                for i, s in enumerate(sessions)
            )
        )
    finally:
        seen = _BLOCKING.disarm()
    for i, response in enumerate(answers):
        got = response.json()["headers"]
        assert (got["x-user-id"], got["x-call"]) == (f"u{i}", str(i))  # no cross-talk
    assert seen == []
    await client.close()


@pytest.mark.asyncio
async def test_gathered_calls_start_a_bounded_number_per_loop_turn(
    composio_server: LocalServer,
) -> None:
    """100 calls gathered at once must not all run their chain in one turn of the loop (SPEC
    §13, p99 loop lag): the pool's pacer lets a few calls per pool slot start per turn
    (``_PACE_PER_SLOT``), and the
    pool opens at most that many sockets. A turn is counted by a callback that schedules
    itself again each turn; the starts of one turn may straddle two counts, hence 2x."""
    loop = asyncio.get_running_loop()

    class Ticker:
        def __init__(self) -> None:
            self.turn = 0
            self.handle = loop.call_soon(self.tick)

        def tick(self) -> None:
            self.turn += 1
            self.handle = loop.call_soon(self.tick)

    class Starts:
        name = "starts"
        stage = Stage.CALL
        order = -1000

        def __init__(self) -> None:
            self.turns: list[int] = []

        async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
            self.turns.append(ticker.turn)
            return await call_next(request)

    probe = Starts()
    client = _client(composio_server, middlewares=[probe], pool_maxsize=4)
    sessions = [client.create_session(headers={"x-user-id": f"u{i}"}) for i in range(100)]
    ticker = Ticker()
    answers = await asyncio.gather(*(s.request("GET", "/echo") for s in sessions))
    ticker.handle.cancel()
    assert [a.json()["headers"]["x-user-id"] for a in answers] == [f"u{i}" for i in range(100)]
    per_turn = collections.Counter(probe.turns)
    bound = 2 * 4 * _PACE_PER_SLOT
    assert len(probe.turns) == 100 and max(per_turn.values()) <= bound, per_turn
    assert len(per_turn) >= 100 // bound  # the starts really were spread over turns
    assert composio_server.accepted_connections <= 4
    await client.close()


# -- environment settings, resolved once ------------------------------------------------------


def _proxy_answer(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    body = b'{"via": "proxy"}'
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


def test_env_proxy_is_resolved_once_when_the_client_is_built(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC §3/§13: environment proxies are read when the client is built, never per call."""
    with raw_server(_proxy_answer) as proxy, raw_server(_proxy_answer) as later:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = driver.client(api_key="k", base_url="http://127.0.0.1:9", allow_tracking=False)
        monkeypatch.setenv("HTTP_PROXY", later.url)  # changed afterwards: not seen
        assert client.request("GET", "/echo").json() == {"via": "proxy"}
        (line, *_) = proxy.requests[0].split(b"\r\n")
        assert line == b"GET http://127.0.0.1:9/echo HTTP/1.1"  # absolute form: a proxy hop
        assert later.requests == []
