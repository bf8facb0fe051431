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
