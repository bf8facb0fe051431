"""The redacted description of a request that an error carries (SPEC §8).

It lives on the errors' side, not in the transport: building an error from a response (a
status error, a body that does not parse) must not depend on the module that owns the
``requests`` pool, and every error path gets the same allow-list redaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composio._redact import redact_headers, redact_url, scrub
from composio.errors import RequestInfo

if TYPE_CHECKING:
    from composio.pipeline import Request

__all__ = ["request_info"]


def request_info(request: Request, url: str | None = None) -> RequestInfo:
    """What an error may say about ``request``: method, redacted URL, allow-listed headers."""
    return RequestInfo(
        method=request.method,
        url=scrub(redact_url(url or request.url), request.headers),  # a redirect echo (§12.5)
        headers=redact_headers(request.headers.to_wire()),
    )
