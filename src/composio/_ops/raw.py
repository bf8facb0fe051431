"""``client.request(...)``: any request through the full chain (operation ``"request"``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from composio._operation import Operation, call_options
from composio._ops._body import check_json
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.pipeline import Response

__all__ = ["METHODS", "request_operation"]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _same(response: Response) -> Response:
    return response


#: A space or a control character (C0 or DEL), which no request path may carry.
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def request_operation(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
    json: object,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[Response]:
    """``path`` is relative to ``base_url`` (not to the API prefix) and must start with ``/``."""
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValidationError(
            f"request(): method must be one of {sorted(METHODS)}, got {method!r:.20}."
        )
    if not isinstance(path, str) or not path.startswith("/") or "://" in path:
        raise ValidationError(
            "request(): path must be relative to base_url and start with '/', e.g. '/api/v3/tools'."
        )
    if _SPACE_OR_CONTROL.search(path):
        raise ValidationError("request(): path contains spaces or control characters.")
    _check_json(json)
    return Operation(
        "request",
        method.upper(),
        path,
        _same,
        query=query_pairs(params),
        body=json,
        options=call_options(extra_headers, timeout),
        raw=True,
    )


def _check_json(body: object) -> None:
    """The body must be JSON before it is sent (``_body.check_json``). No body (most calls)
    is not encoded to find that out."""
    if body is not None:
        check_json(body, "request(json=...)")


def query_pairs(
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
) -> list[tuple[str, str]] | None:
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    try:
        pairs = iter(items)
    except TypeError:  # an int, say: refused here, not as a bare TypeError from the loop
        raise ValidationError(
            "request(params=...) must be a mapping or (name, value) pairs, "
            f"not {type(params).__name__}."
        ) from None
    out: list[tuple[str, str]] = []
    for pair in pairs:
        try:
            key, value = pair
        except (TypeError, ValueError):
            raise ValidationError(
                "request(params=...) must be a mapping or (name, value) pairs."
            ) from None
        if not isinstance(key, str):
            raise ValidationError("request(params=...): names must be strings.")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is None:
                continue
            if isinstance(v, bool):
                out.append((key, "true" if v else "false"))
            elif isinstance(v, (str, int, float)):
                out.append((key, str(v)))
            else:
                raise ValidationError(
                    f"request(params=...): value of {key!r} must be str, int, float, bool, "
                    "None or a list of those."
                )
    return out
