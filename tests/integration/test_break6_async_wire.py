"""Break-6 review of the async fast exchange (``composio._async_wire``): answers a server may
send on a borrowed connection that the fast path read differently from aiohttp's own path
(``COMPOSIO_AIOHTTP_ONLY=1``) -- a body cut to its first gzip member, header values with CR,
NUL or a bare LF kept, a chunk size past 64 bits waited for, a 101's next protocol parsed as
HTTP, bare-LF heads waited on until the deadline. Each answer is read on both paths, on
one connection the first call opened, and the two must agree on status, headers and body or
on the error's ``kind`` and ``sent``.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import pytest

from composio import APIConnectionError, APIStatusError, AsyncComposio, Timeout
from tests.integration._raw_servers import raw_server
from tests.integration.test_issue21_async_wire import (
    KEY,
    _async_second,
    raw_answer,
    second_call,
)

_A = gzip.compress(b'{"a": [1, ')
_B = gzip.compress(b"2]}")
_ZA = zlib.compress(b'{"z": [1, ')
_ZB = zlib.compress(b"2]}")


def _ok(head: bytes, body: bytes = b"{}") -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


ANSWERS: dict[str, bytes] = {
    # a body of concatenated gzip members (RFC 1952 2.2): every member is the body
    "gzip-members": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
    + b"Content-Length: %d\r\n\r\n%s" % (len(_A + _B), _A + _B),
    "deflate-members": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
    + b"Content-Length: %d\r\n\r\n%s" % (len(_ZA + _ZB), _ZA + _ZB),
    # bytes after the gzip member that are no member: aiohttp refuses the body
    "gzip-trailing-garbage": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
    + b"Content-Length: %d\r\n\r\n%s" % (len(_A) + 4, _A + b"junk"),
    # field values aiohttp refuses (RFC 9110 5.5: CTLs are not field content)
    "nul-in-value": _ok(b"X-A: a\x00b\r\n"),
    "cr-in-value": _ok(b"X-A: a\rb\r\n"),
    # a bare LF ends a line (aiohttp, http.client): here it hides a second Content-Length
    "bare-lf-hides-a-length": _ok(b"X-A: a\nContent-Length: 5\r\n"),
    "bare-lf-lines": b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}",
    # obs-fold: the continuation joins the value (RFC 9112 5.2), as aiohttp reads it
    "obs-fold": _ok(b"X-A: a\r\n b\r\n"),
    # a field name that is not a token
    "name-not-a-token": _ok(b"X(A): 1\r\n"),
    # aiohttp's line and count bounds: 8190 bytes a field, 128 fields
    "field-over-8190": _ok(b"X-Big: " + b"a" * 9000 + b"\r\n"),
    "129-fields": _ok(b"".join(b"X-%d: v\r\n" % i for i in range(128))),
    # the SDK never asks to switch protocols: what follows a 101 is not HTTP to parse
    "unasked-101": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
    + _ok(b""),
    # a chunk size past 64 bits (aiohttp: protocol) is not a chunk to wait for
    "chunk-size-overflow": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"1ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_break6_borrowed_connection_reads_untrusted_answers_as_aiohttp_does(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(only_aiohttp: bool) -> tuple[Any, ...]:
        if only_aiohttp:
            monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
        else:
            monkeypatch.delenv("COMPOSIO_AIOHTTP_ONLY", raising=False)
        with raw_server(second_call(raw_answer(ANSWERS[name]))) as server:
            # a short read timeout: an answer waited on instead of read shows as read_timeout
            second, fast = _async_second(
                server.url, timeout=Timeout(connect=2.0, read=1.0, total=4.0)
            )
        if isinstance(second, APIConnectionError):
            return "error", second.kind, second.sent
        if isinstance(second, APIStatusError):
            return "status", second.status_code
        assert fast is not only_aiohttp
        headers = sorted((k.lower(), v) for k, v in second.headers.items())
        return second.status_code, headers, second.content

    fast, slow = read(False), read(True)
    assert fast == slow
    if name.endswith("-members"):
        assert fast[2] in (b'{"a": [1, 2]}', b'{"z": [1, 2]}')


def _heads(method: str) -> list[list[bytes]]:
    """The request heads a bodiless ``method`` call sends, twice (the second one borrowed)."""

    async def run(url: str) -> None:
        async with AsyncComposio(api_key=KEY, base_url=url, allow_tracking=False) as client:
            await client.request("GET", "/first")
            for _ in range(2):
                await client.request(method, "/second")

    with raw_server(raw_answer(_ok(b"", b"" if method == "HEAD" else b"{}"))) as server:
        asyncio.run(run(server.url))
        heads = server.requests[1:]
    out = []
    for head in heads:
        lines = head.split(b"\r\n")
        kept = (x for x in lines[1:] if not x.lower().startswith((b"x-request-id:", b"host:")))
        out.append([lines[0], *sorted(kept)])
    return out


@pytest.mark.parametrize("method", ["DELETE", "OPTIONS", "HEAD", "GET"])
def test_break6_a_bodiless_request_is_framed_as_aiohttp_frames_it(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp (and requests) send ``Content-Length: 0`` on a bodiless DELETE; the borrowed
    connection sent none (a server or proxy that wants the length answers 411)."""
    monkeypatch.delenv("COMPOSIO_AIOHTTP_ONLY", raising=False)
    fast = _heads(method)
    monkeypatch.setenv("COMPOSIO_AIOHTTP_ONLY", "1")
    slow = _heads(method)
    assert fast[0] == fast[1] == slow[0] == slow[1]
