"""Allow-list redaction (SPEC §8): header *names* may be shown, values only when listed."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

SHOWN_HEADER_VALUES = frozenset(
    {
        "accept",
        "accept-encoding",
        "content-type",
        "content-length",
        "user-agent",
        "x-request-id",
        "x-correlation-id",
        "x-retry-count",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "traceparent",
        "tracestate",
        "x-source",
        "x-sdk-version",
        "x-runtime",
        "x-framework",
        "date",
        "server",
        "location",
    }
)
REDACTED = "***"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (v if k.lower() in SHOWN_HEADER_VALUES else REDACTED) for k, v in headers.items()}


def body_excerpt(content: bytes, limit: int = 200) -> str:
    """The start of a body for an error message: printable characters only."""
    text = content[:limit].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text + ("..." if len(content) > limit else "")


def scrub_key(text: str, request_headers: Mapping[str, str]) -> str:
    """Remove the request's API key from a message built from server-supplied text: a
    misbehaving server or proxy may echo request headers back."""
    secret = request_headers.get("x-api-key")
    if secret and secret in text:
        return text.replace(secret, REDACTED)
    return text


def redact_url(url: str) -> str:
    """Keep scheme, host, port and path; replace every query value and drop userinfo."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    query = ""
    if parts.query:
        query = "&".join(f"{k}={REDACTED}" for k, _ in parse_qsl(parts.query, True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
