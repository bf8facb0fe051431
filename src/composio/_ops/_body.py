"""Encoding helpers the triggers / tool-router / MCP / files builders share: JSON bodies
checked before anything is sent, answers that carry nothing, pages numbered by ``page_no``.

No I/O here (same as ``_encode``): these run the same for the sync and the async client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from composio._operation import CallOptions, Operation, PageData, ParseItems
from composio._ops._encode import json_body, own_json, parse, q_list
from composio._wire import JSON_TOO_DEEP
from composio.errors import ValidationError

if TYPE_CHECKING:
    from composio.pipeline import Response

T = TypeVar("T")

__all__ = [
    "ignore_body",
    "json_object",
    "numbered_page_operation",
    "required_list",
    "text",
]


def text(value: object, what: str) -> str:
    """A required non-empty string argument (an id, a name), named in the error."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string, got {value!r:.40}.")
    return value


def required_list(value: object, what: str) -> list[str]:
    """A list argument the spec requires in the body: ``[]`` is allowed, ``None`` is not."""
    if isinstance(value, (list, tuple)) and not value:
        return []
    items = q_list(value, what)
    if items is None:
        raise ValidationError(f"{what} is required: a list of strings (it may be empty).")
    return items


def json_object(value: object, what: str) -> dict[str, Any]:
    """A mapping sent as a JSON object: string keys, serialisable, no NaN/Infinity."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a mapping (dict), not {type(value).__name__}.")
    out = dict(value)
    if not all(isinstance(k, str) for k in out):
        raise ValidationError(f"{what}: keys must be strings.")
    check_json(out, what)
    return out


#: ``json.dumps(value, allow_nan=False)`` without building an encoder per call (``dumps``
#: reuses its cached one only for default arguments); an encoder keeps no per-call state.
_STRICT = json.JSONEncoder(allow_nan=False)


def json_problem(value: object) -> str | None:
    """Why ``value`` cannot be sent as JSON, or None: the one check of every body the SDK
    encodes from a caller's value. Left to the transport, ``json.dumps`` writes
    ``NaN``/``Infinity`` (not JSON), raises a bare ``TypeError`` for other objects and a
    ``RecursionError`` for nesting deeper than it can walk."""
    try:
        _STRICT.encode(value)
    except RecursionError:  # the transport refuses what is nested just within this reach
        return JSON_TOO_DEEP
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def check_json(value: object, what: str) -> None:
    """:func:`json_problem` as a ``ValidationError`` naming ``what``."""
    why = json_problem(value)
    if why is not None:
        raise ValidationError(f"{what} must be JSON-serialisable ({why}).")


def ignore_body(response: Response) -> None:
    """``delete``/``enable``/``disable`` return ``None``; a 2xx is the whole answer. The body
    is still required to be JSON when there is one, so a proxy's HTML page is not success."""
    if response.content.strip():
        json_body(response)


def numbered_page_operation(
    name: str,
    path: str,
    query: list[tuple[str, str]],
    options: CallOptions,
    items: ParseItems[T],
    page_no: int | None = None,
    key: str = "items",
) -> Operation[PageData[T]]:
    """A GET of one ``page_no`` page (MCP lists); its ``next_page("3")`` asks for page 3."""

    def next_page(cursor: str) -> Operation[PageData[T]]:
        return numbered_page_operation(name, path, query, options, items, int(cursor), key)

    return Operation(
        name,
        "GET",
        path,
        lambda response: parse(
            response,
            lambda data: PageData.from_numbered(data, items, key, response.request_id),
            own_json,
        ),
        # its own list, as a cursor page's (``_encode.CursorPages``): a middleware's edit
        # of one page's params must not reach the next
        query=[*query, ("page_no", str(page_no))] if page_no is not None else [*query],
        options=options,
        next_page=next_page,
    )


def page_number(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{what} must be a positive int (pages count from 1), got {value!r:.20}."
        )
    return value
