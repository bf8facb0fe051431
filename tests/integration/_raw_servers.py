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

Behaviour = Callable[[socket.socket, bytes, threading.Event], None]


class RawServer:
    """Accepts connections on 127.0.0.1 and lets ``behaviour`` answer each request."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.requests: list[bytes] = []  #: request heads received, in order
        self.connections = 0
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._accepter.join(timeout=5)
        for t in list(self._threads):
            t.join(timeout=5)

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
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
                self._behaviour(conn, head, self._stop)
                return  # every behaviour ends the connection
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()


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


def redirect_to(location: str, status: int = 302) -> Behaviour:
    """Answer every request with a redirect, whatever its headers (no key check)."""

    def behaviour(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(
            f"HTTP/1.1 {status} Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode()
        )

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
