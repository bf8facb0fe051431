"""The end of the chain: one ``requests`` connection pool per root client.

Why the adapter is called directly instead of ``Session.request``:

* ``Session.request`` re-reads proxy and CA settings from the environment (and ``.netrc``) on
  every call; here they are resolved once at construction (SPEC §3), which is most of why a
  full SDK call can cost less CPU than a bare ``requests.get``.
* ``Session.send`` keeps a cookie jar. The pool is shared by every session of a client (many
  users, many tenants), so a cookie set for one must never ride along on another's request:
  no cookie jar at all is the only safe default.
* Redirects are followed here, by SPEC §8's rules, not by ``requests`` (which strips only
  ``Authorization`` on a cross-origin hop).

The body is read here, in ``read1`` slices. The call's total deadline bounds all of it: every
socket read of the response (status line, headers, chunk sizes, reads the gzip decoder asks
for) waits at most what is left of the total (:mod:`composio._deadline_http`), and each
exchange -- attempt or redirect hop -- gets connect/read timeouts clipped to what is left when
it starts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import requests
import requests.adapters
import requests.exceptions as rex
import urllib3.exceptions as u3ex
from requests.models import PreparedRequest

from composio._deadline_http import DeadlineAdapter, HeaderLines, read_limits
from composio._egress import Egress
from composio._egress import guard as egress_guard
from composio._external import EnvProxies, FileBody
from composio._redact import redact_url
from composio._wire import REDIRECTS as _REDIRECTS
from composio._wire import RedirectRefused as _RedirectRefused
from composio._wire import (
    connection_error,
    deadline_error,
    encode,
    redirect_refused,
    strip_cross_origin,
)
from composio._wire import redirect_target as _redirect_target
from composio.errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
)
from composio.pipeline import Request, Response

__all__ = ["RequestsTransport"]

_READ_SLICE = 65536
#: A redirect body up to this size is read so its connection can be reused; larger: closed.
_DRAIN_LIMIT = 65536


class _Pool:
    """One root client's ``requests`` session, shared by every transport over it, and whether
    (and how) it was closed.

    Why the closed state lives here and not on a transport: ``with_options(base_url=...)``
    makes a second transport over the same pool, and closing the root must close that one
    too. ``requests`` itself would quietly open new sockets on a closed session; every send
    checks :attr:`closed_by` first and raises :class:`ClientClosedError` instead.
    """

    __slots__ = (
        "adapter",
        "base_url",
        "closed_by",
        "lines",
        "maxsize",
        "pid",
        "proxies",
        "session",
    )

    def __init__(self, base_url: str, maxsize: int) -> None:
        self.base_url = base_url  #: the root client's, named in ClientClosedError
        self.maxsize = maxsize
        self.proxies = EnvProxies()  #: read once, decided per URL (NO_PROXY per host)
        self.closed_by: str | None = None
        self.pid = os.getpid()
        self.lines = HeaderLines()  #: header lines checked and encoded once (SPEC §19)
        self.session, self.adapter = self._new_session()

    def _new_session(self) -> tuple[requests.Session, DeadlineAdapter]:
        session = requests.Session()
        adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=self.maxsize, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session, adapter

    def close(self, how: str) -> None:
        # The flag first, the sockets second: a send that raced past the check and opened a
        # socket after ``session.close()`` sees the flag when it ends and sweeps again.
        if self.closed_by is None:
            self.closed_by = how
        self.lines.clear()
        self.session.close()

    def sweep(self) -> None:
        """Close whatever a send that raced with :meth:`close` opened (idempotent)."""
        self.session.close()

    def after_fork_in_child(self) -> None:
        # The parent's sockets are not ours; a closed pool stays closed in the child.
        self.session, self.adapter = self._new_session()
        self.pid = os.getpid()

    def closed_error(self, method: str, url: str) -> ClientClosedError:
        return ClientClosedError(
            f"{method} {redact_url(url)}: the Composio client for {self.base_url} was closed "
            f"by {self.closed_by}; its sessions and with_options copies share its connection "
            "pool and are closed with it. Create a new Composio(...) to make more calls.",
            base_url=self.base_url,
        )


class RequestsTransport:
    """Sends a :class:`Request` over a shared ``requests`` pool and reads the whole body."""

    name = "transport"

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = True,
        pool_maxsize: int = 32,
        pool: _Pool | None = None,
    ) -> None:
        self._base_url = base_url
        self._egress = Egress(base_url)  #: which exchanges go to another origin (SSRF check)
        self._pool = pool if pool is not None else _Pool(base_url, pool_maxsize)
        # Resolved once (SPEC §3): the CA bundle here, env proxies by the pool (per URL).
        env = self._pool.session.merge_environment_settings(base_url, {}, False, verify, None)
        resolved = env.get("verify", verify)
        self._verify: bool | str = verify if resolved is None else resolved
        self._cert = env.get("cert")

    def for_base_url(self, base_url: str) -> RequestsTransport:
        """A transport for another base URL over the same pool (``with_options(base_url=)``)."""
        return RequestsTransport(base_url, verify=self._verify, pool=self._pool)

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def pool_maxsize(self) -> int:
        return self._pool.maxsize

    @property
    def closed(self) -> bool:
        return self._pool.closed_by is not None

    def close(self, how: str = "close()") -> None:
        """Close the pool for every transport sharing it; later calls raise ClientClosedError.

        ``how`` ends up in that error's message ("close()", "the exit of its 'with' block").
        Idempotent: the first ``how`` is kept.
        """
        self._pool.close(how)

    def after_fork_in_child(self) -> None:
        """A forked child must not share the parent's sockets: start a fresh pool."""
        self._pool.after_fork_in_child()

    @property
    def session(self) -> requests.Session:
        """The underlying ``requests.Session`` (its adapters hold the pool)."""
        return self._pool.session

    # -- sending -------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        pool = self._pool
        if pool.closed_by is not None:
            raise pool.closed_error(request.method, request.url)
        if pool.pid != os.getpid():  # pragma: no cover - exercised by the fork test
            pool.after_fork_in_child()
        ctx = request.context
        started = time.monotonic()
        url, wire, body = encode(request)
        method = request.method
        hops = 0
        # Every socket read of this call, headers and body, stops at its deadline.
        limits = read_limits.set((ctx.deadline, ctx.timeout.read))
        try:
            while True:
                answer = self._send_once(request, method, url, wire, body, hops)
                status = answer.status
                if status not in _REDIRECTS or method not in ("GET", "HEAD"):
                    break
                location = answer.headers.get("location")
                if location is None:
                    break  # nothing to follow: the 3xx is the answer
                try:
                    next_url = _redirect_target(url, location, hops)
                except _RedirectRefused as refused:
                    self._release(request, answer, url)
                    request_id = answer.headers.get("x-request-id")
                    raise redirect_refused(request, url, status, refused, request_id) from None
                self._release(request, answer, url)
                hops += 1
                wire = strip_cross_origin(wire, url, next_url)
                url = next_url
            content = self._read_body(request, answer, ctx.deadline, url)
        finally:
            read_limits.reset(limits)
            if pool.closed_by is not None:  # closed while this call was on the wire
                pool.sweep()
        return Response(
            request,
            answer.response,
            content,
            time.monotonic() - started,
            status_code=status,
            headers=answer.headers,
            make_raw=answer.build if answer.response is None else None,
        )

    def _send_once(
        self,
        request: Request,
        method: str,
        url: str,
        wire: Mapping[str, str],
        body: bytes | FileBody | None,
        hop: int = 0,
    ) -> _Answer:
        """One HTTP exchange (one attempt or one redirect hop) up to the response headers.

        Its connect and read timeouts are clipped to what is left of the call's total now,
        not when the call began: a slow first hop leaves less for the next.

        The adapter is the one ``requests`` would pick for the URL. When it is the pool's own
        (nobody mounted another), its urllib3 pool is driven directly
        (:meth:`DeadlineAdapter.open`: the same pool and bytes, no ``requests.Response``
        unless asked for); a user's adapter gets ``send`` as before.
        """
        ctx = request.context
        remaining = ctx.deadline - time.monotonic()
        if remaining <= 0:
            what = "next redirect hop" if hop else "attempt"
            raise deadline_error(request, url, f"before the {what} could start", sent=False)
        limit = ctx.timeout
        connect = remaining if limit.connect is None else min(limit.connect, remaining)
        read = remaining if limit.read is None else min(limit.read, remaining)
        pool = self._pool
        if pool.closed_by is not None:  # closed between attempts or redirect hops
            raise pool.closed_error(method, url)
        prepared = PreparedRequest()
        prepared.method = method
        prepared.url = url
        # checked (a middleware's header too: named, never shown) and encoded once per line
        prepared.headers = pool.lines.block(wire)  # type: ignore[assignment]
        # a file streams from disk in slices (composio._external), checked as it goes
        prepared.body = body.reader() if isinstance(body, FileBody) else body  # type: ignore[assignment]
        proxy = pool.proxies.for_url(url)  # per URL: the API, a redirect hop, storage
        check = self._egress.guard(url, proxy)
        if check is None:  # the API's own exchange (or a proxied one): nothing to check
            return self._open(request, prepared, url, proxy, (connect, read))
        token = egress_guard.set(check)  # read where the socket is made (composio._egress)
        try:
            return self._open(request, prepared, url, proxy, (connect, read))
        except APIConnectionError as exc:
            if check.refused is not None and not exc.sent:
                raise check.error(request, url) from None
            raise
        finally:
            egress_guard.reset(token)

    def _open(
        self,
        request: Request,
        prepared: PreparedRequest,
        url: str,
        proxy: str | None,
        timeout: tuple[float, float],
    ) -> _Answer:
        pool = self._pool
        connect, read = timeout
        try:
            adapter = pool.session.get_adapter(url)
            if adapter is pool.adapter:
                raw = pool.adapter.open(prepared, (connect, read), self._verify, self._cert, proxy)
                return _Answer(raw.status, raw.headers, raw, prepared, adapter=adapter)
            sent = adapter.send(
                prepared,
                stream=True,
                timeout=(connect, read),
                verify=self._verify,
                cert=self._cert,
                proxies={"all": proxy} if proxy is not None else {},
            )
            return _Answer(sent.status_code, sent.headers, sent.raw, prepared, response=sent)
        except rex.ConnectTimeout as exc:
            raise connection_error(
                APITimeoutError, request, url, "connect_timeout", False, exc
            ) from None
        except rex.ReadTimeout as exc:
            raise _read_timeout(request, url, "waiting for the response", exc) from None
        except rex.SSLError as exc:
            raise connection_error(APIConnectionError, request, url, "tls", False, exc) from None
        except rex.ConnectionError as exc:
            kind, sent_ = _classify_connection_error(exc)
            raise connection_error(APIConnectionError, request, url, kind, sent_, exc) from None
        except (rex.RequestException, u3ex.HTTPError, OSError) as exc:
            raise connection_error(
                APIConnectionError, request, url, "protocol", True, exc
            ) from None

    def _read_body(self, request: Request, answer: _Answer, deadline: float, url: str) -> bytes:
        stream = answer.stream
        chunks: list[bytes] = []
        # a download's 2xx body goes to disk, slice by slice (composio._external.FileSink)
        sink = request.sink if 200 <= answer.status < 300 else None
        keep = chunks.append if sink is None else sink.write
        try:
            while True:
                if time.monotonic() > deadline:
                    answer.close()  # closes the socket and gives its pool slot back
                    raise _read_timeout(request, url, "reading the body", None)
                chunk = stream.read1(_READ_SLICE, decode_content=True)
                if not chunk:
                    break
                keep(chunk)
        except u3ex.ReadTimeoutError as exc:
            answer.close()  # half-read: never back into the pool as it is
            raise _read_timeout(request, url, "reading the body", exc) from None
        except (u3ex.HTTPError, OSError, rex.RequestException) as exc:
            answer.close()
            kind = "truncated" if "IncompleteRead" in repr(exc) else "reset"
            raise connection_error(APIConnectionError, request, url, kind, True, exc) from None
        content = b"".join(chunks)
        answer.consumed(content)
        return content

    def _release(self, request: Request, answer: _Answer, url: str) -> None:
        """Hand a redirect's connection back to the pool: drain a small body (so the
        connection can be reused), else close it. Never raises: the caller has its own error."""
        length = answer.headers.get("content-length", "")
        if length.isdigit() and int(length) <= _DRAIN_LIMIT:
            try:
                self._read_body(request, answer, request.context.deadline, url)
            except APIConnectionError:
                return  # _read_body closed it
        answer.close()  # consumed: gives the connection back; unconsumed: closes it first


class _Answer:
    """One exchange's answer up to its headers, whichever way it was sent: status, headers,
    the urllib3 response to read the body from, and the ``requests.Response`` -- the
    adapter's (``send``), or built on first access from the same parts
    (``HTTPAdapter.build_response``, what ``send`` would have returned)."""

    __slots__ = ("_adapter", "_content", "headers", "prepared", "response", "status", "stream")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        stream: Any,
        prepared: PreparedRequest,
        *,
        response: requests.Response | None = None,
        adapter: requests.adapters.HTTPAdapter | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.stream = stream
        self.prepared = prepared
        self.response = response
        self._adapter = adapter
        self._content: bytes | None = None

    def consumed(self, content: bytes) -> None:
        self._content = content
        response = self.response
        if response is not None:
            response._content = content
            response._content_consumed = True  # type: ignore[attr-defined]

    def build(self) -> requests.Response:
        assert self._adapter is not None
        response = self._adapter.build_response(self.prepared, self.stream)
        if self._content is not None:
            response._content = self._content
            response._content_consumed = True  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        """``requests.Response.close``: an unread body closes the connection; a read one
        gives it back to the pool."""
        if self.response is not None:
            self.response.close()
            return
        if self._content is None:
            self.stream.close()
        self.stream.release_conn()


def _read_timeout(
    request: Request, url: str, during: str, exc: BaseException | None
) -> APITimeoutError:
    """A read that timed out: ``deadline`` when the call's total ran out (never retried),
    else ``read_timeout`` (one read waited longer than ``Timeout.read``)."""
    if exc is None or time.monotonic() >= request.context.deadline:
        return deadline_error(request, url, f"while {during}", sent=True)
    error = connection_error(APITimeoutError, request, url, "read_timeout", True, exc)
    assert isinstance(error, APITimeoutError)
    return error


def _classify_connection_error(exc: BaseException) -> tuple[str, bool]:
    """(kind, sent): ``sent`` is False only when no byte of the request can have left."""
    seen: set[int] = set()
    node: BaseException | None = exc
    stack: list[BaseException] = []
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        stack.append(node)
        reason = getattr(node, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        args0 = node.args[0] if node.args and isinstance(node.args[0], BaseException) else None
        node = (
            args0
            or node.__cause__
            or node.__context__
            or (reason if isinstance(reason, BaseException) and id(reason) not in seen else None)
        )
    for err in stack:
        if isinstance(err, u3ex.NameResolutionError):
            return "dns", False
        if isinstance(err, (u3ex.NewConnectionError, ConnectionRefusedError)):
            return "refused", False
        if isinstance(err, u3ex.ConnectTimeoutError):
            return "connect_timeout", False
    return "reset", True
