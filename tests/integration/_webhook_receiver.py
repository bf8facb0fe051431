"""A real webhook receiver for tests: ``http.server`` in a thread that answers with scripted
statuses (then 200) and records every delivery's headers and body before answering, so a
synchronous ``fire_trigger`` finds them recorded when it returns. The OTLP tests use it as a
Collector's OTLP/HTTP endpoint (``tests/_otlp.py``), which is why it records the path too."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """A webhook endpoint: answers with scripted statuses (then 200), records what came."""

    statuses: deque[int] = field(default_factory=deque)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, headers: dict[str, str], body: bytes, path: str = "") -> int:
        with self.lock:
            self.received.append((headers, body))
            self.paths.append(path)
            return self.statuses.popleft() if self.statuses else 200


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port, in its own thread, until the block ends."""
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status = rec.handle({k.lower(): v for k, v in self.headers.items()}, body, self.path)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64  # 16 senders at once: no SYN waits on a full backlog

    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    rec.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/composio"
    try:
        yield rec
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
