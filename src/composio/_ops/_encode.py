"""What every operation builder shares: argument checks, query/path encoding, body parsing.

No I/O here: these run the same for the sync and the async client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from composio._json_read import read_json
from composio._operation import CallOptions, Operation, PageData, ParseItems
from composio._redact import Scrubber
from composio._request_info import request_info
from composio.errors import APIError, ToolExecutionError, ValidationError
from composio.models import ShapeError, ToolExecution

if TYPE_CHECKING:
    from composio.pipeline import Response

T = TypeVar("T")

__all__ = [
    "CursorPages",
    "json_body",
    "page_operation",
    "params",
    "parse",
    "parse_page",
    "q_bool",
    "q_limit",
    "q_list",
    "q_str",
    "shape_error",
    "slug_path",
    "tool_failure",
]


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
    """An optional string parameter: ``None`` omits it; anything else must be non-empty text
    (whitespace only is empty: ``slug_path`` rejects it too, and the API would read it as a
    filter matching nothing)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
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


def shape_error(response: Response, why: str) -> APIError:
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
        raise shape_error(response, "is not JSON") from None


def own_json(response: Response) -> Any:
    """The body parsed anew, not the response's cached ``json()``: a page's models keep the
    very objects they are built from (``composio.models.parse_items``), so no one else (a
    plugin, a ``with_raw_response`` caller) may hold them."""
    try:
        return read_json(response.content)
    except (ValueError, RecursionError):
        raise shape_error(response, "is not JSON") from None


def parse(
    response: Response, factory: Callable[[Any], T], read: Callable[[Response], Any] = json_body
) -> T:
    try:
        return factory(read(response))
    except (ShapeError, TypeError, ValueError) as exc:
        raise shape_error(response, f"does not have the expected shape ({exc})") from None


def parse_page(response: Response, items: ParseItems[T]) -> PageData[T]:
    """A cursor page, its items stamped with the response's request id as they are parsed
    (issue 21: one pass over the items, :data:`composio._operation.ParseItems`)."""
    data = own_json(response)
    request_id = response.request_id
    try:
        return PageData.from_json(data, items, request_id)
    except (ShapeError, TypeError, ValueError) as exc:
        raise shape_error(response, f"does not have the expected shape ({exc})") from None


class CursorPages(Generic[T]):
    """One list operation's pages: how to read one (``parse``) and describe the next
    (``next_page``). Bound methods of one small object, not closures made per call."""

    __slots__ = ("items", "name", "options", "path", "query")

    def __init__(
        self,
        name: str,
        path: str,
        query: list[tuple[str, str]],
        options: CallOptions,
        items: ParseItems[T],
    ) -> None:
        self.name = name
        self.path = path
        self.query = query
        self.options = options
        self.items = items

    def parse(self, response: Response) -> PageData[T]:
        return parse_page(response, self.items)

    def operation(self, cursor: str | None) -> Operation[PageData[T]]:
        query = self.query
        return Operation(
            self.name,
            "GET",
            self.path,
            self.parse,
            # each page's request its own list: a middleware may edit ``request.params`` in
            # place (SPEC §3), and the following pages are described from ``self.query``
            query=[*query, ("cursor", cursor)] if cursor else [*query],
            options=self.options,
            next_page=self.operation,
        )


def page_operation(
    name: str,
    path: str,
    query: list[tuple[str, str]],
    options: CallOptions,
    items: ParseItems[T],
    cursor: str | None = None,
) -> Operation[PageData[T]]:
    """A GET of one cursor page; its ``next_page(cursor)`` describes the following one."""
    return CursorPages(name, path, query, options, items).operation(cursor)
