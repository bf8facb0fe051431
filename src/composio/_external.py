"""Requests to URLs that are not the API's: the one place their rules live (issue 16).

The SDK sends three kinds of request outside the API's own origin: the PUT of
``files.upload`` to a presigned storage URL (an :class:`~composio._operation.ExternalOperation`,
§14), later §18's downloads (the same operation kind), and a redirect hop the API answers with
(§8). Each rule below used to be enforced, or forgotten, by each caller; here it is written
once, and both clients' drivers and transports call it:

* **No SDK header, no trace** (§6, §14). :func:`external_request` builds the request from the
  operation's own headers only (no key, default, session or call headers, no ``traceparent``),
  and :func:`sender` sends it with OpenTelemetry's "suppress HTTP instrumentation" key set --
  the mechanism the tracing middleware uses around API attempts -- so an application's
  ``requests``/``aiohttp`` instrumentation neither records a span (whose ``url.full`` would keep
  a presigned URL's signature) nor injects ``traceparent``. A redirect hop is part of the API
  attempt that received it: the attempt's suppression covers it, and
  :func:`composio._wire.strip_cross_origin` decides its headers (§8).
* **Proxies per URL** (§3, §13). :class:`EnvProxies` snapshots the environment's proxy settings
  once per root client and decides per URL -- ``NO_PROXY`` per host, as ``requests`` does --
  caching the answer per origin. Both transports ask it for every exchange, API, hop or
  storage alike, so the two clients route every URL the same way.
* **Not into the local network** (§18). A URL (or a redirect hop, ``_wire.redirect_target``)
  to a loopback, private or link-local address is refused unless the API is on such an
  address itself; link-local (cloud metadata) always: a server cannot make the SDK fetch
  ``http://169.254.169.254/...`` into a download the model then reads or uploads.
* **No clear text under https** (§8, §18). A plain-http URL is refused when the API is reached
  over https: an upload's bytes must not travel unencrypted because the API (or whoever
  answered in its place) handed out an ``http://`` URL. :class:`~composio.errors.APIError`, as
  for an https-to-http redirect (§12.7).
* **Downloads stream to disk** (§18). A download's GET carries a :class:`FileSink`: both
  transports write a 2xx body into it slice by slice (the async one each write in a worker
  thread) instead of collecting it, and the sink stops the transfer once it exceeds its
  cap; :func:`sender` then reports why, as for a changed upload.
* **Bodies stream from disk** (§18). :func:`open_file_body` hashes a file in slices and
  returns a :class:`FileBody` that both transports send in slices (the async one reads each
  in a worker thread, :func:`async_data`), so memory stays flat in the file size. The body is
  checked against the hash as it is sent: a file that changed in between fails the call
  before its last byte leaves, so storage never keeps bytes other than the ones announced.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import stat
from collections.abc import AsyncIterator, Callable
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from composio._redact import redact_url
from composio.errors import APIError, ComposioError, ValidationError

if TYPE_CHECKING:
    from composio._operation import ExternalOperation
    from composio.pipeline import CallContext, Request, Response

__all__ = [
    "EnvProxies",
    "FileBody",
    "FileSink",
    "async_data",
    "content_length",
    "external_request",
    "open_file_body",
    "sender",
]

#: A slice of a streamed body: what a send reads from disk at a time.
SLICE = 1 << 18
_CACHE_SIZE = 512


class EnvProxies:
    """The environment's proxies (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``), read once,
    decided per URL.

    Why a snapshot decided here rather than ``requests.utils.get_environ_proxies`` per call:
    the settings are resolved once per root client (§3: a changed environment is not seen by
    a built client), and ``requests``' own ``NO_PROXY`` check with an explicit list sets
    ``os.environ`` for the duration of the check, which is not thread-safe. The decision is
    ``requests``' (``should_bypass_proxies``: exact IPv4 or CIDR entries, a host or host:port
    equal to an entry or ending in ``.entry``, then the standard library's environment
    rules), so the sync client routes as it always has and the async client the same way.
    """

    __slots__ = ("_cache", "_no", "_proxies")

    def __init__(self) -> None:
        from urllib.request import getproxies

        found = getproxies()
        self._no: str | None = found.pop("no", None)
        self._proxies: dict[str, str] = found
        #: per origin; no lock (a fork must never find one held): a racing miss computes the
        #: same answer twice, and dict operations are atomic
        self._cache: dict[tuple[str, str, int | None], str | None] = {}

    def for_url(self, url: str) -> str | None:
        """The proxy URL to send ``url`` through, or None to connect directly."""
        if not self._proxies:
            return None
        parts = urlsplit(url)
        try:
            key = (parts.scheme, (parts.hostname or "").lower(), parts.port)
        except ValueError:  # a port out of range: the send fails on its own
            return None
        found = self._cache.get(key, False)
        if found is not False:
            return found  # type: ignore[return-value]
        proxy = None if self._bypass(url) else self._select(url)
        if len(self._cache) >= _CACHE_SIZE:  # a redirect or upload host per call: bounded
            self._cache.clear()
        self._cache[key] = proxy
        return proxy

    def _select(self, url: str) -> str | None:
        from requests.utils import select_proxy

        proxy = select_proxy(url, self._proxies)
        if not proxy:
            return None
        return proxy if "://" in proxy else f"http://{proxy}"  # as requests' adapter reads it

    def _bypass(self, url: str) -> bool:
        from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

        from requests.utils import address_in_network, is_ipv4_address, is_valid_cidr

        parts = urlsplit(url)
        host = parts.hostname
        if host is None:
            return True
        entries = [e for e in (self._no or "").replace(" ", "").split(",") if e]
        if is_ipv4_address(host):
            for entry in entries:
                if is_valid_cidr(entry):
                    if address_in_network(host, entry):
                        return True
                elif host == entry:
                    return True
        else:
            # Whole labels only, as requests >= 2.32.4: "example.com" exempts example.com and
            # api.example.com, never badexample.com ("::1" never fe80::1), which a plain
            # suffix test sent around the proxy.
            with_port = f"{host}:{parts.port}" if parts.port else host
            for entry in entries:
                entry = entry.lstrip(".")
                if entry in (host, with_port):
                    return True
                if host.endswith(f".{entry}") or with_port.endswith(f".{entry}"):
                    return True
        if not self._no:
            return False
        try:
            return bool(proxy_bypass_environment(host, {"no": self._no}))
        except (TypeError, OSError):  # as requests: a host it cannot judge is proxied
            return False


class _BodyChanged(OSError):
    """Aborts a send whose file is not what was hashed (an ``OSError`` so every HTTP library
    gives up on the connection); the sender turns it into the :class:`FileBody`'s error."""


class FileBody:
    """A request body read from an open file in slices: exactly ``size`` bytes whose MD5 is
    ``md5``, re-checked as they are sent.

    ``reader()`` is the file-like view the sync transport hands to ``urllib3`` (it reads
    ``read(n)`` until empty); ``aslices()`` the async iterator ``aiohttp`` sends, each read in
    a worker thread (§13: no file I/O on the event loop's thread).
    """

    __slots__ = ("_digest", "_file", "_sent", "failure", "md5", "name", "size")

    def __init__(self, file: IO[bytes], size: int, md5: str, name: str) -> None:
        self._file = file
        self.size = size
        self.md5 = md5
        self.name = name  #: how errors name the file (already truncated and quoted)
        self.failure: str | None = None  #: why the last send was aborted
        self._sent = 0
        self._digest = hashlib.md5(usedforsecurity=False)

    def close(self) -> None:
        self._file.close()

    def stat(self) -> os.stat_result:
        """The open file's status (which file this body really reads)."""
        return os.fstat(self._file.fileno())

    def _rewind(self) -> None:
        self._file.seek(0)
        self._sent, self.failure = 0, None
        self._digest = hashlib.md5(usedforsecurity=False)

    def _next(self, n: int) -> bytes:
        left = self.size - self._sent
        if left <= 0:
            return b""
        try:
            chunk = self._file.read(min(n if n > 0 else SLICE, left))
        except OSError as exc:
            self._fail(f"could not be read ({exc.strerror or type(exc).__name__})")
        if not chunk:
            self._fail(f"is shorter than the {self.size} bytes it had")
        self._digest.update(chunk)
        self._sent += len(chunk)
        if self._sent == self.size and self._digest.hexdigest() != self.md5:
            self._fail("its bytes are not the ones whose MD5 the upload announced")
        return chunk

    def _fail(self, why: str) -> Any:
        self.failure = (
            f"{self.name} changed while it was being uploaded: {why}. The upload was aborted "
            "before its last byte, so storage kept nothing; upload it again once nothing "
            "writes to it."
        )
        raise _BodyChanged(self.failure)

    def reader(self) -> _Reader:
        self._rewind()
        return _Reader(self)

    async def aslices(self) -> AsyncIterator[bytes]:
        import asyncio

        await asyncio.to_thread(self._rewind)
        while True:
            chunk = await asyncio.to_thread(self._next, SLICE)
            if not chunk:
                return
            yield chunk


class _Reader:
    """The file-like face of a :class:`FileBody`: ``read(n)`` and nothing to rewind by
    (``urllib3`` retries nothing here: the SDK's retry layer is the only one)."""

    __slots__ = ("_body",)

    def __init__(self, body: FileBody) -> None:
        self._body = body

    def read(self, n: int = -1) -> bytes:
        return self._body._next(n)


class FileSink:
    """Where a download's body goes: an open file, written slice by slice, at most
    ``limit`` bytes (the server decides the size, so it is capped here, after decoding: a
    compressed bomb counts as what it expands to).

    A write past the cap, or one the disk refuses, raises an ``OSError`` (so either HTTP
    library drops the connection) after recording :attr:`failure`; :func:`sender` turns that
    into the error the caller sees. The flow that made the sink owns the file (closes it,
    removes it on failure).
    """

    __slots__ = ("_file", "failure", "limit", "name", "received")

    def __init__(self, file: IO[bytes], limit: int, name: str) -> None:
        self._file = file
        self.limit = limit
        self.name = name  #: how errors name the file (already truncated and quoted)
        self.received = 0
        #: (error class, message) of the write that stopped the transfer
        self.failure: tuple[type[ComposioError], str] | None = None

    def write(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.limit:
            self.failure = (
                APIError,
                f"the file to save as {self.name} is larger than file_download_max_bytes "
                f"({self.limit} bytes); the download was stopped and nothing was kept",
            )
            raise _BodyChanged(self.failure[1])
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.failure = (
                ComposioError,
                f"could not write {self.name}: {exc.strerror or type(exc).__name__}",
            )
            raise _BodyChanged(self.failure[1]) from None

    def close(self) -> None:
        self._file.close()


def open_file_body(
    path: os.PathLike[str] | str, name: str, opened: IO[bytes] | None = None
) -> FileBody:
    """Open ``path`` (or take ``opened``, a file the caller opened and checked) and hash it
    in slices. A regular file is then sent from the same open file (renaming or replacing the
    path afterwards changes nothing); anything else (a pipe, a device) can be read only once,
    so it is spooled to an anonymous temporary file while it is hashed. Blocking: the async
    client calls it in a worker thread."""
    import tempfile  # only uploads of a pipe need it

    # the FileBody owns it from here
    file: IO[bytes] = opened if opened is not None else open(path, "rb")  # noqa: SIM115
    try:
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        spool: IO[bytes] | None = None
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - replaces ``file`` below
        while chunk := file.read(SLICE):
            digest.update(chunk)
            size += len(chunk)
            if spool is not None:
                spool.write(chunk)
        if spool is not None:
            file.close()
            file = spool
    except BaseException:
        file.close()
        raise
    return FileBody(file, size, digest.hexdigest(), name)


def external_request(op: ExternalOperation[Any], ctx: CallContext, base_url: str) -> Request:
    """The request for an operation on another origin: only its own headers and body (none
    of the client's header layers), refused when it would be plain http under an https API."""
    from composio._egress import refusal
    from composio._request_info import request_info
    from composio._wire import internal_address  # _wire imports this module
    from composio.headers import Headers
    from composio.pipeline import Request

    ctx.session_layer, ctx.call_layer = {}, {}
    request = Request(
        op.method,
        op.path,
        context=ctx,
        headers=Headers(op.headers),
        content=op.content,
        sink=op.sink,
    )
    if urlsplit(op.path).scheme == "http" and urlsplit(base_url).scheme == "https":
        raise APIError(
            f"{op.name}: refused to {op.method} {redact_url(op.path)}: the API is reached over "
            "https but handed out a plain-http URL, which would carry the data in clear text. "
            "Nothing was sent there; report it to whoever runs the API at this base_url.",
            request=request_info(request),
        )
    inside = internal_address(op.path)
    if inside is not None and (inside == "link-local" or internal_address(base_url) is None):
        raise APIError(refusal(op.name, op.method, op.path, inside), request=request_info(request))
    return request


def sender(transport: Any) -> Callable[[Request], Any]:
    """``transport`` wrapped for requests to other origins: HTTP instrumentation suppressed
    for the exchange (no span, no injected ``traceparent``), and a streamed file that changed
    under the send, or a download its sink stopped, reported as such rather than as the
    connection error it caused."""
    from composio.middlewares.tracing import _auntraced, _untraced

    if inspect.iscoroutinefunction(type(transport).__call__):

        async def asend(request: Request) -> Response:
            try:
                return await _auntraced(request, transport)
            except Exception:
                _raise_body_failure(request)
                raise

        return asend

    def send(request: Request) -> Response:
        try:
            return _untraced(request, transport)
        except Exception:
            _raise_body_failure(request)
            raise

    return send


def _raise_body_failure(request: Request) -> None:
    body = request.content
    if isinstance(body, FileBody) and body.failure is not None:
        raise ValidationError(f"{request.context.operation}: {body.failure}") from None
    sink = request.sink
    if sink is not None and sink.failure is not None:
        from composio._request_info import request_info

        cls, why = sink.failure
        text = f"{request.context.operation}: {why}."
        if cls is APIError:
            raise APIError(text, request=request_info(request)) from None
        raise cls(text) from None


def async_data(body: bytes | FileBody | None) -> Any:
    """What the aiohttp transport sends as ``data``: a file slice by slice (read in a worker
    thread), and large bytes as slices of a view of them. Why the bytes too: aiohttp hands a
    body to asyncio's transport in one write, and whatever the socket does not take at once
    is copied into the transport's buffer -- a 64 MiB upload of bytes cost 124 MiB more.
    Slices are written one by one, each waiting for the buffer to drain, and copy nothing."""
    if isinstance(body, FileBody):
        return body.aslices()
    if body is not None and len(body) > SLICE:
        return _view_slices(body)
    return body


async def _view_slices(data: bytes) -> AsyncIterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), SLICE):
        yield view[start : start + SLICE]


def content_length(body: bytes | FileBody) -> int:
    return body.size if isinstance(body, FileBody) else len(body)
