"""A server whose per-request cost is next to nothing, for the 16-threads throughput figure.

Why it exists: ``LocalServer`` is a ``ThreadingHTTPServer`` that spends ~300 µs of Python per
``/api/v3/tools`` request (routing, auth, JSON rendering) under its own GIL, beside the two
clients on a two-core machine. With 16 client threads against it, the throughput figure moved
with the server's CPU and the server's 16 handler threads trading its GIL, not only with the
clients'. This server answers from memory: when it starts it fetches the page once from the
real ``LocalServer`` (the very bytes that server sends: status line, headers, JSON body) and then
replays them for every ``GET /api/v3/tools`` or ``/api/v3.1/tools`` request -- one thread, one
``selectors`` loop, keep-alive, a few µs of Python per request (~30 µs of CPU with the
kernel's TCP work). Anything else gets a 404.

It runs in its own process (its CPU never counts against the clients'), prints its URL on one
line and stops when its stdin closes, like :mod:`tests.benchmarks._server`.
"""

from __future__ import annotations

import selectors
import socket
from pathlib import Path

from tests.benchmarks._server import ChildServer

__all__ = ["StaticServerProcess", "fetch_raw", "serve"]

_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
_PAGE_PATHS = (b"/api/v3/tools", b"/api/v3.1/tools")


def fetch_raw(url: str, path: str, api_key: str) -> bytes:
    """The whole response (status line, headers, body) ``url`` sends for ``GET path``."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nx-api-key: {api_key}\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 ") or b"\r\ntransfer-encoding:" in head.lower():
        raise RuntimeError(f"unexpected answer to GET {path}: {head[:60]!r}")
    # ``Connection: close`` was ours to ask; the replayed answer keeps the connection open.
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def serve(page: bytes, listener: socket.socket, stop: socket.socket) -> None:
    """Answer every request on ``listener``'s connections until ``stop`` is readable."""
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    sel.register(stop, selectors.EVENT_READ, None)
    inbox: dict[socket.socket, bytearray] = {}
    outbox: dict[socket.socket, bytearray] = {}
    while True:
        for key, events in sel.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is stop:
                return
            if sock is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                inbox[conn] = bytearray()
                outbox[conn] = bytearray()
                sel.register(conn, selectors.EVENT_READ, None)
                continue
            if events & selectors.EVENT_READ and not _read(sock, page, inbox, outbox):
                sel.unregister(sock)
                del inbox[sock], outbox[sock]
                sock.close()
                continue
            out = outbox[sock]
            if out:
                try:
                    sent = sock.send(out)
                except BlockingIOError:
                    sent = 0
                except OSError:
                    sent = -1
                if sent < 0:
                    sel.unregister(sock)
                    del inbox[sock], outbox[sock]
                    sock.close()
                    continue
                del out[:sent]
            want = selectors.EVENT_READ | (selectors.EVENT_WRITE if out else 0)
            if key.events != want:
                sel.modify(sock, want, None)


def _read(
    sock: socket.socket,
    page: bytes,
    inbox: dict[socket.socket, bytearray],
    outbox: dict[socket.socket, bytearray],
) -> bool:
    """Take what arrived; queue one answer per complete request. False: the peer is gone."""
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return True
    except OSError:
        return False
    if not data:
        return False
    buf = inbox[sock]
    buf += data
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return True
        head = bytes(buf[:end])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(buf) < end + 4 + length:
            return True  # the body is still on its way
        del buf[: end + 4 + length]
        target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
        path = target.split(b"?", 1)[0]
        outbox[sock] += page if path in _PAGE_PATHS else _NOT_FOUND


_CHILD = """
import json, socket, sys, threading
from tests.benchmarks._static_server import fetch_raw, serve
url, api_key = sys.argv[1], sys.argv[2]
page = fetch_raw(url, "/api/v3/tools", api_key)
listener = socket.create_server(("127.0.0.1", 0), backlog=128)
stop_r, stop_w = socket.socketpair()
thread = threading.Thread(target=serve, args=(page, listener, stop_r), daemon=True)
thread.start()
print(json.dumps({"url": "http://127.0.0.1:%d" % listener.getsockname()[1],
                  "page_bytes": len(page)}), flush=True)
sys.stdin.read()
stop_w.send(b"x")
thread.join(10)
"""


class StaticServerProcess(ChildServer):
    """``with StaticServerProcess(api_url, api_key) as srv: srv.url`` -- replays ``api_url``'s
    tools page."""

    code = _CHILD

    def __init__(self, api_url: str, api_key: str) -> None:
        # the repository, so that the child can import ``tests``
        super().__init__(api_url, api_key, cwd=str(Path(__file__).resolve().parents[2]))
