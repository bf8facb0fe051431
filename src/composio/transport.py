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

The body is read here, in ``read1`` slices, so that the call's total deadline bounds a body
that trickles in a byte at a time (each slice is one socket read, bounded by the read timeout
that was clipped to the deadline).
"""

from __future__ import annotations

import json as _json
import os
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import requests.adapters
import requests.exceptions as rex
import urllib3.exceptions as u3ex
from requests.models import PreparedRequest

from composio._redact import redact_headers, redact_url, scrub
from composio._wire import CROSS_ORIGIN_SAFE as _CROSS_ORIGIN_SAFE
from composio._wire import MAX_REDIRECTS as _MAX_REDIRECTS
from composio._wire import REDIRECTS as _REDIRECTS
from composio._wire import _origin
from composio.errors import APIConnectionError, APITimeoutError, RequestInfo
from composio.pipeline import Request, Response

__all__ = ["RequestsTransport", "request_info"]

_READ_SLICE = 65536
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def request_info(request: Request, url: str | None = None) -> RequestInfo:
    """The redacted description of a request that errors carry."""
    return RequestInfo(
        method=request.method,
        url=scrub(redact_url(url or request.url), request.headers),  # a redirect echo (§12.5)
        headers=redact_headers(request.headers.to_wire()),
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
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = base_url
        # With the slash, "http://h:80" does not claim "http://h:8000/..." as its own.
        self._base_prefix = base_url + "/"
        self._pool_maxsize = pool_maxsize
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._session = session if session is not None else self._new_session()
        # Resolved once (SPEC §3): env proxies and CA bundle for the base URL's host.
        env = self._session.merge_environment_settings(base_url, {}, False, verify, None)
        self._proxies: dict[str, str] = dict(env.get("proxies") or {})
        resolved = env.get("verify", verify)
        self._verify: bool | str = verify if resolved is None else resolved
        self._cert = env.get("cert")
        self._adapter = self._session.get_adapter(base_url)
        self.closed = False

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=self._pool_maxsize, max_retries=0
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @property
    def pool_maxsize(self) -> int:
        return self._pool_maxsize

    def for_base_url(self, base_url: str) -> RequestsTransport:
        """A transport for another base URL over the same pool (``with_options(base_url=)``)."""
        return RequestsTransport(
            base_url, verify=self._verify, pool_maxsize=self._pool_maxsize, session=self._session
        )

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        self.closed = True
        self._session.close()

    def after_fork_in_child(self) -> None:
        """A forked child must not share the parent's sockets: start a fresh pool."""
        self._lock = threading.Lock()
        self._session = self._new_session()
        self._adapter = self._session.get_adapter(self._base_url)
        self._pid = os.getpid()

    @property
    def session(self) -> requests.Session:
        """The underlying ``requests.Session`` (its adapters hold the pool)."""
        return self._session

    # -- sending -------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        if self._pid != os.getpid():  # pragma: no cover - exercised by the fork test
            self.after_fork_in_child()
        ctx = request.context
        started = time.monotonic()
        remaining = ctx.deadline - started
        if remaining <= 0:
            raise APITimeoutError(
                f"{request.method} {redact_url(request.url)}: the call's total timeout of "
                f"{ctx.timeout.total:g}s ran out before the attempt could start.",
                request=request_info(request),
                sent=False,
                kind="deadline",
            )
        timeout = ctx.timeout
        connect = remaining if timeout.connect is None else min(timeout.connect, remaining)
        read = remaining if timeout.read is None else min(timeout.read, remaining)

        url = request.url
        if request.params:
            url = f"{url}?{urlencode(request.params)}"
        headers = request.headers
        body: bytes | None = None
        if request.json is not None:
            body = _json.dumps(request.json, separators=(",", ":"), ensure_ascii=False).encode()
            if "content-type" not in headers:
                headers["Content-Type"] = "application/json"
        elif request.method in _BODY_METHODS:
            body = b""
        wire = headers.to_wire()
        if body is not None:
            wire.pop("content-length", None)
            wire["Content-Length"] = str(len(body))

        method = request.method
        hops = 0
        while True:
            raw = self._send_once(request, method, url, wire, body, (connect, read))
            status = raw.status_code
            if status not in _REDIRECTS or method not in ("GET", "HEAD"):
                break
            location = raw.headers.get("location")
            if not location or hops >= _MAX_REDIRECTS:
                break
            next_url = urljoin(url, location)
            if urlsplit(next_url).scheme not in ("http", "https"):
                break
            raw.close()
            hops += 1
            if _origin(next_url) != _origin(url):
                # SPEC §8: credentials and user headers never cross origins, and once
                # dropped they are not re-added on later hops.
                wire = {k: v for k, v in wire.items() if k.lower() in _CROSS_ORIGIN_SAFE}
            url = next_url
        content = self._read_body(request, raw, ctx.deadline, url)
        return Response(request, raw, content, time.monotonic() - started)

    def _send_once(
        self,
        request: Request,
        method: str,
        url: str,
        wire: Mapping[str, str],
        body: bytes | None,
        timeout: tuple[float, float],
    ) -> requests.Response:
        prepared = PreparedRequest()
        prepared.method = method
        prepared.url = url
        prepared.headers = wire  # type: ignore[assignment]
        prepared.body = body
        if url.startswith(self._base_prefix):
            adapter, proxies = self._adapter, self._proxies
        else:  # a redirect hop elsewhere: resolve its adapter and proxies (rare path)
            adapter = self._session.get_adapter(url)
            proxies = dict(
                self._session.merge_environment_settings(url, {}, False, None, None).get("proxies")
                or {}
            )
        try:
            return adapter.send(
                prepared,
                stream=True,
                timeout=timeout,
                verify=self._verify,
                cert=self._cert,
                proxies=proxies,
            )
        except rex.ConnectTimeout as exc:
            raise self._error(
                APITimeoutError, request, url, "connect_timeout", False, exc
            ) from None
        except rex.ReadTimeout as exc:
            raise self._error(APITimeoutError, request, url, "read_timeout", True, exc) from None
        except rex.SSLError as exc:
            raise self._error(APIConnectionError, request, url, "tls", False, exc) from None
        except rex.ConnectionError as exc:
            kind, sent = _classify_connection_error(exc)
            raise self._error(APIConnectionError, request, url, kind, sent, exc) from None
        except (rex.RequestException, u3ex.HTTPError, OSError) as exc:
            raise self._error(APIConnectionError, request, url, "protocol", True, exc) from None

    def _read_body(
        self, request: Request, raw: requests.Response, deadline: float, url: str
    ) -> bytes:
        stream = raw.raw
        chunks: list[bytes] = []
        try:
            while True:
                if time.monotonic() > deadline:
                    raw.close()  # closes the socket and gives its pool slot back
                    raise APITimeoutError(
                        f"{request.method} {redact_url(url)}: the call's total timeout of "
                        f"{request.context.timeout.total:g}s ran out while reading the body.",
                        request=request_info(request, url),
                        sent=True,
                        kind="deadline",
                    )
                chunk = stream.read1(_READ_SLICE, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
        except u3ex.ReadTimeoutError as exc:
            raw.close()
            raise self._error(APITimeoutError, request, url, "read_timeout", True, exc) from None
        except (u3ex.HTTPError, OSError, rex.RequestException) as exc:
            raw.close()
            kind = "truncated" if "IncompleteRead" in repr(exc) else "reset"
            raise self._error(APIConnectionError, request, url, kind, True, exc) from None
        content = b"".join(chunks)
        raw._content = content
        raw._content_consumed = True  # type: ignore[attr-defined]
        return content

    @staticmethod
    def _error(
        cls: type[APIConnectionError],
        request: Request,
        url: str,
        kind: str,
        sent: bool,
        exc: BaseException,
    ) -> APIConnectionError:
        what = {
            "connect_timeout": "connecting timed out",
            "read_timeout": "the server did not answer within the read timeout",
            "tls": "TLS handshake or certificate verification failed",
            "refused": "the connection was refused",
            "dns": "the host name could not be resolved",
            "reset": "the connection was closed or reset before a full response arrived",
            "truncated": "the response body was shorter than its Content-Length",
            "protocol": "the server broke the HTTP protocol",
        }.get(kind, kind)
        return cls(
            scrub(
                f"{request.method} {redact_url(url)}: {what} ({type(exc).__name__}).",
                request.headers,
            ),
            request=request_info(request, url),
            sent=sent,
            kind=kind,
        )


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
