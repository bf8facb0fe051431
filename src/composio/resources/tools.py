"""``client.tools``: list, retrieve, get (provider-wrapped) and execute."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import Any

from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.errors import ValidationError
from composio.models import Tool, ToolExecution
from composio.pagination import Page
from composio.resources._base import (
    Resource,
    params,
    parse,
    parse_page,
    public_operation,
    q_bool,
    q_limit,
    q_list,
    q_str,
    slug_path,
    tool_failure,
)

__all__ = ["Tools"]


#: The API's largest page (``limit``: "max allowed is 1000").
MAX_LIMIT = 1000


class Tools(Resource):
    __slots__ = ()

    @public_operation("tools.list")
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
        slugs = q_list(tool_slugs, "tools.list: tool_slugs")
        query = params(
            ("toolkit_slug", q_str(toolkit_slug, "tools.list: toolkit_slug")),
            # The spec types tool_slugs as one string: a comma-separated list.
            ("tool_slugs", ",".join(slugs) if slugs else None),
            ("search", q_str(search, "tools.list: search")),
            # An array in the spec (form, explode): tags=a&tags=b.
            ("tags", q_list(tags, "tools.list: tags")),
            # The spec's enum is the strings "true"/"false".
            ("important", q_bool(important, "tools.list: important")),
            ("limit", q_limit(limit)),
        )
        first_cursor = q_str(cursor, "tools.list: cursor")
        call = self._client._call_builder("tools.list", extra_headers, timeout)

        def fetch(next_cursor: str | None) -> Page[Tool]:
            q = [*query, ("cursor", next_cursor)] if next_cursor else query
            response = call("GET", "/api/v3/tools", q, None)
            return parse_page(response, Tool.from_dict, fetch)

        return fetch(first_cursor)

    @public_operation("tools.retrieve")
    def retrieve(
        self,
        slug: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Tool:
        # No ``version=``: the spec marks that query parameter deprecated for this operation.
        path = f"/api/v3/tools/{slug_path(slug, 'tools.retrieve: slug')}"
        call = self._client._call_builder("tools.retrieve", extra_headers, timeout)
        return parse(call("GET", path, None, None), Tool.from_dict)

    @public_operation("tools.get")
    def get(
        self,
        user_id: str,
        *,
        slug: str | None = None,
        tools: str | Sequence[str] | None = None,
        toolkits: str | Sequence[str] | None = None,
        search: str | None = None,
        limit: int | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> builtins.list[object]:
        """Tools for ``user_id``, wrapped by the client's provider (``client.provider``).

        * ``slug``: that one tool (``NotFoundError`` if it does not exist);
        * ``tools``: exactly those tools, however many pages they take;
        * ``toolkits`` / ``search`` / ``limit``: the first page matching them;
        * nothing: the first page of all tools (the seed's ``session.tools.get('a')``).

        ``tools`` together with ``toolkits``/``search`` makes two requests, like the vendor's
        SDK, because the API lets ``tool_slugs`` override every other filter.
        """
        if not isinstance(user_id, str) or not user_id:
            raise ValidationError("tools.get(user_id): user_id must be a non-empty string.")
        provider = self._client.provider
        if slug is not None:
            if tools is not None or toolkits is not None or search is not None or limit:
                raise ValidationError(
                    "tools.get(slug=...) fetches one tool; it cannot be combined with "
                    "tools=, toolkits=, search= or limit=."
                )
            tool = self.retrieve(slug, extra_headers=extra_headers, timeout=timeout)
            return provider.wrap_tools([tool])
        slugs = q_list(tools, "tools")
        kits = q_list(toolkits, "toolkits")
        for name, given in (("tools", slugs), ("toolkits", kits)):
            if given is not None and not given:
                raise ValidationError(f"tools.get: {name}= is empty; pass None for no filter.")
        found: builtins.list[Tool] = []
        if slugs:
            first = self.list(
                tool_slugs=slugs,
                limit=min(len(slugs), MAX_LIMIT),
                extra_headers=extra_headers,
                timeout=timeout,
            )
            # Every page (the caller named each tool it wants), in the caller's order.
            rank = {s.upper(): i for i, s in enumerate(slugs)}
            found.extend(sorted(first, key=lambda t: rank.get(t.slug.upper(), len(rank))))
        if kits or search is not None or not slugs:
            page = self.list(
                ",".join(kits) if kits else None,
                search=search,
                limit=limit,
                extra_headers=extra_headers,
                timeout=timeout,
            )
            seen = {t.slug for t in found}
            found.extend(t for t in page.items if t.slug not in seen)
        return provider.wrap_tools(found)

    @public_operation("tools.execute")
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
        """Run a tool; ``successful: false`` raises :class:`ToolExecutionError` (with
        ``.result``) unless ``raise_on_error=False``.

        A POST: not retried after it may have reached the server, unless the call carries an
        ``Idempotency-Key`` header (so a tool that sends an email sends one).
        """
        path = f"/api/v3/tools/execute/{slug_path(slug, 'tools.execute: slug')}"
        body: dict[str, Any] = {"arguments": _arguments(slug, arguments)}
        for name, value in (
            ("user_id", user_id),
            ("connected_account_id", connected_account_id),
            ("version", version),
        ):
            if q_str(value, f"tools.execute: {name}") is not None:
                body[name] = value
        if not isinstance(raise_on_error, bool):
            raise ValidationError("tools.execute: raise_on_error must be True or False.")
        call = self._client._call_builder("tools.execute", extra_headers, timeout)
        response = call("POST", path, None, body)
        result = parse(response, ToolExecution.from_dict)
        if raise_on_error and not result.successful:
            raise tool_failure(response, result, slug)
        return result


def _arguments(slug: str, arguments: object) -> dict[str, Any]:
    """Check ``arguments`` before anything is sent: a bad one must not become half a call."""
    if arguments is None:
        return {}
    if not isinstance(arguments, Mapping):
        raise ValidationError(
            f"tools.execute({slug!r}): arguments must be a mapping (dict) of argument "
            f"name to value, not {type(arguments).__name__}."
        )
    out = dict(arguments)
    bad = next((k for k in out if not isinstance(k, str)), None)
    if bad is not None:
        raise ValidationError(
            f"tools.execute({slug!r}): argument names must be strings, got {type(bad).__name__}."
        )
    try:
        # allow_nan=False: NaN/Infinity are not JSON and the API would reject the body.
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"tools.execute({slug!r}): arguments must be JSON-serialisable ({exc})."
        ) from None
    return out
