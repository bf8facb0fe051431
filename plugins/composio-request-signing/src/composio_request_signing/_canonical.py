"""What is signed, written once for the signer and the verifier.

The string to sign is one field per line::

    COMPOSIO-HMAC-SHA256/v1
    <METHOD>
    <path, as sent: percent-encoded, without the query>
    <canonical query: pairs RFC 3986-encoded, then sorted by name and value, joined by &>
    <hex SHA-256 of the body bytes as sent (of b"" when there is none)>
    <timestamp: integer Unix seconds>
    <nonce: 32 lower-case hex digits>
    <key id, or empty>
    <names of the extra signed headers, lower-cased, joined by ;>
    <name>:<value> for each of those headers, in that order

No field can contain a newline (the verifier checks the ones a sender controls), so no two
different requests share a string to sign. The query is canonicalised because what a proxy or
framework hands the receiver may re-order or re-encode it; the path is not, because
``/a%2Fb`` and ``/a/b`` are different resources.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

__all__ = [
    "CONTENT_HEADER",
    "KEY_ID_HEADER",
    "NONCE_HEADER",
    "SCHEME",
    "SIGNATURE_HEADER",
    "SIGNED_HEADERS_HEADER",
    "TIMESTAMP_HEADER",
    "body_digest",
    "canonical_query",
    "json_body",
    "signature",
    "string_to_sign",
]

SCHEME = "COMPOSIO-HMAC-SHA256/v1"
SIGNATURE_HEADER = "x-composio-signature"
TIMESTAMP_HEADER = "x-composio-timestamp"
NONCE_HEADER = "x-composio-nonce"
CONTENT_HEADER = "x-composio-content-sha256"
KEY_ID_HEADER = "x-composio-key-id"
SIGNED_HEADERS_HEADER = "x-composio-signed-headers"
_SAFE = "-_.~"
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*\Z")  # RFC 3986 unreserved characters


def json_body(value: object) -> bytes:
    """The bytes the SDK's transport sends for ``request.json`` (compact, UTF-8).

    The transport serialises the body after the chain has run, so the signer must produce the
    same bytes; the end-to-end tests verify what the server actually received, so a change in
    the transport's encoding fails them instead of silently breaking every signature.
    """
    if value is None:
        return b""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _encode(text: str) -> str:
    # Most names and values (slugs, numbers, ids) need no escaping: skip quote() for them.
    return text if _UNRESERVED.match(text) else quote(text, safe=_SAFE)


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def string_to_sign(
    method: str,
    path: str,
    query: str,
    digest: str,
    timestamp: str,
    nonce: str,
    key_id: str,
    headers: Sequence[tuple[str, str]],
) -> bytes:
    lines = [
        SCHEME,
        method.upper(),
        path or "/",
        query,
        digest,
        timestamp,
        nonce,
        key_id,
        ";".join(name for name, _ in headers),
    ]
    lines.extend(f"{name}:{value.strip()}" for name, value in headers)
    return "\n".join(lines).encode()


def signature(key: bytes, message: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``message``."""
    return "v1=" + hmac.digest(key, message, "sha256").hex()  # the one-shot C path
