"""``tools.*`` operations: list, retrieve, get (provider-wrapped, a flow) and execute."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from composio._cursors import refuse_repeated_cursor
from composio._deferred_items import DeferredItems
from composio._operation import (
    NO_OPTIONS,
    Flow,
    Operation,
    PageData,
    ParseItems,
    call_options,
)
from composio._ops._body import check_json
from composio._ops._encode import (
    CursorPages,
    params,
    parse,
    q_bool,
    q_limit,
    q_list,
    q_str,
    slug_path,
    tool_failure,
)
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio._toolkit_versions import LATEST, NO_PINS, Pins, ToolkitCache, query_value
from composio.errors import ValidationError
from composio.models import (
    ProxyResponse,
    ShapeError,
    Tool,
    ToolExecution,
    ToolInput,
    defer_items,
)

T = TypeVar("T")

if TYPE_CHECKING:
    from composio._operation import CallOptions
    from composio._tool_env import ToolEnv
    from composio.pipeline import Response
    from composio.providers import Provider

__all__ = [
    "MAX_LIMIT",
    "After",
    "every_page",
    "execute_tool",
    "get_tools",
    "judge",
    "list_tools",
    "proxy_request",
    "retrieve_tool",
    "tool_enum",
    "tool_input",
]

#: What changes an execution's result before it is judged (the after-execute hooks and
#: modifiers, SPEC §15): the result and the answer it was read from (``None`` for a result
#: made here). ``auto_files`` keeps the answer to judge a result once its files are saved.
After: TypeAlias = "Callable[[ToolExecution, Response | None], ToolExecution]"

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
    pins: Pins | None = None,
    learn: ToolkitCache | None = None,
    env: ToolEnv | None = None,
) -> Operation[PageData[Tool]]:
    """``pins`` (the client's toolkit versions) are sent as ``toolkit_versions``; ``learn``
    records each listed tool's toolkit, so ``execute`` need not look it up. ``env`` (the
    facade's call) gives both, and keeps what ``tools.list()`` without arguments is made of:
    the same for every such call of its client (issue 21)."""
    unfiltered = (
        toolkit_slug is None
        and tool_slugs is None
        and search is None
        and tags is None
        and important is None
        and limit is None
    )
    if env is not None:
        pins, learn = env.pins, env.toolkits
        plain = env.plain_listing
        if (
            plain is not None
            and unfiltered
            and cursor is None
            and not extra_headers
            and timeout is NOT_GIVEN
        ):
            return plain.operation(None)  # type: ignore[no-any-return]
    if unfiltered:
        query: list[tuple[str, str]] = []  # no filter (the common call): nothing to check
    else:
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
    if pins is not None:
        query += query_value(pins)
    first_cursor = None if cursor is None else q_str(cursor, "tools.list: cursor")
    options = call_options(extra_headers, timeout)
    items: ParseItems[Tool] = (
        Tool._from_items if learn is None else functools.partial(_parse_and_learn, learn)
    )
    pages = CursorPages(name, "/tools", query, options, items)
    if env is not None and unfiltered and first_cursor is None and options is NO_OPTIONS:
        env.plain_listing = pages
    return pages.operation(first_cursor)


def _parse_and_learn(
    learn: ToolkitCache, items: list[Any], request_id: str | None
) -> tuple[Tool, ...] | DeferredItems[Tool]:
    """A page's tools (checked now, built on first read, stamped with ``request_id``), and
    the toolkit of each tool the cache does not know yet learned (as ``_tool_factory``). One
    pass over the page finds those (issue 21): a page of known tools -- the common case --
    costs the cache nothing more."""
    fresh: list[Any] = []
    tools = defer_items(Tool, items, request_id, learn.known(), fresh)
    if fresh:
        learn.learn_page(fresh)
    return tools


def _tool_factory(learn: ToolkitCache | None) -> Callable[[Any], Tool]:
    if learn is None:
        return Tool.from_dict

    def parse_and_learn(data: Any) -> Tool:
        tool = Tool.from_dict(data)  # data is a Mapping now, or it raised
        # Read from the JSON object, not ``tool.toolkit``: that would fill every lazy field
        # of every tool of a page at once (models.py). The same rule: a toolkit object with
        # a string slug is what makes ``tool.toolkit`` a ToolkitRef.
        toolkit = data.get("toolkit")
        slug = toolkit.get("slug") if isinstance(toolkit, Mapping) else None
        if isinstance(slug, str):
            learn.learn(tool.slug, slug)
        return tool

    return parse_and_learn


def retrieve_tool(
    slug: str,
    *,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "tools.retrieve",
    pins: Pins | None = None,
    learn: ToolkitCache | None = None,
) -> Operation[Tool]:
    # No ``version=``: the spec marks that query parameter deprecated for this operation.
    path = f"/tools/{slug_path(slug, 'tools.retrieve: slug')}"
    options = call_options(extra_headers, timeout)
    factory = _tool_factory(learn)
    query = query_value(pins) if pins is not None else None
    return Operation(name, "GET", path, lambda r: parse(r, factory), query=query, options=options)


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
    pins: Pins = NO_PINS,
    learn: ToolkitCache | None = None,
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
        one = retrieve_tool(
            slug,
            extra_headers=extra_headers,
            timeout=timeout,
            name="tools.get",
            pins=pins,
            learn=learn,
        )
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
        "pins": pins,
        "learn": learn,
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
        items = yield from every_page(named)
        rank = {s.upper(): i for i, s in enumerate(slugs)}
        found.extend(sorted(items, key=lambda t: rank.get(t.slug.upper(), len(rank))))
    if filtered is not None:
        first: PageData[Tool] = yield filtered
        seen = {t.slug for t in found}
        found.extend(t for t in first.items if t.slug not in seen)
    return provider.wrap_tools(found)


def every_page(first: Operation[PageData[T]]) -> Flow[list[T]]:
    """The items of ``first``'s page and of every page after it."""
    page: PageData[T] = yield first
    items = list(page.items)
    cursors: set[str] = set()
    while page.next_cursor and page.items and first.next_page is not None:
        refuse_repeated_cursor(page.next_cursor, cursors)  # would loop forever
        page = yield first.next_page(page.next_cursor)
        items.extend(page.items)
    return items


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
    pins: Pins = NO_PINS,
    toolkit_of: ToolkitCache | None = None,
    name: str = "tools.execute",
    after: After | None = None,
) -> Flow[ToolExecution]:
    """A POST: not retried after it may have reached the server, unless the call carries an
    ``Idempotency-Key`` header (so a tool that sends an email sends one).

    The version sent (always explicit, SPEC §14): ``version=`` if given (it wins, #2471);
    else ``latest`` when nothing is pinned; else the pin of the tool's toolkit (``latest``
    for an unpinned toolkit), the toolkit learnt from the tool's schema: cached per root
    client, or one ``GET /tools/{slug}`` (at latest, where every tool exists) when unknown.

    ``name``: the public operation the requests report as; ``after``: what changes the result
    before ``raise_on_error`` judges it (the after-execute hooks and modifiers, SPEC §15).
    Called only by the one execution path (``composio._ops.execution.run_tool``), which has
    checked ``arguments`` and marks the POST as a tool execution (``context.tool``).
    """
    path = f"/tools/execute/{slug_path(slug, 'tools.execute: slug')}"
    body: dict[str, Any] = {"arguments": dict(arguments or {})}
    for field, value in (("user_id", user_id), ("connected_account_id", connected_account_id)):
        if q_str(value, f"tools.execute: {field}") is not None:
            body[field] = value
    explicit = q_str(version, "tools.execute: version")
    if not isinstance(raise_on_error, bool):
        raise ValidationError("tools.execute: raise_on_error must be True or False.")
    options: CallOptions = call_options(extra_headers, timeout)

    def read(response: Response) -> ToolExecution:
        result = parse(response, ToolExecution.from_dict)
        return judge(response, result, slug, raise_on_error, after)

    def send(chosen: str) -> Operation[ToolExecution]:
        chosen_body = {**body, "version": chosen}
        return Operation(name, "POST", path, read, body=chosen_body, options=options, tool=slug)

    if explicit is not None or not pins:
        return _execute_now(send(explicit or LATEST))
    known = toolkit_of.get(slug) if toolkit_of is not None else None
    lookup = None
    if known is None:
        lookup = retrieve_tool(slug, extra_headers=extra_headers, timeout=timeout, name=name)
    return _execute_pinned(slug, known, lookup, pins, toolkit_of, send)


def judge(
    response: Response,
    result: ToolExecution,
    slug: str,
    raise_on_error: bool,
    after: After | None,
) -> ToolExecution:
    """An execution's result after ``after`` (handed the answer too); a failure raises when
    ``raise_on_error`` (scrubbed of the request's secrets, as every error is)."""
    if after is not None:
        result = after(result, response)
    if raise_on_error and not result.successful:
        raise tool_failure(response, result, slug)
    return result


def _execute_now(op: Operation[ToolExecution]) -> Flow[ToolExecution]:
    result: ToolExecution = yield op
    return result


def _execute_pinned(
    slug: str,
    known: str | None,
    lookup: Operation[Tool] | None,
    pins: Pins,
    toolkit_of: ToolkitCache | None,
    send: Callable[[str], Operation[ToolExecution]],
) -> Flow[ToolExecution]:
    toolkit = known
    if lookup is not None:
        tool: Tool = yield lookup
        toolkit = tool.toolkit.slug.lower() if tool.toolkit is not None else None
        if toolkit is not None and toolkit_of is not None:
            toolkit_of.learn(slug, toolkit)
    result: ToolExecution = yield send(pins.get(toolkit, LATEST) if toolkit else LATEST)
    return result


# -- proxy, input, enum (SPEC §14) ----------------------------------------------------------

PROXY_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")


def proxy_request(
    endpoint: str,
    method: str,
    *,
    connected_account_id: str,
    body: object,
    parameters: Sequence[Mapping[str, str]] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ProxyResponse]:
    """``POST /tools/execute/proxy``: call the toolkit's own API with the account's
    credentials. A POST: never retried once it may have reached the server (the proxied call
    may not be idempotent), unless the call carries an ``Idempotency-Key`` header."""
    where = "tools.proxy"
    target = q_str(endpoint, f"{where}: endpoint")
    if target is None:
        raise ValidationError(f"{where}: endpoint must be a path such as '/user' or a full URL.")
    verb = method.upper() if isinstance(method, str) else method
    if verb not in PROXY_METHODS:
        raise ValidationError(f"{where}: method must be one of {', '.join(PROXY_METHODS)}.")
    account = q_str(connected_account_id, f"{where}: connected_account_id")
    if account is None:
        raise ValidationError(f"{where}: connected_account_id must name the account to use.")
    payload: dict[str, Any] = {
        "connected_account_id": account,
        "endpoint": target,
        "method": verb,
    }
    if body is not None:
        check_json(body, f"{where}: body")
        payload["body"] = body
    if parameters is not None:
        payload["parameters"] = _proxy_parameters(parameters)
    return Operation(
        "tools.proxy",
        "POST",
        "/tools/execute/proxy",
        lambda r: parse(r, ProxyResponse.from_dict),
        body=payload,
        options=call_options(extra_headers, timeout),
    )


def _proxy_parameters(value: object) -> list[dict[str, str]]:
    where = "tools.proxy: parameters"
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValidationError(
            f"{where} must be a list of {{'name': ..., 'value': ..., 'type': 'header'|'query'}}."
        )
    out = []
    for item in value:
        if not isinstance(item, Mapping):
            raise ValidationError(f"{where}: each parameter must be a mapping.")
        name, val, kind = item.get("name"), item.get("value"), item.get("type")
        if not isinstance(name, str) or not name or not isinstance(val, str):
            raise ValidationError(f"{where}: each needs a string 'name' and a string 'value'.")
        if kind not in ("header", "query"):
            raise ValidationError(f"{where}: 'type' of {name!r} must be 'header' or 'query'.")
        out.append({"name": name, "value": val, "type": kind})
    return out


def tool_input(
    slug: str,
    text: str,
    *,
    custom_description: str | None,
    system_prompt: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolInput]:
    """``POST /tools/execute/{slug}/input``: arguments for the tool generated from ``text``."""
    path = f"/tools/execute/{slug_path(slug, 'tools.input: slug')}/input"
    sentence = q_str(text, "tools.input: text")
    if sentence is None:
        raise ValidationError("tools.input: text must describe what the tool should do.")
    body: dict[str, Any] = {"text": sentence}
    for name, value in (
        ("custom_description", custom_description),
        ("system_prompt", system_prompt),
    ):
        if q_str(value, f"tools.input: {name}") is not None:
            body[name] = value
    return Operation(
        "tools.input",
        "POST",
        path,
        lambda r: parse(r, ToolInput.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def _strings(data: Any) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise ShapeError("expected a list of strings")
    return list(data)


def tool_enum(*, extra_headers: HeadersArg, timeout: Any) -> Operation[list[str]]:
    """``GET /tools/enum``: every tool slug (the latest version of each toolkit)."""
    return Operation(
        "tools.enum",
        "GET",
        "/tools/enum",
        lambda r: parse(r, _strings),
        options=call_options(extra_headers, timeout),
    )
