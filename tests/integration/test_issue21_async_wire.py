"""The async transport's fast exchange (``composio._async_wire``, SPEC §19) answers exactly as
aiohttp's ``ClientSession`` path does, on the wire and in every fault.

The fast exchange only ever runs on a connection aiohttp opened and put back idle, so each
case here makes a first call (through ``ClientSession``, which opens the connection) and
then the call under test, which borrows it. The same case is run with the fast exchange
switched off (``COMPOSIO_AIOHTTP_ONLY=1``: aiohttp's path for every call) and, for faults,
on the sync client: the three must agree on status, headers and body, or on the error's
``kind`` and ``sent`` (which the retry rules read).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import composio.async_transport as async_transport
from composio import APIConnectionError, APIStatusError, AsyncComposio, Composio, Timeout
from composio._async_wire import Reply, supported
from tests.integration._raw_servers import (
    Behaviour,
    garbage_status_line,
    partial_body,
    raw_server,
    reset_before_status,
    slow_headers,
    trickle,
)

KEY = "sk-test-issue21-wire-0123456789"
FIRST = b'{"first": true}'


def second_call(behaviour: Behaviour) -> Behaviour:
    """The first request on each connection gets a kept-alive 200; the next ``behaviour``."""
    seen: dict[int, int] = {}
    lock = threading.Lock()

    def serve(conn: socket.socket, head: bytes, stop: threading.Event) -> bool | None:
        with lock:
            n = seen.get(id(conn), 0)
            seen[id(conn)] = n + 1
        if n == 0:
            conn.settimeout(None)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(FIRST)}\r\n\r\n".encode()
                + FIRST
            )
            return True
        return behaviour(conn, head, stop)

    return serve


def raw_answer(raw: bytes, keep: bool = True) -> Behaviour:
    def serve(conn: socket.socket, head: bytes, stop: threading.Event) -> bool:
        conn.sendall(raw)
        if not keep:
            conn.shutdown(socket.SHUT_WR)
        return keep

    return serve


@pytest.fixture(params=["fast", "aiohttp-only"])
def path(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "aiohttp-only":
        monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
    return str(request.param)


def _async_second(url: str, method: str = "GET", **kw: Any) -> tuple[Any, bool]:
    """(the second call's Response or error, whether it took the fast exchange)."""

    async def run() -> tuple[Any, bool]:
        async with AsyncComposio(
            api_key=KEY, base_url=url, allow_tracking=False, max_retries=0
        ) as client:
            first = await client.request("GET", "/first")
            assert first.content == FIRST
            try:
                second: Any = await client.request(method, "/second", **kw)
            except (APIConnectionError, APIStatusError) as exc:
                second = exc
            # whatever happened, no connection is left lent and the client is usable
            assert client._runtime.transport.checked_out() == 0
            fast = not isinstance(second, Exception) and type(second.raw) is Reply
        return second, fast

    return asyncio.run(run())


def _sync_second(url: str, method: str = "GET", **kw: Any) -> Any:
    with Composio(api_key=KEY, base_url=url, allow_tracking=False, max_retries=0) as client:
        assert client.request("GET", "/first").content == FIRST
        try:
            return client.request(method, "/second", **kw)
        except APIConnectionError as exc:
            return exc


def test_issue21_the_installed_aiohttp_lends_its_connections() -> None:
    """The fast exchange is on with the aiohttp CI installs: if a new aiohttp renames what
    it borrows, this fails instead of every call quietly taking the slow path."""
    import aiohttp

    assert supported(aiohttp)


def test_issue21_a_second_call_borrows_the_first_calls_connection(path: str) -> None:
    body = b'{"second": 2}'
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with raw_server(second_call(raw_answer(ok))) as server:
        second, fast = _async_second(server.url)
        assert server.connections == 1  # one connection carried both
    assert second.content == body
    assert fast is (path == "fast")


def _wire_headers(url: str) -> list[dict[str, str]]:
    async def run() -> list[dict[str, str]]:
        async with AsyncComposio(api_key=KEY, base_url=url, allow_tracking=False) as client:
            out = []
            for _ in range(3):
                seen = (await client.request("GET", "/echo", params={"q": "a b"})).json()
                out.append({k: v for k, v in seen["headers"].items() if k != "x-request-id"})
            return out

    return asyncio.run(run())


def test_issue21_the_fast_exchange_sends_the_headers_aiohttp_sends(
    local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _wire_headers(local_server.url)
    monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
    slow = _wire_headers(local_server.url)
    assert fast[0] == fast[1] == fast[2] == slow[0] == slow[2]
    assert fast[1]["host"] == local_server.url.split("//")[1]


_GZ = gzip.compress(b'{"z": "gzip"}')
_ZL = zlib.compress(b'{"z": "deflate"}')
_RAW_DEFLATE = zlib.compressobj(wbits=-zlib.MAX_WBITS)
_RD = _RAW_DEFLATE.compress(b'{"z": "raw"}') + _RAW_DEFLATE.flush()

ANSWERS = {
    "chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n',
        True,
    ),
    "gzip": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_GZ), _GZ),
        True,
    ),
    "deflate": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_ZL), _ZL),
        True,
    ),
    "raw-deflate": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(_RD), _RD),
        True,
    ),
    "until-close": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", False),
    "connection-close": (
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        False,
    ),
    "no-content": (b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", True),
    "interim-100": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
        True,
    ),
    "repeated-and-utf8-headers": (
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Name: caf\u00e9\r\n"
        "Content-Length: 0\r\n\r\n".encode(),
        True,
    ),
    "http-1.0": (b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n[1]", False),
    "error-status": (b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 2\r\n\r\n{}", True),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_issue21_answers_read_alike_on_both_paths(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, keep = ANSWERS[name]

    def read(only_aiohttp: bool) -> tuple[Any, ...]:
        if only_aiohttp:
            monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
        else:
            monkeypatch.delenv("COMPOSIO_AIOHTTP_ONLY", raising=False)
        with raw_server(second_call(raw_answer(raw, keep))) as server:
            second, fast = _async_second(server.url)
        if isinstance(second, APIStatusError):
            return type(second).__name__, second.status_code, second.body
        assert fast is not only_aiohttp
        headers = sorted(
            (k.lower(), v) for k, v in second.headers.items() if k.lower() not in ("date", "server")
        )
        return second.status_code, headers, second.content

    assert read(False) == read(True)


def test_issue21_a_head_request_reads_no_body(local_server: Any) -> None:
    async def run() -> tuple[int, bytes, int]:
        async with AsyncComposio(api_key=KEY, base_url=local_server.url) as client:
            await client.request("GET", "/echo")
            head = await client.request("HEAD", "/echo")
            after = await client.request("GET", "/echo")  # the connection is still in step
            return head.status_code, head.content, after.status_code

    status, content, after = asyncio.run(run())
    assert content == b"" and after == 200 and status in (200, 404, 405, 501)


FAULTS: dict[str, Behaviour] = {
    "rst-before-status": reset_before_status,
    "rst-mid-body": partial_body("rst"),
    "fin-mid-body": partial_body("fin"),
    "garbage-status-line": garbage_status_line,
    "both-framings": raw_answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    ),
    "conflicting-lengths": raw_answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
    ),
    "bad-chunk-size": raw_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    "bad-gzip": raw_answer(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope"
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_issue21_a_fault_on_a_borrowed_connection_is_named_as_aiohttps_path_names_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = []
    for only_aiohttp in (False, True):
        if only_aiohttp:
            monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
        with raw_server(second_call(FAULTS[name])) as server:
            second, _ = _async_second(server.url)
        assert isinstance(second, APIConnectionError), second
        assert KEY not in str(second) and KEY not in repr(second)
        kinds.append((second.kind, second.sent))
    assert kinds[0] == kinds[1]


@pytest.mark.parametrize("mode", ["headers", "length", "chunked", "stall"])
def test_issue21_read_timeout_and_deadline_on_a_borrowed_connection(mode: str, path: str) -> None:
    with raw_server(second_call(trickle(mode, every=0.05))) as server:
        # a byte every 0.05 s keeps a 0.5 s read timeout happy: the 1 s total ends it
        second, _ = _async_second(server.url, timeout=Timeout(connect=1.0, read=0.5, total=1.0))
    assert second.kind == ("read_timeout" if mode == "stall" else "deadline")
    assert second.sent is True


def test_issue21_slow_headers_hit_the_read_timeout(path: str) -> None:
    with raw_server(second_call(slow_headers(3.0))) as server:
        second, _ = _async_second(server.url, timeout=Timeout(connect=1.0, read=0.3, total=5.0))
    assert (second.kind, second.sent) == ("read_timeout", True)


def _stall_or_answer(arrived: threading.Event) -> Behaviour:
    """``/stall`` is never answered (``arrived`` is set when it comes); anything else gets
    a kept-alive 200 at once."""

    def serve(conn: socket.socket, head: bytes, stop: threading.Event) -> bool | None:
        if head.startswith(b"GET /stall"):
            arrived.set()
            stop.wait(30)  # until the server closes: only the client's timers end the call
            return None
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(FIRST)}\r\n\r\n".encode()
            + FIRST
        )
        return True

    return serve


@pytest.mark.parametrize("sooner", ["joins-later", "ends-first"])
def test_issue21_one_timer_watches_every_exchange_in_flight(sooner: str, path: str) -> None:
    """The fast exchanges of one pool share one timer (``_async_wire.Timers``), armed for
    the earliest due of the calls in flight. ``joins-later``: a call with a 0.3 s read
    timeout starts while a call due in 10 s waits; it must still time out at 0.3 s (the
    timer is moved earlier for it). ``ends-first``: a call due sooner (a 0.2 s read
    timeout) is answered at once while a call with a 1 s total waits; the timer, run at
    the sooner due for nothing, must be armed again for the waiting call's deadline."""
    arrived = threading.Event()

    async def run(url: str) -> tuple[Any, float, bool]:
        async with AsyncComposio(
            api_key=KEY, base_url=url, allow_tracking=False, max_retries=0
        ) as client:
            # two connections opened side by side, then idle: both calls below borrow one
            await asyncio.gather(client.request("GET", "/first"), client.request("GET", "/x"))
            fast = type((await client.request("GET", "/first")).raw) is Reply
            total = 10.0 if sooner == "joins-later" else 1.0
            waiting = asyncio.ensure_future(
                client.request("GET", "/stall", timeout=Timeout(connect=1.0, total=total))
            )
            assert await asyncio.to_thread(arrived.wait, 5)
            sooner_timeout = Timeout(connect=1.0, read=0.3 if sooner == "joins-later" else 0.2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            target = "/stall" if sooner == "joins-later" else "/first"
            try:
                got: Any = await client.request("GET", target, timeout=sooner_timeout)
            except APIConnectionError as exc:
                got = exc
            if sooner == "joins-later":
                elapsed = loop.time() - started
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                return got, elapsed, fast
            assert got.content == FIRST
            try:  # a guard, not the measure: a lost timer would leave this call waiting
                await asyncio.wait_for(waiting, 5)
            except APIConnectionError as exc:
                got = exc
            return got, loop.time() - started, fast

    with raw_server(_stall_or_answer(arrived)) as server:
        got, elapsed, fast = asyncio.run(run(server.url))
        assert server.connections == 2
    assert fast == (path == "fast")
    if sooner == "joins-later":
        assert (got.kind, got.sent) == ("read_timeout", True)
        assert elapsed < 3.0  # at the read timeout, not at the other call's 10 s
    else:
        assert (got.kind, got.sent) == ("deadline", True)
        assert elapsed < 3.0


def test_issue21_a_closed_client_leaves_no_timer_on_the_loop(local_server: Any) -> None:
    """The pool's one exchange timer (``_async_wire.Timers``) stays armed between calls
    (for the longest deadline seen); closing the client cancels it, so clients made and
    closed on a long-lived loop do not each leave a timer there until their deadlines."""

    async def run() -> tuple[bool, bool, bool]:
        client = AsyncComposio(api_key=KEY, base_url=local_server.url, timeout=600.0)
        await client.request("GET", "/echo")
        fast = type((await client.request("GET", "/echo")).raw) is Reply
        timers = client._runtime.transport._pool.timers
        handle = timers.handle
        armed = handle is not None and not handle.cancelled()
        await client.close()
        return fast, armed, handle is not None and handle.cancelled()

    assert asyncio.run(run()) == (True, True, True)


def test_issue21_cancelled_mid_body_gives_the_connection_back(path: str) -> None:
    arrived = threading.Event()

    def half(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxx")
        arrived.set()
        stop.wait(5)

    async def run(url: str) -> tuple[int, bytes]:
        async with AsyncComposio(api_key=KEY, base_url=url, allow_tracking=False) as client:
            await client.request("GET", "/first")
            task = asyncio.ensure_future(client.request("GET", "/second"))
            while not arrived.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            lent = client._runtime.transport.checked_out()
            # the half-read connection was closed, not pooled: the next call opens another
            third = await client.request("GET", "/first")
            return lent, third.content

    with raw_server(second_call(half)) as server:
        lent, third = asyncio.run(run(server.url))
        assert server.connections == 2
    assert lent == 0 and third == FIRST


def test_issue21_fast_exchange_sends_post_bodies(local_server: Any) -> None:
    async def run() -> list[Any]:
        async with AsyncComposio(api_key=KEY, base_url=local_server.url) as client:
            out = []
            for i in range(3):
                echoed = (await client.request("POST", "/echo", json={"i": i, "s": "é"})).json()
                out.append((echoed.get("json") or echoed.get("body"), type(echoed).__name__))
            return out

    got = asyncio.run(run())
    assert got[0][0] != got[2][0] and got[0][1] == got[2][1]


def test_issue21_faults_match_the_sync_client() -> None:
    """The fast path and the sync transport name the same broken answers alike."""
    for name in ("rst-before-status", "rst-mid-body", "fin-mid-body"):
        with raw_server(second_call(FAULTS[name])) as server:
            second, _ = _async_second(server.url)
        with raw_server(second_call(FAULTS[name])) as server:
            sync = _sync_second(server.url)
        assert (second.kind, second.sent) == (sync.kind, sync.sent), name


@pytest.fixture
def local_server() -> Iterator[Any]:
    from composio.testing import LocalServer

    server = LocalServer(api_key=KEY).start()
    try:
        yield server
    finally:
        server.stop()


_ = (async_transport, Callable)


def test_issue21_fast_exchange_over_tls(tmp_path: Any) -> None:
    """A borrowed TLS connection: the protocol swap goes through asyncio's SSL transport."""
    import ssl

    from composio.testing import LocalServer
    from tests.integration.test_tls import make_certificate

    cert, key = make_certificate(tmp_path, "127.0.0.1", "IP:127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def run(url: str) -> list[tuple[int, bool]]:
        async with AsyncComposio(api_key=KEY, base_url=url, verify=str(cert)) as client:
            out = []
            for _ in range(3):
                r = await client.request("GET", "/echo")
                out.append((r.status_code, type(r.raw) is Reply))
            return out

    with LocalServer(api_key=KEY, ssl_context=context) as server:
        got = asyncio.run(run(server.url))
    assert got == [(200, False), (200, True), (200, True)]
