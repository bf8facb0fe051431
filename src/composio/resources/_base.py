"""What every resource shares: the client handle, slug checks and body parsing."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from composio._redact import Scrubber
from composio._request_info import request_info
from composio.errors import APIError, ToolExecutionError, ValidationError
from composio.models import ShapeError, ToolExecution
from composio.pagination import Page
from composio.telemetry._scope import operation, public_operation

if TYPE_CHECKING:
    from composio.client import Composio
    from composio.pipeline import Response

T = TypeVar("T")

__all__ = [
    "Resource",
    "params",
    "parse",
    "parse_page",
    "public_operation",
    "q_bool",
    "q_limit",
    "q_list",
    "q_str",
    "slug_path",
    "tool_failure",
]


class Resource:
    __slots__ = ("_client",)

    def __init__(self, client: Composio) -> None:
        self._client = client


def slug_path(value: object, what: str) -> str:
    """A path segment for a slug: validated and percent-encoded (``/``, ``?``, ``#`` included).

    ``.`` and ``..`` are encoded too: left alone, URL normalisation would turn
    ``/tools/..`` into another endpoint.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string, got {value!r:.40}.")
    segment = quote(value, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return segment


def q_str(value: object, name: str) -> str | None:
    """An optional string parameter: ``None`` omits it; anything else must be non-empty text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} must be a non-empty string, got {value!r:.40}.")
    return value


def q_bool(value: object, name: str) -> str | None:
    """The spec types these flags as the strings ``"true"``/``"false"``."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True, False or None, got {value!r:.20}.")
    return "true" if value else "false"


def q_list(value: object, name: str) -> list[str] | None:
    """A string or a sequence of non-empty strings (not a bare iterator: it would be used up)."""
    if value is None:
        return None
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        raise ValidationError(
            f"{name} must be a string or a list of strings, not {type(value).__name__}."
        )
    if not all(isinstance(v, str) and v for v in items):
        raise ValidationError(f"{name} must be a string or a list of non-empty strings.")
    return items  # type: ignore[return-value]


def q_limit(value: object) -> str | None:
    """``limit`` is a JSON number in the spec; we accept whole numbers only (it counts items)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"limit must be a positive int, got {value!r:.20}.")
    return str(value)


def params(*pairs: tuple[str, str | list[str] | None]) -> list[tuple[str, str]]:
    """Query pairs in order; ``None`` dropped, lists repeated (``tags=a&tags=b``)."""
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, list):
            out.extend((name, v) for v in value)
        else:
            out.append((name, value))
    return out


def _shape_error(response: Response, why: str) -> APIError:
    """A 2xx answer we cannot use; its excerpt and request id are server data (scrubbed)."""
    req = response.request
    info = request_info(req)
    scrub = Scrubber.for_headers(req.headers)
    text = (
        f"{req.context.operation}: {info.method} {info.url} -> {response.status_code}: the "
        f"response {why}; body starts: {scrub.excerpt(response.content)!r}"
    )
    request_id = scrub.optional(response.request_id)
    return APIError(scrub.text(text), request=info, request_id=request_id)


def tool_failure(response: Response, result: ToolExecution, slug: str) -> ToolExecutionError:
    """The error for a tool that reported failure. The tool's error text and its result are
    what the server sent back, so both are scrubbed of the request's secrets; the error (and
    its pickle) carries the scrubbed copy of the result."""
    scrub = Scrubber.for_headers(response.request.headers)
    kept = scrub.data(dict(result.extra))
    clean = replace(
        result,
        data=scrub.data(result.data),
        error=scrub.optional(result.error),
        log_id=scrub.optional(result.log_id),
        session_info=scrub.data(result.session_info),
        extra=MappingProxyType(kept) if kept else result.extra,
    )
    error = clean.error or "no error message"
    return ToolExecutionError(
        f"tools.execute: tool {slug!r} reported failure: {error:.500}"
        + (f" (log_id={clean.log_id})" if clean.log_id else ""),
        result=clean,
        slug=slug,
    )


def json_body(response: Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can parse
        raise _shape_error(response, "is not JSON") from None


def parse(response: Response, factory: Callable[[Any], T]) -> T:
    try:
        return factory(json_body(response))
    except (ShapeError, TypeError, ValueError) as exc:
        raise _shape_error(response, f"does not have the expected shape ({exc})") from None


def parse_page(
    response: Response, factory: Callable[[Any], T], fetch: Callable[[str], Page[T]]
) -> Page[T]:
    def build(data: Any) -> Page[T]:
        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ShapeError("expected an object with an 'items' list")
        cursor = data.get("next_cursor")

        def num(key: str) -> int | None:
            v = data.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                return None
            return int(v)

        return Page(
            items=tuple(factory(item) for item in data["items"]),
            next_cursor=cursor if isinstance(cursor, str) and cursor else None,
            total_items=num("total_items"),
            total_pages=num("total_pages"),
            current_page=num("current_page"),
            _fetch=next_page,
        )

    next_page = _NextPage(response.request.context.operation, fetch)
    return parse(response, build)


class _NextPage(Generic[T]):
    """``page.next_page()`` is a public operation of its own (one telemetry event, named
    after the list method, with the outcome of fetching *and* parsing the page); inside
    another operation (``tools.get`` walking pages) it is part of that one."""

    __slots__ = ("fetch", "name")

    def __init__(self, name: str, fetch: Callable[[str], Page[T]]) -> None:
        self.name = name
        self.fetch = fetch

    def __call__(self, cursor: str) -> Page[T]:
        with operation(self.name):
            return self.fetch(cursor)
