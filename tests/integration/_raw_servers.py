"""Raw-socket servers and probes for the reliability tests (SPEC §11).

``LocalServer`` speaks HTTP through ``http.server``, which cannot break the protocol in every
way a real network does (a reset before the status line, a garbage status line, headers that
stall). These servers own the socket and do exactly one kind of wrong thing, on loopback.

The probes (pool check-outs, secret search, sleep recorder) are shared by the reliability,
redirect and timeout tests.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from composio import Composio
from composio.middlewares.retry import DEFAULT_SEAMS, RetrySeams

#: Answers one request; returns True to keep the connection open for the next one.
Behaviour = Callable[[socket.socket, bytes, threading.Event], "bool | None"]


class RawServer:
    """Accepts connections on 127.0.0.1 and lets ``behaviour`` answer each request."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        # Set before the accept thread starts: a server closed at once would otherwise close
        # the listener under a thread that has not yet reached this call (EBADF warning).
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.requests: list[bytes] = []  #: request heads received, in order
        self.connections = 0  #: accepted so far
        self._open: set[socket.socket] = set()
        self._changed = threading.Condition(self._lock)
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    @property
    def open_connections(self) -> int:
        """Connections the client has not closed yet (the server never closes a kept one)."""
        with self._lock:
            return len(self._open)

    def wait_open_connections(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until exactly ``n`` connections are open (e.g. 0: the client closed them all)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._open) == n, timeout)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:  # wake handlers blocked on a kept-alive connection
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._accepter.join(timeout=5)
        for t in list(self._threads):
            t.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            while not self._stop.is_set():
                head = _read_request(conn)
                if head is None:
                    return
                with self._lock:
                    self.requests.append(head)
                if not self._behaviour(conn, head, self._stop):
                    return  # the behaviour ends the connection
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._changed:
                self._open.discard(conn)
                self._changed.notify_all()


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


def rst(conn: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def reset_before_status(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    rst(conn)


def garbage_status_line(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    conn.sendall(b"HELLO THIS IS NOT HTTP\r\n\r\n")


def slow_headers(stall: float) -> Behaviour:
    """Send the status line, then stall before the headers."""

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        stop.wait(stall)

    return behaviour


def redirect_to(location: str, status: int = 302, delay: float = 0.0) -> Behaviour:
    """Answer every request with a redirect (after ``delay`` s), whatever its headers."""

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        if delay:
            stop.wait(delay)
        conn.sendall(
            f"HTTP/1.1 {status} Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode()
        )

    return behaviour


def answer(
    status: int = 200,
    body: bytes = b'{"ok": true}',
    *,
    arrived: threading.Event | None = None,
    gate: threading.Event | None = None,
) -> Behaviour:
    """Answer every request on a kept-alive connection, which only the client closes.

    ``arrived`` is set when a request is in; the answer waits for ``gate`` (if given), so a
    test can act while a call is provably on the wire.
    """

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> bool:
        conn.settimeout(None)  # idle keep-alive: wait for the client's next request or close
        if arrived is not None:
            arrived.set()
        if gate is not None:
            while not gate.wait(0.05):
                if stop.is_set():
                    return False
        conn.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return True

    return behaviour


def trickle(mode: str, every: float = 0.2) -> Behaviour:
    """Answer slowly, forever, one byte each ``every`` seconds, until the client hangs up.

    ``mode`` says where the trickle is: ``headers`` (a header line that never ends),
    ``length`` (a body under a large Content-Length), ``close`` (no length: the body ends
    with the connection), ``chunked`` (one-byte chunks), ``chunk-size`` (a chunk-size line
    that never ends), ``gzip`` (a gzip header whose file name never ends: bytes that decode
    to nothing), ``stall`` (a few body bytes, then silence).
    """
    heads = {
        "headers": b"HTTP/1.1 200 OK\r\nX-Slow: ",
        "length": b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n",
        "close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
        "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "chunk-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 100000\r\n\r\n"
        # magic, deflate, FNAME set, mtime, xfl, os: then a file name that never ends
        + b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03",
        "stall": b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n",
    }
    piece = {"chunked": b"1\r\nx\r\n", "chunk-size": b"0"}.get(mode, b"a")
    head = heads[mode]

    def behaviour(conn: socket.socket, _: bytes, stop: threading.Event) -> None:
        conn.sendall(head)
        sent = 0
        while not stop.wait(every):
            if mode == "stall" and sent >= 3:
                conn.recv(1)  # a little body, then silence until the client hangs up
                return
            conn.sendall(piece)  # raises once the client has closed: the handler ends
            sent += 1

    return behaviour


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- probes ------------------------------------------------------------------------------


def checked_out(client: Composio) -> int:
    """Connections currently checked out of the client's urllib3 pools (0 = none leaked).

    urllib3 fills each pool's queue with ``maxsize`` slots (``None`` or an idle connection);
    a request takes one and must give it back (a broken connection is given back as ``None``
    or closed). ``maxsize - qsize`` is therefore exactly what is still out, whatever happened
    to the sockets -- ``num_connections`` is not, since it never decreases.
    """
    client = getattr(client, "target", client)  # an AsyncComposio behind tests._drivers
    transport = client._runtime.transport
    if hasattr(transport, "checked_out"):  # aiohttp: connections lent to a call right now
        return int(transport.checked_out())
    out = 0
    session = transport.session
    adapters = {id(a): a for a in session.adapters.values()}  # one adapter, mounted twice
    for adapter in adapters.values():
        manager = getattr(adapter, "poolmanager", None)
        if manager is None:
            continue
        for pool in list(manager.pools._container.values()):
            if pool.pool is not None:
                out += pool.pool.maxsize - pool.pool.qsize()
    return out


def secret_forms(secret: str) -> list[str]:
    """The spellings of a secret that must never appear anywhere (SPEC §8)."""
    return [
        secret,
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        secret[:8],
    ]


def assert_no_secret(secret: str, *texts: object) -> None:
    for text in texts:
        rendered = text if isinstance(text, str) else repr(text)
        for form in secret_forms(secret):
            assert form not in rendered, f"secret form {form[:3]}... leaked"


def assert_error_clean(secret: str, exc: BaseException, log_text: str) -> None:
    """The error's text, repr, args, request info and the captured log never hold the key."""
    assert_no_secret(
        secret, str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "request", None)), log_text
    )


class SleepRecorder:
    """Replaces the retry middleware's sleep: records each requested wait, sleeps not at all."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(float(seconds))


def record_sleeps(
    client: Composio, jitter: Callable[[], float] | None = None
) -> tuple[Composio, SleepRecorder]:
    """``client`` re-derived (same pool) with a recording sleep fixed into its retry seam
    (the async chain's ``asleep`` calls it too: both client kinds record).

    The seam is set when the chain is built, never swapped on a live middleware that other
    threads share; the derived client does not own the pool, close the original.
    """
    recorder = SleepRecorder()
    seams = RetrySeams(sleep=recorder, random=jitter or DEFAULT_SEAMS.random)  # async too
    derived = client.with_options(plugins=[*client.config.plugins, seams])
    return derived, recorder


class AttemptLog:
    """An ATTEMPT-stage middleware that notes each physical attempt's ``x-retry-count``.

    Counting attempts where no server can (connection refused) without touching the
    network stack.
    """

    name = "attempt-log"
    order = 100

    def __init__(self) -> None:
        from composio import Stage

        self.stage = Stage.ATTEMPT
        self.counts: list[str | None] = []
        self._lock = threading.Lock()

    def on_request(self, request: Any) -> None:
        """A sans-I/O policy: the same object runs in the sync and the async chain."""
        with self._lock:
            self.counts.append(request.headers.get("x-retry-count"))


@contextlib.contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[RawServer]:
    with RawServer(behaviour) as server:
        yield server


@contextlib.contextmanager
def blackhole() -> Iterator[str]:
    """A base URL whose TCP handshakes never complete (a connect timeout on loopback).

    A listener with a backlog of 0 that never accepts: once its queue holds a connection,
    Linux drops further SYNs, which is what a firewalled or overloaded host looks like.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(0.3)
            fillers.append(s)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                break  # a handshake timed out: the hole is in place
        else:
            import pytest

            pytest.skip("this kernel completes handshakes beyond the backlog")
        yield f"http://127.0.0.1:{port}"
    finally:
        for s in fillers:
            with contextlib.suppress(OSError):
                s.close()
        listener.close()


def partial_body(close: str) -> Behaviour:
    """A 200 promising 1,000 body bytes, 10 of them sent, then the connection ends: with a
    TCP RST (``close="rst"``, a reset mid-body) or a clean FIN (``close="fin"``, a body
    shorter than its Content-Length)."""

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        if close == "rst":
            rst(conn)
        else:
            conn.shutdown(socket.SHUT_WR)

    return behaviour
