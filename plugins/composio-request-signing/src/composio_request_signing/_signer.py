"""The client side: a middleware that signs every physical attempt."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from composio import Request, Response, Stage, ValidationError
from composio.headers import FRAMING_HEADERS
from composio_request_signing._canonical import (
    CONTENT_HEADER,
    KEY_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    SIGNED_HEADERS_HEADER,
    TIMESTAMP_HEADER,
    body_digest,
    canonical_query,
    json_body,
    signature,
    string_to_sign,
)
from composio_request_signing._key import parse_key

__all__ = ["RequestSigner"]

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
#: Headers the transport writes after the chain (the SDK's framing headers, but ``host``, which
#: the signer writes itself), or that proxies rewrite hop by hop: a value signed here would not
#: be the one received. The body they frame is covered anyway, by its
#: SHA-256 (``x-composio-content-sha256``).
_UNSIGNABLE = (FRAMING_HEADERS - {"host"}) | {"proxy-authorization", "proxy-connection"}
#: Headers the signer writes itself: signing them would be circular.
_OWN = frozenset(
    {
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        NONCE_HEADER,
        CONTENT_HEADER,
        KEY_ID_HEADER,
        SIGNED_HEADERS_HEADER,
    }
)


class RequestSigner:
    """Signs each attempt: ATTEMPT stage, order 10000, so it runs after every middleware that
    edits the request (``x-retry-count`` is set by ``retry``, ``traceparent`` by ``tracing``,
    a plugin's ATTEMPT middleware at a lower order) and right before the transport.

    Why every attempt and not once per call: a retry carries a new ``x-retry-count`` and may
    be sent long after the first attempt; a fresh timestamp and nonce keep it inside the
    receiver's skew window and out of its replay cache, which would (rightly) refuse the first
    attempt's signature a second time.

    ``key``: bytes, or str (UTF-8, or ``base64:...``), at least 32 bytes. ``key_id`` is sent
    (and signed) so the receiver can pick the key during a rotation. ``signed_headers``: extra
    request headers whose values are signed too (for example ``x-retry-count``,
    ``x-request-id``). ``clock`` (Unix seconds) is for tests.

    What is signed is what is sent. ``host`` and ``content-type``, which the HTTP library would
    otherwise add after the chain, are written here when signed: ``Host`` from the URL (as
    ``requests`` and ``aiohttp`` would), ``Content-Type`` as the transport would for a JSON
    body. Signing ``host`` binds a request to the host it was sent to, so a receiver that
    requires it (``Verifier(required_headers=["host"])``) and serves only its own host names
    refuses a request replayed to another host. ``content-length`` and the hop-by-hop headers
    are refused: the transport or a proxy sets them after signing.
    """

    name = "request-signing"
    stage = Stage.ATTEMPT
    order = 10_000
    __slots__ = ("_clock", "_key", "_key_id", "_names", "_names_header")

    def __init__(
        self,
        key: bytes | str,
        *,
        key_id: str | None = None,
        signed_headers: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = parse_key(key, "RequestSigner(key=...)")
        if key_id is not None and (not isinstance(key_id, str) or not _TOKEN.match(key_id)):
            raise ValidationError(
                "RequestSigner(key_id=...) must be a non-empty token (letters, digits, -._~ ...)."
            )
        self._key_id = key_id or ""
        names: list[str] = []
        for name in signed_headers:
            if not isinstance(name, str) or not _TOKEN.match(name):
                raise ValidationError(
                    f"RequestSigner(signed_headers=...): {name!r:.40} is not a header name."
                )
            lower = name.lower()
            if lower in _OWN:
                raise ValidationError(
                    f"RequestSigner(signed_headers=...): {name!r} is written by the signer "
                    "itself and is always covered; leave it out."
                )
            if lower in _UNSIGNABLE:
                raise ValidationError(
                    f"RequestSigner(signed_headers=...): {name!r} is set by the transport or "
                    "a proxy after signing, so its signed value would not be the one received; "
                    "leave it out (the body is covered by its SHA-256 in "
                    f"{CONTENT_HEADER})."
                )
            if lower not in names:
                names.append(lower)
        self._names = tuple(names)
        self._names_header = ";".join(names)
        self._clock = clock

    def on_request(self, request: Request) -> None:
        """Sign ``request`` as it will be sent (sans-I/O: runs in the sync and async chains)."""
        url = request.url
        params = request.params
        if "?" in url:  # rare (a path given with a query): mirror the transport's URL exactly
            if params:  # joined as the transport joins them (``composio._wire.full_url``)
                url = f"{url}&{urlencode(params)}"
            parts = urlsplit(url)
            path = parts.path
            pairs = parse_qsl(parts.query, keep_blank_values=True)
        else:
            # The transport sends ``url?urlencode(params)``; the receiver's parse_qsl gives
            # back exactly these strings, so the encode/parse round trip can be skipped.
            path = url[url.find("/", url.find("//") + 2) :] if url.count("/") > 2 else "/"
            pairs = [(k, str(v)) for k, v in params] if params else []
        content = request.content
        digest = body_digest(_json_bytes(request) if content is None else content)
        timestamp = str(int(self._clock()))
        nonce = os.urandom(16).hex()
        headers = request.headers
        if self._names:
            _add_library_headers(request, self._names)
        signed = [(name, headers.get(name) or "") for name in self._names]
        message = string_to_sign(
            request.method,
            path,
            canonical_query(pairs),
            digest,
            timestamp,
            nonce,
            self._key_id,
            signed,
        )
        headers[TIMESTAMP_HEADER] = timestamp
        headers[NONCE_HEADER] = nonce
        headers[CONTENT_HEADER] = digest
        if self._key_id:
            headers[KEY_ID_HEADER] = self._key_id
        if self._names:
            headers[SIGNED_HEADERS_HEADER] = self._names_header
        headers[SIGNATURE_HEADER] = signature(self._key, message)

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        self.on_request(request)
        return call_next(request)

    async def acall(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        self.on_request(request)
        return await call_next(request)

    def __repr__(self) -> str:
        return (
            f"RequestSigner(key='***', key_id={self._key_id or None!r}, "
            f"signed_headers={list(self._names)!r})"
        )

    def __reduce__(self) -> Any:
        raise TypeError("RequestSigner holds a signing key and is not picklable.")


def _add_library_headers(request: Request, names: Sequence[str]) -> None:
    """Write the signed headers the HTTP library would add after the chain, with the values it
    would give them, so that the values signed are the values sent."""
    headers = request.headers
    if "host" in names and "host" not in headers:
        headers["Host"] = _host(request.url)
    if (
        "content-type" in names
        and "content-type" not in headers
        and request.json is not None
        and request.content is None
    ):
        headers["Content-Type"] = "application/json"  # the transport's, for a JSON body


def _host(url: str) -> str:
    """The ``Host`` header for ``url``, as http.client (under ``requests``) and ``aiohttp``
    write it: the host name lower-cased, IDNA-encoded, IPv6 in brackets, and the port unless
    it is the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return host


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _json_bytes(request: Request) -> bytes:
    """:func:`json_body` of the request's body, one nested deeper than ``json`` can walk
    here refused as the SDK's transport refuses it (the same words): the signer runs deeper
    in the stack than the SDK's own check, so a body just within that check's reach still
    reached this encoding, a bare ``RecursionError`` before."""
    try:
        return json_body(request.json)
    except RecursionError:
        raise ValidationError(
            f"{request.context.operation}: the JSON body must be JSON-serialisable "
            "(nested deeper than JSON encoding can go)."
        ) from None
