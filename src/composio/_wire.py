"""Sans-I/O pieces of a transport that both drivers share (SPEC §3, §8, §12.7).

How a :class:`~composio.pipeline.Request` becomes what goes on the wire (URL with its query,
header dict, JSON body), and which redirect hops are followed and with which headers. The
``requests`` and the ``aiohttp`` transports differ only in how they send and read. Also what
both read back from the wire the same way: the connection-failure table
(:func:`connection_error`) and the server's wait hint (:func:`parse_retry_after`), which the
retry middleware and the 429 error read.
"""

from __future__ import annotations

import contextlib
import json as _json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

from composio._external import FileBody, content_length
from composio._redact import redact_url, scrub
from composio._request_info import request_info
from composio.errors import APIConnectionError, APIError, APITimeoutError, ValidationError
from composio.pipeline import Request

__all__ = [
    "BODY_METHODS",
    "CROSS_ORIGIN_SAFE",
    "MAX_REDIRECTS",
    "REDIRECTS",
    "RedirectRefused",
    "deadline_error",
    "encode",
    "full_url",
    "origin",
    "own_host",
    "parse_retry_after",
    "redirect_refused",
    "redirect_target",
    "server_url",
    "strip_cross_origin",
]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
#: Headers that may follow a redirect to another origin: nothing that identifies a user.
CROSS_ORIGIN_SAFE = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "x-source",
        "x-sdk-version",
        "x-runtime",
        "x-framework",
        "x-retry-count",
        "traceparent",
        "tracestate",
    }
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Why a body nested deeper than ``json`` can walk is refused: by the caller's check
#: (``composio._ops._body.json_problem``), or here, where the body is encoded for real.
JSON_TOO_DEEP = "nested deeper than JSON encoding can go"


def full_url(url: str, params: Sequence[tuple[str, str]] | None) -> str:
    """The URL a request goes to: ``url`` with ``params`` encoded onto it. A path may carry
    its own query (``client.request("GET", "/p?x=1", params=...)``): the parameters join it.
    The one rule, so what a span names is what the wire sends (``middlewares.tracing``)."""
    if params:
        return f"{url}{'&' if '?' in url else '?'}{query_string(params)}"
    return url


#: A query key or value that ``urlencode`` leaves as it is: only ``quote_plus``'s
#: always-safe characters (RFC 3986's unreserved set).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def query_string(params: Sequence[tuple[str, str]]) -> str:
    """``urlencode(params)``, exactly; pairs of plain strings that need no escaping (an SDK
    call's own query: ``toolkit_versions=latest``, a slug, a cursor) joined without it, at
    a third of its cost -- every list call has a query (issue 21). Anything else (a value
    to escape, a non-string a middleware put in) goes to ``urlencode`` whole -- as does
    anything but a list or tuple: a one-shot iterable (a middleware's generator) would be
    spent by this loop, and a span's URL or a retry's encoding would then find it empty and
    send no query at all, where ``urlencode`` refuses it every time (break9)."""
    if type(params) is not list and type(params) is not tuple:
        return urlencode(params)
    safe = _UNRESERVED
    parts = []
    for pair in params:
        if type(pair) is not tuple or len(pair) != 2:
            return urlencode(params)  # not pairs: urlencode's own answer or error
        k, v = pair
        if type(k) is not str or type(v) is not str or not safe(k) or not safe(v):
            return urlencode(params)
        parts.append(f"{k}={v}")
    return "&".join(parts)


def encode(request: Request) -> tuple[str, dict[str, str], bytes | FileBody | None]:
    """(URL with the encoded query, the header dict to send, the body or None); a body
    streamed from a file (``composio._external.FileBody``) is announced by its size."""
    url = full_url(request.url, request.params)
    headers = request.headers
    body: bytes | FileBody | None = None
    if request.content is not None:
        body = request.content
    elif request.json is not None:
        try:
            text = _json.dumps(request.json, separators=(",", ":"), ensure_ascii=False)
        except RecursionError:
            # The caller's check (``_ops._body.check_json``) ran some frames above this one:
            # a body nested just within its reach ends here, and is refused as it would be.
            raise ValidationError(
                f"{request.context.operation}: the JSON body must be JSON-serialisable "
                f"({JSON_TOO_DEEP})."
            ) from None
        body = text.encode()
        if "content-type" not in headers:
            headers["Content-Type"] = "application/json"
    elif request.method in BODY_METHODS:
        body = b""
    wire = headers.to_wire()
    # The transport's own framing, in any spelling: a middleware's Content-Length goes, and
    # so does its Host where it names the request's own host -- what the transport writes
    # anyway (composio-request-signing writes it to sign it). ``HeaderLines.check`` refuses
    # any other Host and the other framing headers outright.
    if "content-length" in headers or "host" in headers:  # rare: only then a scan
        for name in [n for n in wire if n.lower() in _TRANSPORT_OWNED]:
            if name.lower() == "content-length" or wire[name] == own_host(url):
                del wire[name]
    if body is not None:
        wire["Content-Length"] = str(content_length(body))
    return url, wire, body


_TRANSPORT_OWNED = frozenset({"content-length", "host"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def own_host(url: str) -> str | None:
    """The ``Host`` header the HTTP libraries write for ``url`` (http.client under
    ``requests``, aiohttp, the fast exchange): the host name lower-cased, IDNA-encoded, IPv6
    in brackets, and the port unless it is the scheme's default. None for a URL without one."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        if not host:
            return None
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return host


def deadline_error(request: Request, url: str, when: str, *, sent: bool) -> APITimeoutError:
    what = f"the call's total timeout of {request.context.timeout.total:g}s ran out {when}"
    return _failure(APITimeoutError, request, url, "deadline", sent, what + ".")


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, (parts.hostname or "").lower(), port)


class RedirectRefused(Exception):
    """Why a redirect is not followed; becomes an ``APIError`` with the request attached."""


def internal_address(url: str) -> str | None:
    """What kind of internal address ``url``'s host is -- ``"link-local"`` (where cloud
    metadata services answer), ``"loopback"`` or ``"private"`` -- or ``None`` for a public
    host or a name. IP literals are read as the resolver reads them (``127.1``,
    ``2130706433``, ``0x7f.0.0.1``, IPv4-mapped IPv6), ``0.0.0.0`` is this host, and
    ``localhost`` names are loopback; other names are judged by the address a connection to
    them reaches (``composio._egress``), not here."""
    import socket

    from composio._egress import ip_kind

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        return ip_kind(host)
    except ValueError:
        try:
            return ip_kind(socket.inet_ntoa(socket.inet_aton(host)))
        except (OSError, ValueError):
            return None


def redirect_target(url: str, location: str, hops: int) -> str:
    """The absolute URL a ``Location`` points to, checked the way a first URL would be.

    Raises :class:`RedirectRefused` for a sixth hop, a ``Location`` that does not parse (a bad
    port, an unclosed IPv6 bracket, empty), a scheme other than http(s), https -> http
    (SPEC §8's https-only rule must not be bypassed by a redirect), and a hop from a public
    host into an internal address (:func:`internal_address`; link-local ever).
    """
    if hops >= MAX_REDIRECTS:
        raise RedirectRefused(f"too many redirects (more than {MAX_REDIRECTS})")
    if not location.strip():
        raise RedirectRefused("the redirect's Location header is empty")
    # as requests does: http.client decoded the header as latin-1; servers send UTF-8
    with contextlib.suppress(UnicodeError):
        location = location.encode("latin-1").decode("utf-8")
    try:
        target = server_url(urljoin(url, location.strip()))
    except ValueError as bad:
        raise RedirectRefused(f"the redirect's Location {bad}") from None
    if urlsplit(target).scheme == "http" and urlsplit(url).scheme == "https":
        raise RedirectRefused("refused a redirect from https to plain http")
    inside = internal_address(target)
    if inside is not None and (inside == "link-local" or internal_address(url) is None):
        # a public host may not send the SDK into the network it runs in (SSRF)
        raise RedirectRefused(f"refused a redirect from a public host to a {inside} address")
    return target


def server_url(text: str) -> str:
    """An absolute URL a server handed the SDK to send to (a redirect's ``Location``, an
    upload's presigned URL), checked and written the way both transports will send it.

    Why one function: each client's HTTP library fills in what a URL leaves open its own way
    -- aiohttp sends a space raw in the request line and turns user-info into an
    ``Authorization`` header; urllib3 %-encodes the one and ignores the other -- so the two
    clients sent different requests to the same URL. Here it is quoted as ``requests`` quotes
    (``requote_uri``) and refused (``ValueError``, saying why) unless it is http(s) with a
    host and a valid port and carries no user-info (credentials the API would hand to a
    third party, which neither client would send the same way).
    """
    from requests.utils import requote_uri

    try:
        url = requote_uri(text)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not an http(s) URL with a host")
    if "@" in parts.netloc:
        raise ValueError("carries user-info (credentials) before its host")
    return url


def redirect_refused(
    request: Request, url: str, status: int, refused: RedirectRefused, request_id: str | None
) -> APIError:
    """The error for a refused hop, worded and scrubbed as the sync transport words it."""
    return APIError(
        scrub(f"{request.method} {redact_url(url)}: {refused} (HTTP {status}).", request.headers),
        request=request_info(request, url),
        request_id=request_id,
    )


def strip_cross_origin(wire: dict[str, str], url: str, target: str) -> dict[str, str]:
    """SPEC §8: credentials and user headers never cross origins (and are not re-added)."""
    if origin(target) == origin(url):
        return wire
    return {k: v for k, v in wire.items() if k.lower() in CROSS_ORIGIN_SAFE}


_E = TypeVar("_E", bound=APIConnectionError)

#: What each connection failure ``kind`` (``APIConnectionError.kind``) means, for the message.
CONNECTION_FAILURES = {
    "connect_timeout": "connecting timed out",
    "read_timeout": "the server did not answer within the read timeout",
    "tls": "TLS handshake or certificate verification failed",
    "refused": "the connection was refused",
    "dns": "the host name could not be resolved",
    "reset": "the connection was closed or reset before a full response arrived",
    "truncated": "the response body was shorter than its Content-Length",
    "protocol": "the server broke the HTTP protocol",
}


def connection_error(
    cls: type[APIConnectionError],
    request: Request,
    url: str,
    kind: str,
    sent: bool,
    exc: BaseException,
) -> APIConnectionError:
    """The error both transports raise for a failed exchange: one table, one message shape
    (method, redacted URL, what happened, the library's exception type; never its text)."""
    what = f"{CONNECTION_FAILURES.get(kind, kind)} ({type(exc).__name__})."
    return _failure(cls, request, url, kind, sent, what)


def _failure(cls: type[_E], request: Request, url: str, kind: str, sent: bool, what: str) -> _E:
    """``METHOD url: what``, scrubbed of the request's secrets, with the request's info."""
    message = scrub(f"{request.method} {redact_url(url)}: {what}", request.headers)
    return cls(message, request=request_info(request, url), sent=sent, kind=kind)


# -- The server's wait hint --------------------------------------------------------------
# Parse the server's wait hint: ``retry-after-ms``, else ``Retry-After`` (seconds or date).
#
# Anything that is not a finite, non-negative number of seconds (garbage, NaN, negative, an
# unparseable date) is treated as "no hint", never as an error: a malformed header from a proxy
# must not turn a retryable 429 into a crash. A date in the past means "now" (0).

#: Longer ``Retry-After`` values are not hints (and are not worth parsing).
_MAX_HINT_LEN = 64


def _delay_seconds(text: str) -> float | None:
    # float() accepts "1_0", " nan", "infinity" and full-width digits; only plain decimal
    # notation is a delay-seconds value.
    if not text or not all(c in "0123456789.eE+-" for c in text):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _delay_until(raw: str, now: Callable[[], float]) -> float | None:
    try:
        when = parsedate_to_datetime(raw)
        if when is None:
            return None
        if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are GMT (RFC 9110 §5.6.7)
            when = when.replace(tzinfo=timezone.utc)
        delta = when.timestamp() - now()
    except Exception:  # the stdlib date parser raises a zoo of types on odd input
        return None
    if not math.isfinite(delta):
        return None
    return max(0.0, delta)


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait, or ``None`` when the response gave no usable hint."""
    ms = headers.get("retry-after-ms")
    if isinstance(ms, str) and len(ms) <= _MAX_HINT_LEN:
        value = _delay_seconds(ms.strip())
        if value is not None:
            return value / 1000.0
    raw = headers.get("retry-after")
    if not isinstance(raw, str) or len(raw) > _MAX_HINT_LEN:
        return None
    raw = raw.strip()
    if not raw:
        return None
    value = _delay_seconds(raw)
    if value is not None:
        return value
    return _delay_until(raw, now)
