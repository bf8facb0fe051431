"""``client.toolkits``: list and retrieve."""

from __future__ import annotations

from typing import Any

from composio.errors import ValidationError
from composio.models import Toolkit
from composio.pagination import Page
from composio.resources._base import (
    NOT_GIVEN,
    HeadersArg,
    Resource,
    params,
    parse,
    parse_page,
    q_limit,
    slug_path,
)

__all__ = ["Toolkits"]


class Toolkits(Resource):
    __slots__ = ()

    def list(
        self,
        *,
        category: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[Toolkit]:
        for name, value in (("category", category), ("cursor", cursor)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValidationError(f"toolkits.list: {name} must be a non-empty string.")
        query = params(("category", category), ("limit", q_limit(limit)))
        call = self._client._call_builder("toolkits.list", extra_headers, timeout)

        def fetch(next_cursor: str | None) -> Page[Toolkit]:
            q = [*query, ("cursor", next_cursor)] if next_cursor else query
            return parse_page(call("GET", "/api/v3/toolkits", q, None), Toolkit.from_dict, fetch)

        return fetch(cursor)

    def retrieve(
        self,
        slug: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Toolkit:
        path = f"/api/v3/toolkits/{slug_path(slug, 'slug')}"
        call = self._client._call_builder("toolkits.retrieve", extra_headers, timeout)
        return parse(call("GET", path, None, None), Toolkit.from_dict)
