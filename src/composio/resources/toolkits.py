"""``client.toolkits``: list and retrieve."""

from __future__ import annotations

from typing import Any

from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.models import Toolkit
from composio.pagination import Page
from composio.resources._base import (
    Resource,
    params,
    parse,
    parse_page,
    public_operation,
    q_limit,
    q_str,
    slug_path,
)

__all__ = ["Toolkits"]


class Toolkits(Resource):
    __slots__ = ()

    @public_operation("toolkits.list")
    def list(
        self,
        *,
        category: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[Toolkit]:
        query = params(
            ("category", q_str(category, "toolkits.list: category")),
            ("limit", q_limit(limit)),
        )
        first_cursor = q_str(cursor, "toolkits.list: cursor")
        call = self._client._call_builder("toolkits.list", extra_headers, timeout)

        def fetch(next_cursor: str | None) -> Page[Toolkit]:
            q = [*query, ("cursor", next_cursor)] if next_cursor else query
            return parse_page(call("GET", "/api/v3/toolkits", q, None), Toolkit.from_dict, fetch)

        return fetch(first_cursor)

    @public_operation("toolkits.retrieve")
    def retrieve(
        self,
        slug: str,
        *,
        version: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Toolkit:
        path = f"/api/v3/toolkits/{slug_path(slug, 'toolkits.retrieve: slug')}"
        query = params(("version", q_str(version, "toolkits.retrieve: version")))
        call = self._client._call_builder("toolkits.retrieve", extra_headers, timeout)
        return parse(call("GET", path, query, None), Toolkit.from_dict)
