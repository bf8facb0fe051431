"""Break round 3 (issue 19): ``COMPOSIO_LOG=debug`` against a hostile server.

The debug line of a call carries the server's ``x-request-id``. Scrubbed of secrets, but
not escaped: a server answering ``x-request-id: ESC [2J ESC ]0;... `` cleared or retitled the
terminal the log went to (stderr), and a forged id could fake a log line. The log is a
printer of untrusted text like the CLI: it goes through the same escape.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterator

import pytest

from tests._drivers import Driver
from tests.integration._raw_servers import raw_server

HOSTILE_ID = "\x1b[2J\x1b[31mid-1"
BODY = b'{"items": [], "next_cursor": null, "total_pages": 1}'
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def hostile_id(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: "
        + HOSTILE_ID.encode("latin-1")
        + f"\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode()
        + BODY
    )


@pytest.fixture
def debug_log() -> Iterator[list[str]]:
    """Every line the ``composio`` logger emits at DEBUG, as a handler formats it."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = logging.getLogger("composio")
    handler, level = Collect(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_break3_debug_log_escapes_a_hostile_request_id(
    driver: Driver, debug_log: list[str]
) -> None:
    with raw_server(hostile_id) as server:
        client = driver.client(api_key="k" * 20, base_url=server.url, allow_tracking=False)
        raw = client.with_raw_response.toolkits.list()
    assert raw.request_id == HOSTILE_ID  # the value is the server's, as sent
    [line] = [line for line in debug_log if "toolkits.list" in line]
    assert not CONTROL.search(line), line
    assert "request_id=\\x1b[2J\\x1b[31mid-1" in line  # shown, visibly escaped
