"""Issue 16, item 16: LocalServer (and ``composio dev-server``) checks a request's framing and
key before reading its body, answers a bad one with a 4xx (5xx for an unsupported coding)
instead of a traceback or a ``MemoryError``, and keeps serving.

Raw sockets over loopback: each bad request is written byte for byte, the answer is read
back, and then a good request (on a new connection) must still be answered.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import dev_server

WAIT = 10.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  #: the server closed the connection after this answer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def _read_answer(sock: socket.socket) -> Answer:
    stream = sock.makefile("rb")
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), f"no answer: {status_line!r}"
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    closed = headers.get("connection", "").lower() == "close" and stream.read(1) == b""
    return Answer(int(status_line.split()[1]), headers, body, closed)


def send(server: LocalServer, raw: bytes) -> Answer:
    """Write ``raw`` on a new connection and read one answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(raw)
        return _read_answer(sock)


def request(
    method: str = "POST",
    path: str = "/echo",
    *,
    key: str | None = SENTINEL_KEY,
    headers: tuple[str, ...] = (),
    body: bytes = b"",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if key is not None:
        lines.append(f"x-api-key: {key}")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def still_serving(server: LocalServer) -> None:
    answer = send(server, request("GET", "/api/v3/tools?limit=1"))
    assert answer.status == 200 and len(json.loads(answer.body)["items"]) == 1


@pytest.mark.parametrize(
    ("length_headers", "status"),
    [
        (("Content-Length: abc",), 400),
        (("Content-Length: -5",), 400),
        (("Content-Length: 1e3",), 400),
        (("Content-Length: \u00b2",), 400),  # '²'.isdigit() is True, int('²') fails
        (("Content-Length: 5", "Content-Length: 6"), 400),
        (("Content-Length: 5", "Content-Length: 5"), 400),
        (("Content-Length: 99999999999",), 413),
        (("Content-Length: " + "9" * 5000,), 413),  # past int()'s 4300-digit limit
        (("Transfer-Encoding: chunked", "Content-Length: 5"), 400),
        (("Transfer-Encoding: gzip, chunked",), 501),
        (("Transfer-Encoding: identity",), 501),
    ],
)
def test_item16_bad_framing_is_refused_unread_and_the_server_keeps_serving(
    server: LocalServer, length_headers: tuple[str, ...], status: int
) -> None:
    answer = send(server, request(headers=length_headers, body=b"hello"))
    assert answer.status == status
    assert answer.closed  # the unread bytes are never parsed as a next request
    assert json.loads(answer.body)["error"]["status"] == status
    still_serving(server)


def test_item16_a_wrong_key_is_401_before_the_body_is_read(server: LocalServer) -> None:
    # A million bytes declared, none sent: a server reading first would wait for them.
    answer = send(server, request(key="wrong", headers=("Content-Length: 1000000",)))
    assert (answer.status, answer.closed) == (401, True)
    assert server.requests[-1].body == b"" and server.requests[-1].header("x-api-key") == "wrong"
    still_serving(server)


def test_item16_expect_100_continue_only_for_an_accepted_request(server: LocalServer) -> None:
    expect = ("Expect: 100-continue", "Content-Length: 2")
    refused = send(server, request(key="wrong", headers=expect))
    assert refused.status == 401  # no "100 Continue" first: the client never sends the body
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(request(headers=expect))
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 100")
        assert stream.readline() == b"\r\n"
        sock.sendall(b"hi")
        answer = _read_answer(sock)
    assert answer.status == 200 and json.loads(answer.body)["body"] == "hi"


def test_item16_a_wrong_key_without_a_body_keeps_the_connection(server: LocalServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(request("GET", "/api/v3/tools", key="wrong"))
        first = _read_answer(sock)
        sock.sendall(request("GET", "/api/v3/tools?limit=1"))
        second = _read_answer(sock)
    assert (first.status, first.closed, second.status) == (401, False, 200)


def test_item16_a_chunked_body_is_read_within_the_limit(server: LocalServer) -> None:
    chunked = b"3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\nTrailer-Field: x\r\n\r\n"
    answer = send(server, request(headers=("Transfer-Encoding: chunked",), body=chunked))
    assert answer.status == 200 and json.loads(answer.body)["body"] == "hello"
    server.max_body_size = 4
    answer = send(server, request(headers=("Transfer-Encoding: chunked",), body=chunked))
    assert (answer.status, answer.closed) == (413, True)
    still_serving(server)


@pytest.mark.parametrize(
    "chunked",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
        b"-5\r\nhello\r\n0\r\n\r\n",  # negative
        b"2\r\nhello\r\n0\r\n\r\n",  # longer than its size line
        b"\r\nhello\r\n0\r\n\r\n",  # empty size line
        b"f" * 40 + b"\r\nhello\r\n",  # an absurd size
    ],
)
def test_item16_a_malformed_chunk_is_refused(server: LocalServer, chunked: bytes) -> None:
    answer = send(server, request(headers=("Transfer-Encoding: chunked",), body=chunked))
    assert answer.status in (400, 413) and answer.closed
    still_serving(server)


def test_item16_a_body_over_the_limit_is_413_and_a_body_under_it_is_read(
    server: LocalServer,
) -> None:
    small = LocalServer(api_key=SENTINEL_KEY, max_body_size=5).start()
    try:
        answer = send(small, request(headers=("Content-Length: 6",), body=b"abcdef"))
        assert (answer.status, answer.closed) == (413, True)
        answer = send(small, request(headers=("Content-Length: 5",), body=b"abcde"))
        assert answer.status == 200 and json.loads(answer.body)["body"] == "abcde"
    finally:
        small.stop()


def test_item16_a_client_hanging_up_mid_body_does_not_stop_the_server(
    server: LocalServer,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(request(headers=("Content-Length: 100",), body=b"only a few"))
    still_serving(server)
    assert all(r.body != b"only a few" for r in server.requests)  # never handled as whole


def test_item16_dev_server_answers_bad_lengths_and_prints_no_traceback() -> None:
    with dev_server("--api-key", SENTINEL_KEY) as running:
        port = int(running.url.rsplit(":", 1)[1])
        for bad in ("abc", "99999999999", "-1"):
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
                sock.sendall(request(headers=(f"Content-Length: {bad}",)))
                assert _read_answer(sock).status in (400, 413)
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(request("GET", "/api/v3/tools?limit=1"))
            assert _read_answer(sock).status == 200
    assert running.returncode == 0
    assert "Traceback" not in running.err and "Error" not in running.err
