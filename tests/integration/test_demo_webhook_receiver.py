"""The demo's webhook receiver listens on loopback while the demo runs: another local process
may send it anything. A malformed request gets a 400, never a traceback on the terminal."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from composio._demo import _webhook_receiver


@pytest.mark.parametrize("length", [b"abc", b"-1", b"99999999999"])
def test_demo_receiver_answers_a_bad_content_length_with_400_quietly(
    length: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    received: list[object] = []
    with _webhook_receiver("whsec_demo", received) as url:
        parts = urlsplit(url)
        assert parts.hostname and parts.port
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(
                b"POST /webhooks/composio HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + length
                + b"\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer[:40]
    assert received == []
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
