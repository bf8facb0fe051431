"""Sans-I/O pieces of a transport that both drivers share (SPEC §3, §8, §12.7).

How a :class:`~composio.pipeline.Request` becomes bytes on the wire (URL with its query,
header dict, JSON body), and which redirect hops are followed and with which headers. The
``requests`` and the ``aiohttp`` transports differ only in how they send and read.
"""

from __future__ import annotations

import json as _json
from urllib.parse import urlencode, urljoin, urlsplit

from composio._redact import redact_url
from composio.errors import APIError, APITimeoutError
from composio.pipeline import Request

__all__ = [
    "MAX_REDIRECTS",
    "REDIRECTS",
    "deadline_error",
    "encode",
    "redirect_target",
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
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def encode(request: Request) -> tuple[str, dict[str, str], bytes | None]:
    """(URL with the encoded query, the header dict to send, the body bytes or None)."""
    url = request.url
    if request.params:
        url = f"{url}?{urlencode(request.params)}"
    headers = request.headers
    body: bytes | None = None
    if request.content is not None:
        body = request.content
    elif request.json is not None:
        body = _json.dumps(request.json, separators=(",", ":"), ensure_ascii=False).encode()
        if "content-type" not in headers:
            headers["Content-Type"] = "application/json"
    elif request.method in _BODY_METHODS:
        body = b""
    wire = headers.to_wire()
    if body is not None:
        wire.pop("content-length", None)
        wire["Content-Length"] = str(len(body))
    return url, wire, body


def deadline_error(request: Request, url: str, when: str) -> APITimeoutError:
    from composio.transport import request_info

    return APITimeoutError(
        f"{request.method} {redact_url(url)}: the call's total timeout of "
        f"{request.context.timeout.total:g}s ran out {when}.",
        request=request_info(request, url),
        sent=when != "before the attempt could start",
        kind="deadline",
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def redirect_target(
    request: Request, method: str, status: int, location: str | None, url: str, hops: int
) -> str | None:
    """The URL to follow, or None when the answer is not a redirect the SDK follows.

    Followed: 301/302/303/307/308 on GET/HEAD only. Refused with :class:`APIError` (never a
    bare ``ValueError``, never the 3xx handed back as success): a sixth hop, a ``Location``
    that is not a usable http(s) URL, and https to http (SPEC §8, §12.7).
    """
    if status not in REDIRECTS or method not in ("GET", "HEAD"):
        return None
    from composio.transport import request_info

    def refuse(why: str) -> APIError:
        return APIError(
            f"{method} {redact_url(url)}: redirect refused: {why}.",
            request=request_info(request, url),
        )

    if hops >= MAX_REDIRECTS:
        raise refuse(f"too many redirects (more than {MAX_REDIRECTS})")
    if not location or any(ord(c) < 0x21 or ord(c) == 0x7F for c in location):
        raise refuse("the Location header is missing or malformed")
    try:
        target = urljoin(url, location)
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise refuse("the Location header is malformed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refuse("the Location header is not an http(s) URL")
    if parts.scheme == "http" and urlsplit(url).scheme == "https":
        raise refuse("a redirect from https to http would send the request in clear text")
    return target


def strip_cross_origin(wire: dict[str, str], url: str, target: str) -> dict[str, str]:
    """SPEC §8: credentials and user headers never cross origins (and are not re-added)."""
    if _origin(target) == _origin(url):
        return wire
    return {k: v for k, v in wire.items() if k.lower() in CROSS_ORIGIN_SAFE}
