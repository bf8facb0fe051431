"""Turn a 4xx/5xx :class:`Response` into the matching error of SPEC §2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composio._redact import Scrubber
from composio._request_info import request_info
from composio._wire import parse_retry_after
from composio.errors import APIStatusError, RateLimitError, status_error_class
from composio.pipeline import Response

__all__ = ["status_error"]


def _server_error(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping):
            return err
        if isinstance(err, str):
            return {"message": err}
        if isinstance(body.get("message"), str):
            return body
    return {}


def status_error(response: Response) -> APIStatusError:
    """Build the error for ``response``.

    Everything taken from the response -- message, code, suggested fix, request id, reason
    phrase, the body itself -- goes through the request's :class:`Scrubber`: a server or proxy
    that echoes request headers must not get the API key or a session's secret header into
    the error's text, ``.body`` or pickle (SPEC §12.5).
    """
    request = response.request
    info = request_info(request)
    status = response.status_code
    scrub = Scrubber.for_headers(request.headers)
    try:
        body: Any = scrub.data(response.json())
        err = _server_error(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json can parse
        body = scrub.body_text(response.text)
        err = {}
    message = err.get("message") if isinstance(err.get("message"), str) else None
    request_id = err.get("request_id") if isinstance(err.get("request_id"), str) else None
    request_id = request_id or response.request_id  # scrubbed by Response.request_id
    fix = err.get("suggested_fix") if isinstance(err.get("suggested_fix"), str) else None
    code = err.get("code") if isinstance(err.get("code"), (int, str)) else None
    reason = response.requests_response.reason or ""
    if message is None:
        excerpt = scrub.excerpt(response.content)
        message = f"non-JSON or unexpected error body: {excerpt!r}" if excerpt else "empty body"
    text = f"{request.context.operation}: {info.method} {info.url} -> {status} {reason}: {message}"
    if fix:  # a sentence of its own: the server's message rarely ends with a full stop
        text += ("" if text.endswith((".", "!", "?")) else ".") + f" Suggested fix: {fix}"
    if request_id:
        text += f" (request_id={request_id})"
    text = scrub.text(text)  # the reason phrase, and secrets split across the pieces above
    cls = status_error_class(status)
    kwargs: dict[str, Any] = dict(
        request=info,
        status_code=status,
        body=body,
        code=code,
        suggested_fix=fix,
        request_id=request_id,
        response=response,
    )
    if cls is RateLimitError:
        return RateLimitError(text, retry_after=parse_retry_after(response.headers), **kwargs)
    return cls(text, **kwargs)
