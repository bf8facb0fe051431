"""``toolkits.*`` operations: list and retrieve."""

from __future__ import annotations

from typing import Any

from composio._operation import Operation, PageData, call_options
from composio._ops._encode import page_operation, params, parse, q_limit, q_str, slug_path
from composio._sentinel import HeadersArg
from composio.models import Toolkit

__all__ = ["list_toolkits", "retrieve_toolkit"]


def list_toolkits(
    *,
    category: str | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[Toolkit]]:
    query = params(
        ("category", q_str(category, "toolkits.list: category")),
        ("limit", q_limit(limit)),
    )
    first_cursor = q_str(cursor, "toolkits.list: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(
        "toolkits.list", "/toolkits", query, options, Toolkit.from_dict, first_cursor
    )


def retrieve_toolkit(
    slug: str, *, version: str | None, extra_headers: HeadersArg, timeout: Any
) -> Operation[Toolkit]:
    path = f"/toolkits/{slug_path(slug, 'toolkits.retrieve: slug')}"
    query = params(("version", q_str(version, "toolkits.retrieve: version")))
    options = call_options(extra_headers, timeout)
    return Operation(
        "toolkits.retrieve",
        "GET",
        path,
        lambda r: parse(r, Toolkit.from_dict),
        query=query,
        options=options,
    )
