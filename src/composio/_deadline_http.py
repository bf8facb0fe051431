"""Socket reads that stop at the call's total deadline (SPEC §12.6).

A socket timeout bounds one ``recv``, not a response: a server that sends one byte every
0.2 s never trips a 1 s read timeout, and ``http.client``/urllib3 loop over many ``recv`` calls
where the transport cannot look at the clock -- reading the status line and headers, a
chunk-size line, and ``read1(decode_content=True)``, which keeps reading until the gzip decoder
yields a byte. The only place that sees every one of those reads is the file object
``http.client.HTTPResponse`` reads from, so that is where the deadline goes: each ``recv`` waits
at most ``min(read timeout, time left)`` and none starts once the deadline has passed (a
``TimeoutError``, which urllib3 turns into its ``ReadTimeoutError``).

The limits travel in a context variable the transport sets around one call, so a pooled
connection used by many threads and calls reads each response with its own call's limits; a
response read outside any call (no limits set) is an ordinary socket file.
"""

from __future__ import annotations

import email.parser
import http.client
import io
import re
import socket
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import requests.adapters
import requests.exceptions as rex
import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions as u3ex
from requests.models import PreparedRequest
from requests.utils import urldefragauth
from urllib3.util import Timeout

from composio._egress import open_socket
from composio.errors import ValidationError
from composio.headers import FRAMING_HEADERS, check_name, check_value

__all__ = ["POOL_CLASSES", "DeadlineAdapter", "HeaderBlock", "HeaderLines", "read_limits"]

#: (deadline on ``time.monotonic()``, per-read timeout or None) for the call in progress.
read_limits: ContextVar[tuple[float, float | None] | None] = ContextVar(
    "composio_read_limits", default=None
)


#: How far past the deadline one ``recv`` may wait before the timeout is shrunk for it.
_SLACK = 0.02


class _DeadlineReader(io.RawIOBase):
    """The response's raw socket file, clipping every ``recv`` to the call's deadline."""

    def __init__(self, raw: Any, sock: Any, deadline: float, per_read: float | None) -> None:
        super().__init__()
        self._raw = raw  # the SocketIO http.client made: it holds the socket's io reference
        self._sock = sock
        self._deadline = deadline
        self._per_read = per_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the call's total timeout ran out while reading the response")
        per_read = self._per_read
        wait = left if per_read is None or left < per_read else per_read
        sock = self._sock
        current = sock.gettimeout()
        # Only shrink it, and only when it matters: ``settimeout`` is a syscall, and early in a
        # call the timeout urllib3 set (already clipped when the exchange began) is within
        # _SLACK of what is left.
        if current is None or current - wait > _SLACK:
            sock.settimeout(wait)
        result: int | None = self._raw.readinto(buffer)
        return result

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


#: A header line the email parser reads as exactly ``name: value``: a name of printable ASCII
#: but ``:`` (its ``headerRE``), no CR or LF before the line end, not a continuation.
_PLAIN_HEADER = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\r?\n\Z")
_END_OF_HEADERS = (b"\r\n", b"\n", b"")


def parse_headers(fp: Any) -> http.client.HTTPMessage:
    """``http.client.parse_headers`` without the email parser for the plain lines every server
    sends; a block with any other line (a continuation, a bare CR, no colon, ``From ``) goes
    through the email parser whole, as before.

    Why: the email parser was a fifth of a loopback call's CPU. The lines are read by
    http.client's own ``_read_headers`` (its line-length and header-count limits), and each
    plain line becomes the pair the parser's ``compat32`` policy makes of it: the value
    without the blanks after the colon and without the line end (trailing blanks kept). A
    property test holds the two to the same answers.
    """
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    msg = http.client.HTTPMessage()
    match = _PLAIN_HEADER.match
    for line in lines:
        if line in _END_OF_HEADERS:
            break
        plain = match(line)
        if plain is None or line.startswith(b"From "):
            text = b"".join(lines).decode("iso-8859-1")
            parsed = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
            assert isinstance(parsed, http.client.HTTPMessage)
            return parsed
        msg.set_raw(plain.group(1).decode("latin-1"), plain.group(2).decode("latin-1"))
    return msg


#: The response's read buffer: a page of tools (~15 KB) arrives in one ``recv`` rather than
#: two or three of http.client's 8 KiB. Each ``recv`` on a socket with a timeout is a
#: ``poll`` and a ``recv``, and each releases the GIL: with 16 threads, every release is a
#: hand-off the caller waits to get back.
_BUFFER = 65536


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        limits = read_limits.get()
        if limits is not None:
            # Nothing has been read yet: swap the buffered file for one over a clipped raw
            # reader. ``detach`` keeps the SocketIO (and its hold on the socket) open.
            raw = self.fp.detach()
            self.fp = io.BufferedReader(_DeadlineReader(raw, sock, *limits), _BUFFER)

    def begin(self) -> None:
        """``http.client.HTTPResponse.begin`` (the same in CPython 3.10-3.13) with the header
        block read by :func:`parse_headers`."""
        if self.headers is not None:
            return
        while True:  # read until a non-100 response
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_headers(self.fp)
        tr_enc = self.headers.get("transfer-encoding")
        self.chunked = bool(tr_enc and tr_enc.lower() == "chunked")
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (
            status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
            or 100 <= status < 200
            or self._method == "HEAD"
        ):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


class HeaderBlock(dict[str, str]):
    """A request's headers as the plain dict ``requests`` and urllib3 expect, plus ``lines``:
    the same headers, in the same order, validated and encoded once (:class:`HeaderLines`).

    Our connections (:class:`_BlockConnection`) send ``lines`` in place of urllib3's
    per-header ``putheader`` (an RFC check and two encodes for each of a dozen headers, every
    request); anything else -- a user's adapter, a proxy manager's ``headers.copy()`` --
    sees an ordinary dict and sends the very same bytes the ordinary way.

    Whether the lines still say what the dict says is decided once, where they would be sent
    (:meth:`current`): the dict's items are compared with the ones the lines were built from.
    Rejected: overriding each of dict's mutators to drop the lines (a mutator missed -- a
    ``popitem``, a ``|=`` in a user's adapter -- sent a header the dict no longer had).
    """

    __slots__ = ("built", "lines")

    def __init__(self, wire: Mapping[str, str], lines: bytes) -> None:
        super().__init__(wire)
        self.lines = lines
        #: the (name, value) pairs ``lines`` encodes, in their order
        self.built = tuple(self.items())

    def copy(self) -> HeaderBlock:
        """urllib3's ``urlopen`` copies the headers of every request that is not tunnelled
        (to merge a proxy's headers into the copy): the copy keeps the lines."""
        block = dict.__new__(HeaderBlock)
        dict.update(block, self)
        block.lines, block.built = self.lines, self.built
        return block

    def current(self) -> bytes | None:
        """The lines, if the dict still holds exactly the headers they encode, in that order;
        ``None`` once anything changed them (then urllib3 writes the dict the ordinary way)."""
        return self.lines if tuple(self.items()) == self.built else None


class HeaderLines:
    """One root client's cache of encoded header lines, ``(name, value) -> b"name: value"``.

    Why per line and not per layer: a request's headers are the folded layers (identity,
    defaults, session, the call's) plus what middlewares wrote (``x-request-id``,
    ``x-retry-count``, a user's); the wire order is the dict's, and any of them may replace
    a layer's value. A line seen once -- every line of a frozen layer, after the first
    request -- is a dict lookup from then on; a new one is checked by the same rule that
    checks the layers (:func:`composio.headers.check_value`: the error names the header and
    never shows its value) before it is cached or sent. Bounded (per-call values such as
    ``x-request-id`` come and go): when full it starts over. It belongs to the client's pool
    and dies with it, so no header value -- the API key is one -- outlives the client here.
    """

    __slots__ = ("_lines",)
    LIMIT = 256

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], bytes] = {}

    def block(self, wire: Mapping[str, str]) -> HeaderBlock:
        """``wire`` checked, with its encoded lines (the sync transport sends them)."""
        return HeaderBlock(wire, b"\r\n".join(self.check(wire)))

    def check(self, wire: Mapping[str, str]) -> list[bytes]:
        """``wire``'s lines, each checked before it is first cached: the async transport
        calls this alone (aiohttp encodes the dict itself, and raised a bare ``ValueError``
        for CR/LF and sent non-ASCII as UTF-8), so both clients hold a middleware's header
        to the one rule (SPEC §12.3)."""
        lines = self._lines
        out: list[bytes] = []
        for pair in wire.items():
            line = lines.get(pair)
            if line is None:
                name, value = pair
                check_name(name, _WHERE)
                check_value(name, value, _WHERE)
                if name.lower() in _MIDDLEWARE_FRAMING:
                    raise ValidationError(
                        f"Header {name!r} in {_WHERE} frames the HTTP message and is set by "
                        "the SDK's transport; a middleware must not write it (a value of its "
                        "own could desynchronise the connection, SPEC §12.4)."
                    )
                line = f"{name}: {value}".encode("ascii")
                if len(lines) >= self.LIMIT:
                    lines.clear()
                lines[pair] = line
            out.append(line)
        return out

    def clear(self) -> None:
        self._lines.clear()


_WHERE = "the request's headers (as the middlewares left them)"
#: What no request may carry from a middleware: the framing headers but ``Content-Length``,
#: which ``composio._wire.encode`` writes itself after the chain (it also drops a ``Host``
#: naming the request's own host: only another host's reaches this check).
_MIDDLEWARE_FRAMING = FRAMING_HEADERS - {"content-length"}


class _BlockConnection(urllib3.connection.HTTPConnection):
    """Sends a :class:`HeaderBlock`'s pre-encoded ``lines`` where urllib3 would put its
    headers one by one. urllib3's ``request`` still runs as it is (the request line, the
    framing headers and ``User-Agent`` it adds when missing, the body); only the block's own
    headers skip the per-header check: the first of them appends the whole block, in the
    same place and order the dict would have put them, and the rest are already in it."""

    _block: HeaderBlock | None = None
    _block_sent = False
    _lines = b""

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> None:
        lines = headers.current() if type(headers) is HeaderBlock else None
        if lines is None:
            return super().request(method, url, body, headers, **kwargs)
        self._block, self._block_sent, self._lines = headers, False, lines
        try:
            return super().request(method, url, body, headers, **kwargs)
        finally:
            self._block = None

    def putheader(self, header: str, *values: str) -> None:  # type: ignore[override]
        block = self._block
        if block is None or header not in block:
            return super().putheader(header, *values)
        if not self._block_sent:
            self._block_sent = True
            self._buffer.append(self._lines)  # type: ignore[attr-defined]
            # the rest of the block's headers are in these lines already


class _HTTPConnection(_BlockConnection):
    response_class = _DeadlineResponse

    def _new_conn(self) -> socket.socket:
        # a URL that is not the API's: its address is checked before the connect (SSRF)
        return open_socket(self, super()._new_conn)


class _HTTPSConnection(_BlockConnection, urllib3.connection.HTTPSConnection):
    response_class = _DeadlineResponse

    def _new_conn(self) -> socket.socket:
        return open_socket(self, super()._new_conn)


class _HTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


#: For ``PoolManager.pool_classes_by_scheme`` (direct and HTTP(S)-proxy managers).
POOL_CLASSES: dict[str, type[urllib3.connectionpool.HTTPConnectionPool]] = {
    "http": _HTTPConnectionPool,
    "https": _HTTPSConnectionPool,
}


def _close_pool(pool: Any) -> None:
    pool.close()


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """``HTTPAdapter`` whose reads honour :data:`read_limits`, whose ``close()`` really
    closes the pooled sockets, and which the SDK's transport drives below ``send`` (:meth:`open`).

    urllib3 2.x's ``PoolManager.clear()`` only forgets its pools (its container has no
    dispose function, unlike 1.26): their idle sockets stay open for as long as anything
    -- a ``Response`` the caller still holds, say -- keeps a pool alive. Giving the
    containers ``pool.close()`` as dispose function closes them on ``clear()`` (and on LRU
    eviction); connections still checked out are closed when they come back.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        #: (origin, proxy, verify, cert) -> (urllib3 pool, whether it takes the full URL)
        self._routes: dict[tuple[str, str | None, bool | str, Any], tuple[Any, bool]] = {}
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pools.dispose_func = _close_pool
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES  # deadline-bounded reads

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pools.dispose_func = _close_pool
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own classes
            manager.pool_classes_by_scheme = POOL_CLASSES
        return manager

    # -- the SDK transport's way in (SPEC §19) ---------------------------------------------
    def open(
        self,
        request: PreparedRequest,
        timeout: tuple[float, float],
        verify: bool | str,
        cert: Any,
        proxy: str | None,
    ) -> Any:
        """What :meth:`send` does up to urllib3's response, without building a
        ``requests.Response`` (the transport builds one only if asked, :meth:`build_response`)
        and without the per-request pool lookup and CA-file check.

        Why it exists: ``send`` spends a fifth of a loopback call finding the pool
        (URL parsing, pool-key normalisation), stat-ing the CA bundle and building a response
        object with a cookie jar that the SDK never uses. The pool found for an
        (origin, proxy, verify, cert) is remembered here until it is closed (``close()``,
        or evicted from the pool manager, which closes it); the first request of each goes
        through requests' own lookup. ``urlopen`` gets exactly ``send``'s arguments and its
        errors become the same ``requests`` exceptions, so the bytes on the wire and the
        errors above are those of ``send``.
        """
        url = request.url
        assert url is not None
        cut = url.find("/", url.find("//") + 2)
        key = (url if cut < 0 else url[:cut], proxy, verify, cert)
        route = self._routes.get(key)
        if route is None or route[0].pool is None:  # first use, or closed since
            route = self._route(request, key, verify, cert)
        pool, full_url = route
        body = request.body
        headers = request.headers
        try:
            return pool.urlopen(
                method=request.method,
                url=urldefragauth(url) if full_url else request.path_url,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self.max_retries,
                timeout=Timeout(connect=timeout[0], read=timeout[1]),
                chunked=not (body is None or "Content-Length" in headers),
            )
        except Exception as exc:
            mapped = _as_requests_error(exc, request)
            if mapped is exc:
                raise
            raise mapped from exc

    def _route(
        self,
        request: PreparedRequest,
        key: tuple[str, str | None, bool | str, Any],
        verify: bool | str,
        cert: Any,
    ) -> tuple[Any, bool]:
        proxies = {"all": key[1]} if key[1] is not None else {}
        try:
            pool = self.get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        except urllib3.exceptions.LocationValueError as e:
            raise rex.InvalidURL(e, request=request) from e
        self.cert_verify(pool, request.url, verify, cert)  # type: ignore[no-untyped-call]
        route = (pool, not self.request_url(request, proxies).startswith("/"))
        self._routes[key] = route
        return route


#: (urllib3 error, the requests exception ``HTTPAdapter.send`` raises for it), in its order:
#: for the ``reason`` of a ``MaxRetryError`` (else ``ConnectionError``), and for the others.
_BY_REASON: tuple[tuple[Any, type[rex.RequestException]], ...] = (
    (u3ex.ResponseError, rex.RetryError),
    (u3ex.ProxyError, rex.ProxyError),
    (u3ex.SSLError, rex.SSLError),
)
_BY_ERROR: tuple[tuple[Any, type[rex.RequestException]], ...] = (
    ((u3ex.ProtocolError, OSError, u3ex.ClosedPoolError), rex.ConnectionError),
    (u3ex.ProxyError, rex.ProxyError),
    (u3ex.SSLError, rex.SSLError),
    (u3ex.ReadTimeoutError, rex.ReadTimeout),
    (u3ex.InvalidHeader, rex.InvalidHeader),
)


def _as_requests_error(exc: Exception, request: PreparedRequest) -> Exception:
    """The ``requests`` exception ``HTTPAdapter.send`` raises for a urllib3 error (requests
    2.32-2.34), so that :meth:`DeadlineAdapter.open` and ``send`` fail alike; any other
    error is returned as it is."""
    probe: BaseException | None = exc
    table = _BY_ERROR
    if isinstance(exc, u3ex.MaxRetryError):
        probe, table = exc.reason, _BY_REASON
        if isinstance(probe, u3ex.ConnectTimeoutError) and not isinstance(
            probe, u3ex.NewConnectionError
        ):
            return rex.ConnectTimeout(exc, request=request)
    for urllib3_error, requests_error in table:
        if isinstance(probe, urllib3_error):
            return requests_error(exc, request=request)
    if table is _BY_REASON:
        return rex.ConnectionError(exc, request=request)
    return exc
