"""Turn a 4xx/5xx :class:`Response` into the matching error of SPEC §2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composio._redact import body_excerpt, scrub_key
from composio._request_info import request_info
from composio._retry_after import parse_retry_after
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
    """Build the error for ``response``; the API key is scrubbed from its text."""
    request = response.request
    info = request_info(request)
    status = response.status_code
    try:
        body: Any = response.json()
        err = _server_error(body)
    except ValueError:
        body = response.text[:4096]
        err = {}
    message = err.get("message") if isinstance(err.get("message"), str) else None
    request_id = err.get("request_id") if isinstance(err.get("request_id"), str) else None
    request_id = request_id or response.request_id
    fix = err.get("suggested_fix") if isinstance(err.get("suggested_fix"), str) else None
    code = err.get("code") if isinstance(err.get("code"), (int, str)) else None
    reason = response.requests_response.reason or ""
    if message is None:
        excerpt = body_excerpt(response.content)
        message = f"non-JSON or unexpected error body: {excerpt!r}" if excerpt else "empty body"
    text = f"{request.context.operation}: {info.method} {info.url} -> {status} {reason}: {message}"
    if fix:
        text += f" Suggested fix: {fix}"
    if request_id:
        text += f" (request_id={request_id})"
    text = scrub_key(text, request.headers)
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
