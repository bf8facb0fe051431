"""``LocalServer``'s realtime side: a Pusher Channels (protocol 7) websocket server on its own
loopback port, written on the standard library (RFC 6455 framing by hand), so it runs without
the ``async`` extra and shares no code with the SDK's client (aiohttp): the two meet only on
the wire, as the webhook signer and verifier do.

What it speaks (https://pusher.com/docs/channels/library_auth_reference/
pusher-websockets-protocol): ``GET /app/{key}?protocol=7`` upgraded to a websocket;
``pusher:connection_established`` with a fresh ``socket_id``; ``pusher:subscribe`` to a private
channel checked against the real signature (HMAC-SHA256 of ``socket_id:channel`` under the app
secret, hex, prefixed ``key:``); ``pusher_internal:subscription_succeeded``; ``pusher:ping`` ->
``pusher:pong``; ``pusher:error`` 4001 (unknown app key), 4007 (unsupported protocol), 4009
(bad auth). Published events go to every subscriber of the channel, as ``trigger_to_client``
or, past :data:`CHUNK_SIZE`, as ``chunked-trigger_to_client`` frames.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import socket
import socketserver
import struct
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CHUNK_SIZE", "RealtimeHub", "pusher_signature"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Characters of event JSON per frame; larger events are chunked (Pusher's own message limit
#: is 10 KB, which is why the API chunks).
CHUNK_SIZE = 9000
_MAX_FRAME = 1 << 20


def pusher_signature(secret: str, key: str, socket_id: str, channel: str) -> str:
    """``key:hex(HMAC-SHA256(secret, "socket_id:channel"))``, Pusher's private-channel auth."""
    digest = hmac.new(
        secret.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{key}:{digest}"


class _Closed(Exception):
    pass


class _Conn:
    """One websocket connection (server side)."""

    def __init__(self, sock: socket.socket, socket_id: str, headers: Mapping[str, str]) -> None:
        self.sock = sock
        self.socket_id = socket_id
        self.headers = dict(headers)
        self.channels: set[str] = set()
        self.send_lock = threading.Lock()

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def send_event(self, event: str, data: Any, channel: str | None = None) -> None:
        frame: dict[str, Any] = {"event": event, "data": data}
        if channel is not None:
            frame["channel"] = channel
        self.send_text(json.dumps(frame, separators=(",", ":")))

    def _send(self, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 1 << 16:
            head += bytes([126]) + struct.pack("!H", n)
        else:
            head += bytes([127]) + struct.pack("!Q", n)
        with self.send_lock:
            self.sock.sendall(head + payload)

    def _exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise _Closed
            out += chunk
        return out

    def read_message(self) -> str:
        """The next text message (fragments joined); control frames answered in passing."""
        parts: list[bytes] = []
        while True:
            b1, b2 = self._exact(2)
            fin, opcode, masked, n = b1 & 0x80, b1 & 0x0F, b2 & 0x80, b2 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._exact(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._exact(8))
            if not masked or n > _MAX_FRAME:
                raise _Closed  # RFC 6455 5.1: client frames are masked
            mask = self._exact(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._exact(n)))
            if opcode == 0x8:
                try:
                    self._send(0x8, data[:2])
                finally:
                    raise _Closed
            if opcode == 0x9:
                self._send(0xA, data)
                continue
            if opcode == 0xA:
                continue
            parts.append(data)
            if fin:
                return b"".join(parts).decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class RealtimeHub:
    """The Pusher-protocol server: subscriptions, publishing, and what tests inspect."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.key = "lk_" + secrets.token_hex(8)
        self.secret = secrets.token_hex(16)
        self.project_id = "pr_" + uuid.uuid4().hex[:12]
        self.cluster = "local"
        self.channel = f"private-{self.project_id}_triggers"
        self._host = host
        self._cond = threading.Condition()
        self._conns: list[_Conn] = []
        self.subscriptions = 0  #: successful subscriptions, reconnects included
        self.pongs = 0  #: ``pusher:pong`` frames received
        self.handshakes: list[dict[str, str]] = []  #: each upgrade request's headers
        self.targets: list[str] = []  #: each upgrade request's path and query
        self.received: list[Any] = []  #: every client frame, parsed (protocol checks)
        self.sent: Counter[str] = Counter()  #: frames sent to subscribers, by event name
        self.refused: list[str] = []  #: why subscriptions/connections were refused
        #: sent in ``connection_established``; tests shorten it to exercise the client's pings
        self.activity_timeout = 120
        #: False plays a half-open socket: client frames are read and never answered
        self.answer = True
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        hub = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                hub._serve(self.request)

        server = socketserver.ThreadingTCPServer((self._host, 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"composio-local-realtime:{server.server_address[1]}",
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        assert self._server is not None, "realtime hub not started"
        return f"ws://{self._host}:{self._server.server_address[1]}"

    # -- inspection and control ----------------------------------------------------------
    @property
    def connections(self) -> int:
        with self._cond:
            return len(self._conns)

    def subscribers(self) -> int:
        with self._cond:
            return sum(1 for c in self._conns if self.channel in c.channels)

    def wait_for(self, predicate: Callable[[RealtimeHub], bool], timeout: float) -> bool:
        """Wait until ``predicate(hub)`` holds (re-checked on every change), or time out."""
        with self._cond:
            return bool(self._cond.wait_for(lambda: predicate(self), timeout))

    def drop_connections(self) -> int:
        """Close every client socket abruptly (no close frame): a network drop."""
        with self._cond:
            conns, self._conns = self._conns, []
            self._cond.notify_all()
        for conn in conns:
            conn.close()
        return len(conns)

    def ping(self) -> int:
        """Send ``pusher:ping`` to every connection; returns how many were pinged."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.send_event("pusher:ping", {})
        return len(conns)

    def send_raw(self, text: str) -> None:
        """Send a frame as given to every connection (malformed-frame tests)."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.send_text(text)

    def publish(self, body: Mapping[str, Any]) -> int:
        """Send one event to every subscriber; returns how many got it."""
        text = json.dumps(body, separators=(",", ":"))
        with self._cond:
            targets = [c for c in self._conns if self.channel in c.channels]
        for conn in targets:
            try:
                if len(text) <= CHUNK_SIZE:
                    conn.send_event("trigger_to_client", text, self.channel)
                    self.sent["trigger_to_client"] += 1
                    continue
                event_id = uuid.uuid4().hex
                pieces = [text[i : i + CHUNK_SIZE] for i in range(0, len(text), CHUNK_SIZE)]
                for index, piece in enumerate(pieces):
                    chunk = {
                        "id": event_id,
                        "index": index,
                        "chunk": piece,
                        "final": index == len(pieces) - 1,
                    }
                    conn.send_event("chunked-trigger_to_client", json.dumps(chunk), self.channel)
                    self.sent["chunked-trigger_to_client"] += 1
            except OSError:
                pass
        return len(targets)

    # -- one connection ------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        try:
            head = self._read_head(sock)
        except (OSError, ValueError):
            sock.close()
            return
        if head is None:
            sock.close()
            return
        target, headers = head
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        socket_id = f"{int.from_bytes(os.urandom(3), 'big')}.{int.from_bytes(os.urandom(3), 'big')}"
        conn = _Conn(sock, socket_id, headers)
        with self._cond:
            self.handshakes.append(dict(headers))
            self.targets.append(target)
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        try:
            if parts.path != f"/app/{self.key}":
                self._refuse(
                    conn, 4001, f"App key {parts.path.rsplit('/', 1)[-1]} not in this cluster"
                )
                return
            if query.get("protocol") != ["7"]:
                self._refuse(conn, 4007, "Unsupported protocol version")
                return
            with self._cond:
                self._conns.append(conn)
                self._cond.notify_all()
            info = {"socket_id": socket_id, "activity_timeout": self.activity_timeout}
            conn.send_event("pusher:connection_established", json.dumps(info))
            while True:
                self._on_message(conn, conn.read_message())
        except (_Closed, OSError, ValueError):
            pass
        finally:
            with self._cond:
                if conn in self._conns:
                    self._conns.remove(conn)
                self._cond.notify_all()
            conn.close()

    def _refuse(self, conn: _Conn, code: int, message: str) -> None:
        with self._cond:
            self.refused.append(f"{code} {message}")
        conn.send_event("pusher:error", {"code": code, "message": message})
        conn._send(0x8, struct.pack("!H", code))

    @staticmethod
    def _read_head(sock: socket.socket) -> tuple[str, dict[str, str]] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk or len(data) > 16384:
                return None
            data += chunk
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        if method != "GET":
            return None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("upgrade", "").lower() != "websocket":
            return None
        return target, headers

    def _on_message(self, conn: _Conn, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            return
        with self._cond:
            self.received.append(frame)
        if not isinstance(frame, dict):
            return
        event, data = frame.get("event"), frame.get("data")
        if not self.answer:
            return
        if event == "pusher:ping":
            conn.send_event("pusher:pong", {})
        elif event == "pusher:pong":
            with self._cond:
                self.pongs += 1
                self._cond.notify_all()
        elif event == "pusher:subscribe" and isinstance(data, dict):
            channel, auth = data.get("channel"), data.get("auth")
            expected = pusher_signature(self.secret, self.key, conn.socket_id, str(channel))
            if channel != self.channel or not isinstance(auth, str):
                self._deny(conn, f"no such channel {channel!r}", channel)
            elif not hmac.compare_digest(auth.encode(), expected.encode()):
                self._deny(conn, "Invalid signature", channel)
            else:
                with self._cond:
                    conn.channels.add(channel)
                    self.subscriptions += 1
                    self._cond.notify_all()
                conn.send_event("pusher_internal:subscription_succeeded", "{}", channel)

    def _deny(self, conn: _Conn, message: str, channel: object) -> None:
        with self._cond:
            self.refused.append(message)
        conn.send_event(
            "pusher:subscription_error",
            json.dumps({"type": "AuthError", "error": message, "status": 401}),
            channel if isinstance(channel, str) else None,
        )
