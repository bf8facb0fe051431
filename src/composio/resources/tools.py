"""``client.tools``: list, retrieve, get (provider-wrapped) and execute."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from composio.errors import ToolExecutionError, ValidationError
from composio.models import Tool, ToolExecution
from composio.pagination import Page
from composio.resources._base import (
    NOT_GIVEN,
    HeadersArg,
    Resource,
    params,
    parse,
    parse_page,
    q_bool,
    q_limit,
    q_list,
    slug_path,
)

__all__ = ["Tools"]


def _opt_str(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} must be a non-empty string.")
    return value


class Tools(Resource):
    __slots__ = ()

    def list(
        self,
        toolkit_slug: str | None = None,
        *,
        tool_slugs: str | Sequence[str] | None = None,
        search: str | None = None,
        tags: str | Sequence[str] | None = None,
        important: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[Tool]:
        """One page of tools; iterate the page to walk all of them."""
        slugs = q_list(tool_slugs, "tool_slugs")
        query = params(
            ("toolkit_slug", _opt_str(toolkit_slug, "toolkit_slug")),
            # The spec types tool_slugs as one string: a comma-separated list.
            ("tool_slugs", ",".join(slugs) if slugs else None),
            ("search", _opt_str(search, "search")),
            ("tags", q_list(tags, "tags")),
            ("important", q_bool(important, "important")),
            ("limit", q_limit(limit)),
        )
        call = self._client._call_builder("tools.list", extra_headers, timeout)

        def fetch(next_cursor: str | None) -> Page[Tool]:
            q = [*query, ("cursor", next_cursor)] if next_cursor else query
            response = call("GET", "/api/v3/tools", q, None)
            return parse_page(response, Tool.from_dict, fetch)

        return fetch(_opt_str(cursor, "cursor"))

    def retrieve(
        self,
        slug: str,
        *,
        version: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Tool:
        path = f"/api/v3/tools/{slug_path(slug, 'slug')}"
        call = self._client._call_builder("tools.retrieve", extra_headers, timeout)
        query = params(("version", _opt_str(version, "version")))
        return parse(call("GET", path, query, None), Tool.from_dict)

    def get(
        self,
        user_id: str,
        *,
        slug: str | None = None,
        tools: Sequence[str] | None = None,
        toolkits: str | Sequence[str] | None = None,
        search: str | None = None,
        limit: int | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> builtins.list[object]:
        """Tools for ``user_id``, wrapped by the client's provider.

        With ``slug`` it fetches that one tool; otherwise the first page of tools matching the
        filters (all tools when none is given).
        """
        if not isinstance(user_id, str) or not user_id:
            raise ValidationError("tools.get(user_id): user_id must be a non-empty string.")
        provider = self._client.provider
        if slug is not None:
            tool = self.retrieve(slug, extra_headers=extra_headers, timeout=timeout)
            return provider.wrap_tools([tool])
        kits = q_list(toolkits, "toolkits")
        page = self.list(
            ",".join(kits) if kits else None,
            tool_slugs=tools,
            search=search,
            limit=limit,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return provider.wrap_tools(page.items)

    def execute(
        self,
        slug: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        connected_account_id: str | None = None,
        version: str | None = None,
        raise_on_error: bool = True,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolExecution:
        """Run a tool. A POST: not retried after it may have reached the server, unless the
        call carries an ``Idempotency-Key`` header (so a tool that sends an email sends one)."""
        path = f"/api/v3/tools/execute/{slug_path(slug, 'slug')}"
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ValidationError(
                f"tools.execute({slug!r}): arguments must be a mapping (dict) of argument "
                f"name to value, not {type(arguments).__name__}."
            )
        body: dict[str, Any] = {"arguments": dict(arguments)}
        for name, value in (
            ("user_id", user_id),
            ("connected_account_id", connected_account_id),
            ("version", version),
        ):
            if _opt_str(value, name) is not None:
                body[name] = value
        call = self._client._call_builder("tools.execute", extra_headers, timeout)
        result = parse(call("POST", path, None, body), ToolExecution.from_dict)
        if raise_on_error and not result.successful:
            raise ToolExecutionError(
                f"Tool {slug!r} reported failure: {result.error or 'no error message'}"
                + (f" (log_id={result.log_id})" if result.log_id else ""),
                result=result,
                slug=slug,
            )
        return result
