"""How much body a request to the local server carries, decided before a byte of it is read.

Why a module of its own: ``http.server`` leaves body framing to the handler, and reading
``int(Content-Length)`` bytes trusts the client twice (``abc`` raised ``ValueError`` out of
the handler, ``99999999999`` a ``MemoryError``). These rules follow RFC 9112 §6: one
``Content-Length`` of decimal digits, or ``Transfer-Encoding: chunked`` alone; anything else
is refused with the status a real server gives, and the caller closes the connection
(the unread bytes would be taken for the next request).
"""

from __future__ import annotations

import string
from email.message import Message
from io import BufferedIOBase

__all__ = ["CHUNKED", "Refused", "declared_length", "read_chunked"]

#: ``declared_length``'s answer for a chunked body (its size is known only once read).
CHUNKED = -1
#: Longer digit strings are refused as too large before ``int()`` (which caps at 4300 digits).
_MAX_DIGITS = 18
_HEX = frozenset(string.hexdigits)


class Refused(Exception):
    """A request the server answers with ``status`` and ``message`` without reading on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def declared_length(headers: Message, limit: int) -> int:
    """The body's length in bytes, ``0`` for none, or :data:`CHUNKED`; :class:`Refused`
    (400, 413, 501) when the framing is malformed, ambiguous or over ``limit``."""
    codings = headers.get_all("transfer-encoding") or []
    lengths = headers.get_all("content-length") or []
    if codings:
        if lengths:
            raise Refused(400, "Transfer-Encoding and Content-Length together are ambiguous")
        named = [c.strip().lower() for value in codings for c in value.split(",") if c.strip()]
        if named != ["chunked"]:
            raise Refused(501, "only Transfer-Encoding: chunked is supported")
        return CHUNKED
    if not lengths:
        return 0
    if len(lengths) > 1:
        raise Refused(400, "more than one Content-Length header")
    text = lengths[0].strip()
    if not (text.isascii() and text.isdigit()):
        raise Refused(400, "Content-Length must be a non-negative decimal number of bytes")
    if len(text) > _MAX_DIGITS or int(text) > limit:
        raise Refused(413, f"request body larger than the server's limit of {limit} bytes")
    return int(text)


def read_chunked(stream: BufferedIOBase, limit: int) -> bytes | None:
    """A chunked body (trailers read and dropped); ``None`` when the client hung up.
    :class:`Refused` for a malformed chunk (400) or more than ``limit`` bytes (413), checked
    before each chunk is read."""
    parts: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(1024)
        if not line:
            return None
        size_text = line.split(b";", 1)[0].strip().decode("latin-1")
        if not line.endswith(b"\n") or not size_text or not set(size_text) <= _HEX:
            raise Refused(400, "malformed chunk size line")
        if len(size_text) > _MAX_DIGITS:
            raise Refused(413, f"request body larger than the server's limit of {limit} bytes")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > limit:
            raise Refused(413, f"request body larger than the server's limit of {limit} bytes")
        data = stream.read(size)
        if len(data) < size:
            return None
        parts.append(data)
        if stream.readline(3).rstrip(b"\r\n") != b"":
            raise Refused(400, "a chunk is longer than its size line says")
    for _ in range(64):  # trailer fields, up to the empty line
        line = stream.readline(8192)
        if not line:
            return None
        if not line.rstrip(b"\r\n"):
            return b"".join(parts)
    raise Refused(400, "too many trailer fields")
