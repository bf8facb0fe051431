"""The async transport's fast exchange: one HTTP/1.1 request and its whole answer on a
connection aiohttp's pool already holds open (SPEC §19).

Why it exists: ``ClientSession.request`` costs about a third of a small call's CPU on the
loop -- ``ClientRequest``/``ClientResponse`` objects, URL and header multidicts, a
``TimerContext``, a cookie filter, a ``StreamReader`` per body -- more than the whole SDK
chain above it, so ``await session.tools.list()`` could not come near bare aiohttp's
``get().json()`` (SPEC §19: at most 1.0x) with it on the path. As the sync transport drives
requests' urllib3 pool itself, this drives aiohttp's pool itself: the same connector, the
same connections, only the bytes of one exchange are written and read here.

What stays aiohttp's: every connection is opened, proxied, TLS-wrapped, address-checked
(``composio._egress``), pooled, kept alive, expired and closed by aiohttp's connector, and
only a connection that aiohttp itself opened and put back idle is borrowed (``BaseConnector
._get``). A call with no idle connection, through a proxy, to another origin, streaming a
body or into a file takes aiohttp's ``ClientSession`` path (``AiohttpTransport._send``).

How a connection is borrowed: for the exchange the transport's protocol is swapped for an
:class:`Exchange` (``asyncio.Transport.set_protocol``), which parses the answer and passes
the connection's own events (``connection_lost``, write flow control) on to aiohttp's
``ResponseHandler``; the handler is put back before the connection is released (or closed:
after ``Connection: close``, a body delimited by the close, any error, a cancellation).
aiohttp's handler sees an idle connection throughout, as it does between two of its own
requests.

Which aiohttp: the pool's private names this needs (``BaseConnector._get`` and ``_conns``,
``ConnectionKey``'s ``host``/``port``/``proxy``) are checked once (:func:`supported`); where
any is missing, every call takes the ``ClientSession`` path, which is also what the tests
run against to prove both paths answer alike
(``tests/integration/test_issue21_async_wire.py``).
"""

from __future__ import annotations

import asyncio
import re
import zlib
from typing import Any

__all__ = ["TIMER_SLOP", "Exchange", "Reply", "Timers", "WireFailure", "request_head", "supported"]

#: The longest status line plus headers accepted (aiohttp's parser: 8190 per line).
MAX_HEAD = 65536
#: Fields accepted in one answer, and bytes in one line of its head: aiohttp's bounds
#: (``max_headers``, ``max_line_size``/``max_field_size``), so both paths refuse alike.
MAX_HEADER_LINES = 128
MAX_LINE = 8190
#: gzip/deflate members one body may hold (aiohttp's ``MAX_DECOMPRESS_MEMBERS``).
MAX_MEMBERS = 1024
#: What the fast path asks for: the encodings the standard library decodes.
ACCEPT_ENCODING = "gzip, deflate"
#: asyncio may run a timer up to its clock resolution early: a read timeout clipped to the
#: deadline that fires this close to it is the deadline.
TIMER_SLOP = 0.002
_NO_BODY_STATUSES = frozenset({204, 304})
#: Verbs aiohttp sends no ``Content-Length: 0`` for when they carry no body (its
#: ``ClientRequest.GET_METHODS``); every other one gets it, as requests sends it too.
_BODILESS_VERBS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The end of a head: an empty line, each line ended by CRLF or a bare LF (RFC 9112 2.2, as
#: aiohttp and http.client read it; a bare CR elsewhere in the head is refused).
_HEAD_END = re.compile(rb"\r?\n\r?\n")
#: An RFC 9110 token: what a field name is.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Names joined by LF, each an RFC 9110 token: one match for a whole head's names.
_NAMES = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*")


class WireFailure(Exception):
    """Why an exchange failed, in the SDK's own words: ``kind`` is one of the transport
    error kinds (``reset``, ``truncated``, ``protocol``, ``read_timeout``, ``deadline``),
    ``during`` what the call was doing. Mapped once, with aiohttp's own errors
    (``async_transport._map_error``)."""

    def __init__(self, kind: str, during: str, cause: str) -> None:
        super().__init__(cause)
        self.kind = kind
        self.during = during


class Reply:
    """The raw response of the fast path (``Response.raw``): status, reason, HTTP version
    and the headers as aiohttp exposes them (a ``CIMultiDictProxy``, values decoded as
    UTF-8 with ``surrogateescape``, as aiohttp does)."""

    __slots__ = ("body", "headers", "reason", "status", "version")

    def __init__(self, status: int, reason: str, version: str, headers: Any, body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:  # the status alone: the reason phrase is the server's text
        return f"<Reply {self.status}>"

    def close(self) -> None:
        """Nothing to give back: the body was read whole and the connection released."""


def supported(aiohttp: Any) -> bool:
    """Whether this aiohttp's pool has the shape the fast path borrows from: tested by
    name, once. False: every call takes the ``ClientSession`` path."""
    connector = getattr(aiohttp, "BaseConnector", None)
    key = getattr(getattr(aiohttp, "client_reqrep", None), "ConnectionKey", None)
    fields = getattr(key, "_fields", ())
    return (
        connector is not None
        and asyncio.iscoroutinefunction(getattr(connector, "_get", None))
        and {"host", "port", "is_ssl", "proxy"} <= set(fields)
    )


def request_head(method: str, target: str, host: str, lines: list[bytes], names: Any) -> bytes:
    """The request line and header block: the checked ``lines`` of the request's own
    headers (``names``: theirs, in order), plus what aiohttp adds when the request lacks it
    (``host``, the ``Host`` line; ``Accept``, ``Accept-Encoding``, ``Content-Length: 0`` on
    a bodiless DELETE). ``target`` and ``host`` are printable ASCII (the caller checked)."""
    key = (method, *names)
    added = _ADDED.get(key)
    if added is None:
        added = _added(method, {name.lower() for name in names})
        if len(_ADDED) >= _ADDED_LIMIT:
            _ADDED.clear()
        _ADDED[key] = added
    with_host, last = added
    first = f"{method} {target} HTTP/1.1\r\n{host}" if with_host else f"{method} {target} HTTP/1.1"
    return b"\r\n".join((first.encode("ascii"), *lines, last))


def _added(method: str, lower: set[str]) -> tuple[bool, bytes]:
    """What :func:`request_head` adds to a request with headers named ``lower``: whether
    the ``Host`` line goes first, and the lines that go last (up to the head's end)."""
    last = []
    if "accept" not in lower:
        last.append(b"Accept: */*")
    if "accept-encoding" not in lower:
        last.append(b"Accept-Encoding: " + ACCEPT_ENCODING.encode("ascii"))
    if "content-length" not in lower and method not in _BODILESS_VERBS:
        last.append(b"Content-Length: 0")
    last.append(b"\r\n")
    return "host" not in lower, b"\r\n".join(last)


#: :func:`request_head`'s additions by (verb, header names...): the names a client sends
#: are few and the same call after call (names only, never a value); bounded all the same.
_ADDED: dict[tuple[str, ...], tuple[bool, bytes]] = {}
_ADDED_LIMIT = 256


class Timers:
    """One loop timer watching the deadline and read timeout of every exchange in flight
    from one pool (so on one loop, the pool's).

    Why not a timer per exchange: almost every exchange ends long before either is due,
    and a timer armed and cancelled per call (a ``TimerHandle``, a heap push, the
    cancelled handle's pop later) cost more than the rest of the exchange's bookkeeping.
    Here a call joins a set, and leaves it when it ends; the one timer is armed for the
    earliest time any exchange in flight is due (moved earlier only when a new one is due
    sooner). When it runs it asks each exchange in flight (:meth:`Exchange.expire`):
    those due fail, and it is armed again for the earliest of the rest. Moving a read
    timeout on with each byte received costs nothing: the timer, run early for it, finds
    it not yet due and waits on.
    """

    __slots__ = ("at", "handle", "watched")

    def __init__(self) -> None:
        self.watched: set[Exchange] = set()
        self.handle: asyncio.TimerHandle | None = None
        self.at = 0.0  #: loop time the handle runs at

    def watch(self, exchange: Exchange) -> None:
        """Watch ``exchange`` until it leaves ``watched`` (its caller's ``finally``)."""
        self.watched.add(exchange)
        end, read = exchange.end, exchange.read
        due = end if read is None else min(end, exchange.last_data + read)
        if self.handle is None or due < self.at:
            self._arm(exchange.loop, due)

    def stop(self) -> None:
        """The pool was released: its timer is cancelled unless an exchange is still
        watched (it then keeps watching those, re-armed while any is left, and stops once
        none is), so a closed client leaves no timer on the loop for its longest deadline."""
        if self.handle is not None and not self.watched:
            self.handle.cancel()
            self.handle = None

    def _arm(self, loop: asyncio.AbstractEventLoop, at: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.at = at
        self.handle = loop.call_at(at, self._run, loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        self.handle = None
        # Armed for ``at``, the earliest due in flight; asyncio runs a timer up to its
        # clock's resolution early, and what was due at ``at`` is due now all the same.
        now = max(loop.time(), self.at)
        due: float | None = None
        for exchange in list(self.watched):
            when = exchange.expire(now)
            if when is None:
                self.watched.discard(exchange)
            elif due is None or when < due:
                due = when
        if due is not None:
            self._arm(loop, due)


class Exchange(asyncio.Protocol):
    """Reads one HTTP/1.1 answer off a borrowed connection (see the module docstring).

    The answer is framed as RFC 9112 says: no body for HEAD, 1xx, 204 and 304; chunked when
    ``Transfer-Encoding`` ends in ``chunked``; ``Content-Length`` bytes; else up to the
    close. A message with both framings, an invalid or conflicting length, a head over
    :data:`MAX_HEAD` or a malformed line is a ``protocol`` failure and the connection is
    closed (no request smuggling through a reused connection). Where RFC 9112 lets a
    client choose, the choice is aiohttp's own (its lax response parser), so an answer
    reads the same on both paths: a bare LF ends a line, obs-fold joins the value; CR or
    NUL in a field, a name that is no token and aiohttp's size bounds are refused; a 101
    (never asked for) ends the exchange, what follows unread and the connection closed.
    ``done`` gets the :class:`Reply` or a :class:`WireFailure`.
    """

    __slots__ = (
        "buf",
        "done",
        "encoding",
        "end",
        "handler",
        "head_only",
        "keep_alive",
        "last_data",
        "left",
        "loop",
        "parts",
        "read",
        "reply",
        "state",
    )

    def __init__(
        self,
        handler: Any,
        done: asyncio.Future[Reply],
        head_only: bool,
        remaining: float = float("inf"),
        read: float | None = None,
    ) -> None:
        self.handler = handler  #: aiohttp's ResponseHandler: it gets the connection's events
        self.done = done
        self.head_only = head_only
        self.buf = bytearray()
        self.reply: Reply | None = None
        self.keep_alive = False
        self.parts: list[bytes] = []
        self.left = 0  #: bytes of the body (or of the current chunk) still to come
        self.state = 0  #: 0 head, 1 length, 2 chunk size, 3 chunk data, 4 trailers, 5 eof
        self.encoding = ""
        self.loop = done.get_loop()
        self.last_data = self.loop.time()  #: loop time of the start, then of the last bytes
        self.end = self.last_data + remaining  #: loop time of the call's deadline
        self.read = read  #: ``Timeout.read`` (s), or None where the deadline comes first

    def expire(self, now: float) -> float | None:
        """Run by :class:`Timers` at loop time ``now``: the exchange fails if its deadline
        or ``Timeout.read`` without a byte has come. None: it has ended (now or before),
        else the loop time it is next due.

        Due means due: the timer runs for whichever exchange is due first, and another one
        due a moment later is not failed early (a slop here failed it up to
        :data:`TIMER_SLOP` before its own deadline). The slop only names what failed: a
        read timeout that comes within it of the deadline is the deadline, as
        ``async_transport._map_error`` names aiohttp's."""
        if self.done.done():
            return None
        end, read = self.end, self.read
        due = end if read is None else min(end, self.last_data + read)
        if now < due:
            return due
        during = "waiting for the response" if self.reply is None else "reading the body"
        if now >= end - TIMER_SLOP:
            self.done.set_exception(WireFailure("deadline", during, "deadline"))
        else:
            self.done.set_exception(WireFailure("read_timeout", during, "read timeout"))
        return None

    # -- asyncio.Protocol ---------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self.done.done():  # past the answer, or the exchange failed: never reused
            self.keep_alive = False
            return
        if self.read is not None:  # the read timeout's mark (only it reads the time)
            self.last_data = self.loop.time()
        try:
            self._feed(data)
        except WireFailure as failure:
            self.done.set_exception(failure)

    def eof_received(self) -> bool:
        self._ended(None)
        return False  # the transport closes itself

    def connection_lost(self, exc: BaseException | None) -> None:
        self._ended(exc)
        self.handler.connection_lost(exc)  # aiohttp's pool learns the connection is gone

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    # -- parsing --------------------------------------------------------------------------
    def _ended(self, exc: BaseException | None) -> None:
        """The peer closed (or the connection broke): the end of a body delimited by the
        close, else a failure -- ``reset`` before the answer's head, ``truncated`` after."""
        self.keep_alive = False
        if self.done.done():
            return
        if self.state == 5 and exc is None:
            try:
                self._finish(keep_alive=False)
            except WireFailure as failure:
                self.done.set_exception(failure)
        else:
            self._fail("reset" if self.reply is None or exc is not None else "truncated")

    def _fail(self, kind: str) -> None:
        during = "waiting for the response" if self.reply is None else "reading the body"
        what = {
            "reset": "the connection closed",
            "truncated": "the connection closed before the whole body arrived",
        }.get(kind, kind)
        self.done.set_exception(WireFailure(kind, during, what))

    def _protocol(self, why: str) -> WireFailure:
        return WireFailure("protocol", "waiting for the response", why)

    def _feed(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while not self.done.done():
            state = self.state
            if state == 0:
                if not self._head():
                    return
            elif state == 1:  # Content-Length
                take = min(self.left, len(buf))
                if take:
                    if take == len(buf):  # the rest of the buffer: one copy, not a slice's two
                        self.parts.append(bytes(buf))
                        buf.clear()
                    else:
                        self.parts.append(bytes(buf[:take]))
                        del buf[:take]
                    self.left -= take
                if self.left:
                    return
                self._finish(keep_alive=self.keep_alive)
            elif state == 2:  # chunk size line
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 1024:
                        raise self._protocol("a chunk size line over 1 KiB")
                    return
                size = buf[:end].split(b";", 1)[0].strip()
                del buf[: end + 2]
                if not size or size.strip(b"0123456789abcdefABCDEF"):
                    raise self._protocol("an invalid chunk size")
                if len(size.lstrip(b"0")) > 16:  # past 64 bits: aiohttp refuses it too
                    raise self._protocol("a chunk size over 64 bits")
                self.left = int(size, 16)
                self.state = 3 if self.left else 4
            elif state == 3:  # chunk data and its CRLF
                if len(buf) < self.left + 2:
                    return
                if buf[self.left : self.left + 2] != b"\r\n":
                    raise self._protocol("a chunk without its CRLF")
                self.parts.append(bytes(buf[: self.left]))
                del buf[: self.left + 2]
                self.state = 2
            elif state == 4:  # trailers, up to the empty line
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise self._protocol("trailers over 64 KiB")
                    return
                del buf[: end + 2]
                if end == 0:
                    self._finish(keep_alive=self.keep_alive)
            else:  # 5: up to the close
                self.parts.append(bytes(buf))
                buf.clear()
                return

    def _head(self) -> bool:
        """Parse the status line and headers once they are all in; False: not yet."""
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        # The first CRLF CRLF ends a head with no bare LF before it (the common one, found
        # by one memchr-backed find); any other head's end is the regex's to find.
        if end >= 0 and buf.count(b"\n", 0, end) == buf.count(b"\r\n", 0, end):
            after = end + 4
        else:
            found = _HEAD_END.search(buf)
            if found is None:
                if len(buf) > MAX_HEAD:
                    raise self._protocol("a response head over 64 KiB")
                return False
            end, after = found.start(), found.end()
        if end > MAX_HEAD:
            raise self._protocol("a response head over 64 KiB")
        head = bytes(buf[:end])
        del buf[:after]
        parsed = _plain_head(head)
        first, pairs = parsed if parsed is not None else self._careful_head(head)
        version, _, rest = first.partition(" ")
        code, _, reason = rest.partition(" ")
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise self._protocol("a malformed status line")
        status = int(code)
        headers = _headers(pairs)
        # The framing fields, looked up by name (each a C lookup in the multidict; a loop
        # lower-casing every name cost more): the first Content-Length, the last
        # Transfer-Encoding and Content-Encoding, every Connection in order.
        lengths = headers.getall("content-length", ())
        if len(lengths) > 1 and len(set(lengths)) > 1:
            raise self._protocol("conflicting Content-Length headers")
        length: str | None = lengths[0] if lengths else None
        codings = headers.getall("transfer-encoding", ())
        chunked = codings[-1].rsplit(",", 1)[-1].strip().lower() == "chunked" if codings else None
        close = version == "HTTP/1.0"
        for value in headers.getall("connection", ()):
            tokens = {t.strip().lower() for t in value.split(",")}
            if "close" in tokens:
                close = True
            elif "keep-alive" in tokens and version == "HTTP/1.0":
                close = False
        encodings = headers.getall("content-encoding", ())
        if 100 <= status < 200 and status != 101:  # interim (100 Continue...): more follows
            return True
        self.reply = Reply(status, reason, version[5:], headers, b"")
        self.keep_alive = not close
        self.encoding = encodings[-1].lower() if encodings else ""
        if status == 101:  # another protocol follows, never asked for: unread, not reused
            self._finish(keep_alive=False)
        elif self.head_only or status in _NO_BODY_STATUSES:
            self._finish(keep_alive=self.keep_alive)
        elif chunked is not None:
            if length is not None:
                raise self._protocol("both Content-Length and Transfer-Encoding")
            if chunked:
                self.state = 2
            else:
                self.state, self.keep_alive = 5, False
        elif length is not None:
            if not (length.isascii() and length.isdigit()) or len(length) > 18:
                raise self._protocol("an invalid Content-Length")
            self.left, self.state = int(length), 1
            if not self.left:
                self._finish(keep_alive=self.keep_alive)
        else:
            self.state, self.keep_alive = 5, False
        return True

    def _careful_head(self, head: bytes) -> tuple[str, list[tuple[str, str]]]:
        """The status line and fields of a head :func:`_plain_head` would not read: bare LF
        line ends, obs-fold, or something to refuse (CR or NUL in a field, a name that is
        no token, a line or a count over aiohttp's bounds)."""
        lines = head.split(b"\n")
        fields: list[list[bytes]] = []  # [name, value], obs-fold joined
        for i, line in enumerate(lines):
            if line[-1:] == b"\r":
                line = lines[i] = line[:-1]
            if len(line) > MAX_LINE or b"\r" in line or b"\x00" in line:
                raise self._protocol("a malformed header line")
            if not i:
                continue
            if line[:1] in (b" ", b"\t"):  # obs-fold: the value goes on (RFC 9112 5.2)
                if not fields:
                    raise self._protocol("a malformed header line")
                more = line.strip(b" \t")
                fields[-1][1] = fields[-1][1] + b" " + more if fields[-1][1] else more
                continue
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.fullmatch(name):
                raise self._protocol("a malformed header line")
            fields.append([name, value.strip(b" \t")])
        if len(fields) > MAX_HEADER_LINES:
            raise self._protocol(f"more than {MAX_HEADER_LINES} header fields")
        return _text(lines[0]), [(_text(name), _text(value)) for name, value in fields]

    def _finish(self, *, keep_alive: bool) -> None:
        reply = self.reply
        assert reply is not None
        body = b"".join(self.parts)
        self.parts = []
        if body and self.encoding in ("gzip", "x-gzip", "deflate"):
            try:
                body = _decompress(body, self.encoding)
            except zlib.error:  # named as both other paths name it (sync and aiohttp's)
                raise WireFailure("reset", "reading the body", "undecodable body") from None
        reply.body = body
        self.keep_alive = keep_alive and not self.buf  # bytes past the answer: not reused
        self.done.set_result(reply)


def _text(raw: bytes) -> str:
    """Header bytes as aiohttp decodes them: UTF-8, undecodable bytes kept as surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def _plain_head(head: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """The status line and ``(name, value)`` fields of a head written the common way --
    CRLF line ends only, no obs-fold, no NUL, token names, within aiohttp's bounds -- read
    in a few whole-head passes; None for anything else, which ``Exchange._careful_head``
    reads (or refuses) line by line. Both give the same answer where both apply."""
    text = _text(head)
    crlf = text.count("\r\n")
    if (
        len(head) > MAX_LINE
        or crlf != text.count("\n")
        or crlf != text.count("\r")
        or crlf > MAX_HEADER_LINES
        or "\x00" in text
        or "\n " in text
        or "\n\t" in text
    ):
        return None
    first, *lines = text.split("\r\n")
    fields = [line.partition(":") for line in lines]
    names = [name for name, sep, _ in fields if sep]
    if len(names) != len(fields) or (names and not _NAMES.fullmatch("\n".join(names))):
        return None
    return first, [(name, value.strip(" \t")) for name, _, value in fields]


def _headers(pairs: list[tuple[str, str]]) -> Any:
    """The answer's headers as aiohttp exposes them (a ``CIMultiDictProxy``)."""
    global _CIMultiDict, _CIMultiDictProxy
    if _CIMultiDict is None:
        from multidict import CIMultiDict, CIMultiDictProxy

        _CIMultiDict, _CIMultiDictProxy = CIMultiDict, CIMultiDictProxy
    return _CIMultiDictProxy(_CIMultiDict(pairs))


_CIMultiDict: Any = None
_CIMultiDictProxy: Any = None


def _decompress(body: bytes, encoding: str) -> bytes:
    """As aiohttp's ``auto_decompress``: gzip, and deflate with or without its zlib wrapper
    (chosen from the first byte); a body of several members (RFC 1952 2.2) is all of them,
    up to :data:`MAX_MEMBERS`, and bytes after a member that are no member are an error.
    Fed in 64 KiB windows, so what a member leaves over is never copied whole again."""
    if encoding == "deflate":
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
    else:
        wbits = 16 + zlib.MAX_WBITS
    view, pos, members = memoryview(body), 0, 1
    inflate = zlib.decompressobj(wbits)
    out = []
    while pos < len(view):
        if inflate.eof:  # the next member
            members += 1
            if members > MAX_MEMBERS:
                raise zlib.error("too many members")
            inflate = zlib.decompressobj(wbits)
        end = min(pos + 65536, len(view))
        out.append(inflate.decompress(view[pos:end]))
        pos = end - len(inflate.unused_data) if inflate.eof else end
    if not inflate.eof:
        raise zlib.error("truncated")
    return b"".join(out)
