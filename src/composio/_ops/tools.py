"""``tools.*`` operations: list, retrieve, get (provider-wrapped, a flow) and execute."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._operation import Flow, Operation, PageData, call_options
from composio._ops._encode import (
    page_operation,
    params,
    parse,
    q_bool,
    q_limit,
    q_list,
    q_str,
    slug_path,
    tool_failure,
)
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import Tool, ToolExecution

if TYPE_CHECKING:
    from composio._operation import CallOptions
    from composio.pipeline import Response
    from composio.providers import Provider

__all__ = ["MAX_LIMIT", "execute_tool", "get_tools", "list_tools", "retrieve_tool"]

#: The API's largest page (``limit``: "max allowed is 1000").
MAX_LIMIT = 1000


def list_tools(
    toolkit_slug: str | None,
    *,
    tool_slugs: str | Sequence[str] | None,
    search: str | None,
    tags: str | Sequence[str] | None,
    important: bool | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "tools.list",
) -> Operation[PageData[Tool]]:
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
    options = call_options(extra_headers, timeout)
    return page_operation(name, "/tools", query, options, Tool.from_dict, first_cursor)


def retrieve_tool(
    slug: str, *, extra_headers: HeadersArg, timeout: Any, name: str = "tools.retrieve"
) -> Operation[Tool]:
    # No ``version=``: the spec marks that query parameter deprecated for this operation.
    path = f"/tools/{slug_path(slug, 'tools.retrieve: slug')}"
    options = call_options(extra_headers, timeout)
    return Operation(name, "GET", path, lambda r: parse(r, Tool.from_dict), options=options)


def get_tools(
    provider: Provider,
    user_id: str,
    *,
    slug: str | None,
    tools: str | Sequence[str] | None,
    toolkits: str | Sequence[str] | None,
    search: str | None,
    limit: int | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[list[object]]:
    """Tools for ``user_id``, wrapped by ``provider`` (see ``Tools.get``).

    Every argument is checked here, before the flow's first request; the requests are named
    ``tools.get`` (telemetry and spans report the operation the caller made, SPEC §12.11).
    """
    if not isinstance(user_id, str) or not user_id:
        raise ValidationError("tools.get(user_id): user_id must be a non-empty string.")
    if slug is not None:
        if tools is not None or toolkits is not None or search is not None or limit:
            raise ValidationError(
                "tools.get(slug=...) fetches one tool; it cannot be combined with "
                "tools=, toolkits=, search= or limit=."
            )
        one = retrieve_tool(slug, extra_headers=extra_headers, timeout=timeout, name="tools.get")
        return _get_one(provider, one)
    slugs = q_list(tools, "tools")
    kits = q_list(toolkits, "toolkits")
    for what, given in (("tools", slugs), ("toolkits", kits)):
        if given is not None and not given:
            raise ValidationError(f"tools.get: {what}= is empty; pass None for no filter.")
    common: dict[str, Any] = {
        "tags": None,
        "important": None,
        "cursor": None,
        "extra_headers": extra_headers,
        "timeout": timeout,
        "name": "tools.get",
    }
    named = None
    if slugs:
        named = list_tools(
            None,
            tool_slugs=slugs,
            search=None,
            limit=min(len(slugs), MAX_LIMIT),
            **common,
        )
    filtered = None
    if kits or search is not None or not slugs:
        filtered = list_tools(
            ",".join(kits) if kits else None, tool_slugs=None, search=search, limit=limit, **common
        )
    return _get_many(provider, slugs or [], named, filtered)


def _get_one(provider: Provider, op: Operation[Tool]) -> Flow[list[object]]:
    tool = yield op
    return provider.wrap_tools([tool])


def _get_many(
    provider: Provider,
    slugs: list[str],
    named: Operation[PageData[Tool]] | None,
    filtered: Operation[PageData[Tool]] | None,
) -> Flow[list[object]]:
    """``tool_slugs`` lets the API ignore every other filter, so tools named by slug and the
    filtered first page are two requests (as in the vendor's SDK)."""
    found: list[Tool] = []
    if named is not None:
        # Every page (the caller named each tool it wants), in the caller's order.
        page: PageData[Tool] = yield named
        items = list(page.items)
        while page.next_cursor and page.items and named.next_page is not None:
            page = yield named.next_page(page.next_cursor)
            items.extend(page.items)
        rank = {s.upper(): i for i, s in enumerate(slugs)}
        found.extend(sorted(items, key=lambda t: rank.get(t.slug.upper(), len(rank))))
    if filtered is not None:
        first: PageData[Tool] = yield filtered
        seen = {t.slug for t in found}
        found.extend(t for t in first.items if t.slug not in seen)
    return provider.wrap_tools(found)


def execute_tool(
    slug: str,
    arguments: Mapping[str, Any] | None,
    *,
    user_id: str | None,
    connected_account_id: str | None,
    version: str | None,
    raise_on_error: bool,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolExecution]:
    """A POST: not retried after it may have reached the server, unless the call carries an
    ``Idempotency-Key`` header (so a tool that sends an email sends one)."""
    path = f"/tools/execute/{slug_path(slug, 'tools.execute: slug')}"
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
    options: CallOptions = call_options(extra_headers, timeout)

    def read(response: Response) -> ToolExecution:
        result = parse(response, ToolExecution.from_dict)
        if raise_on_error and not result.successful:
            raise tool_failure(response, result, slug)
        return result

    return Operation("tools.execute", "POST", path, read, body=body, options=options)


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
