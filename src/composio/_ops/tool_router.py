"""``tool_router.*`` operations: sessions, executing (meta) tools in them, links, toolkits."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from composio._operation import Flow, Operation, PageData, call_options
from composio._ops._body import json_object, text
from composio._ops._encode import (
    page_operation,
    params,
    parse,
    q_bool,
    q_limit,
    q_list,
    q_str,
    slug_path,
)
from composio._ops.connected_accounts import _request_from_link
from composio._ops.execution import RouterTarget, as_router_execution, run_tool
from composio._ops.tools import every_page
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import (
    ConnectionRequest,
    Tool,
    ToolRouterExecution,
    ToolRouterLink,
    ToolRouterSearch,
    ToolRouterSession,
    ToolRouterToolkit,
)

if TYPE_CHECKING:
    from composio._tool_env import ToolEnv

__all__ = [
    "authorize",
    "create_session",
    "execute",
    "link",
    "retrieve_session",
    "search",
    "session_path",
    "session_toolkits",
    "session_tools",
]

T = TypeVar("T")

_SESSION = "/tool_router/session"


def _switch(value: object, what: str) -> dict[str, Any]:
    """``{"enable": [...]}`` or ``{"disable": [...]}`` (one of the two, a list of strings),
    checked and sent as given."""
    given = json_object(value, what)
    if len(given) != 1 or not set(given) <= {"enable", "disable"}:
        raise ValidationError(
            f'{what} must be {{"enable": [...]}} or {{"disable": [...]}} (one key), '
            f"got keys {sorted(given)}."
        )
    ((key, items),) = given.items()
    # The spec types the value as an array: a bare string would be sent as a string (400).
    if isinstance(items, str) or q_list(items, f"{what}[{key!r}]") is None:
        raise ValidationError(f"{what}[{key!r}] must be a list of strings, e.g. ['github'].")
    return given


def _toolkits(value: object) -> dict[str, Any] | None:
    where = "tool_router.create_session: toolkits"
    if value is None:
        return None
    if isinstance(value, Mapping):
        return _switch(value, where)
    items = q_list(value, where)
    assert items is not None
    return {"enable": items}


#: The spec's enum for ``tags`` (MCP tool annotation hints).
TAG_HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


def _hints(value: object, what: str, *, one: bool) -> list[str]:
    """``one``: a bare string stands for a list of one (the top-level form, as ``toolkits``);
    inside the object the spec wants an array, so a string is refused."""
    items = q_list(value, what) if one or not isinstance(value, str) else None
    if items is None or not all(i in TAG_HINTS for i in items):
        raise ValidationError(f"{what} must be a list of {', '.join(TAG_HINTS)}.")
    return items


def _tags(value: object) -> list[str] | dict[str, Any] | None:
    """A list of hints, or ``{"enable": [...], "disable": [...]}`` (either or both)."""
    where = "tool_router.create_session: tags"
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return _hints(value, where, one=True)
    given = json_object(value, where)
    if not set(given) <= {"enable", "disable"}:
        raise ValidationError(
            f"{where} takes the keys 'enable' and 'disable', got {sorted(given)}."
        )
    return {key: _hints(items, f"{where}[{key!r}]", one=False) for key, items in given.items()}


def create_session(
    user_id: str,
    *,
    toolkits: Sequence[str] | Mapping[str, Sequence[str]] | None,
    tools: Mapping[str, Any] | None,
    tags: Sequence[str] | Mapping[str, Sequence[str]] | None,
    auth_configs: Mapping[str, str] | None,
    connected_accounts: Mapping[str, str] | None,
    manage_connections: bool | Mapping[str, Any] | None,
    workbench: Mapping[str, Any] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolRouterSession]:
    """A list of toolkits is sent as ``{"enable": [...]}``; a mapping
    (``{"disable": [...]}``) as given. ``manage_connections=True`` is ``{"enable": true}``."""
    where = "tool_router.create_session"
    body: dict[str, Any] = {"user_id": text(user_id, f"{where}: user_id")}
    if (kits := _toolkits(toolkits)) is not None:
        body["toolkits"] = kits
    if tools is not None:
        body["tools"] = json_object(tools, f"{where}: tools")
    if (tag_filter := _tags(tags)) is not None:
        body["tags"] = tag_filter
    for name, mapping in (
        ("auth_configs", auth_configs),
        ("connected_accounts", connected_accounts),
    ):
        if mapping is not None:
            given = json_object(mapping, f"{where}: {name}")
            if not all(isinstance(v, str) and v for v in given.values()):
                raise ValidationError(
                    f"{where}: {name} maps a toolkit slug to an id (a non-empty string)."
                )
            body[name] = given
    if isinstance(manage_connections, bool):
        body["manage_connections"] = {"enable": manage_connections}
    elif manage_connections is not None:
        body["manage_connections"] = json_object(manage_connections, f"{where}: manage_connections")
    if workbench is not None:
        body["workbench"] = json_object(workbench, f"{where}: workbench")
    return Operation(
        "tool_router.create_session",
        "POST",
        _SESSION,
        lambda r: parse(r, ToolRouterSession.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def session_path(session_id: object, name: str, tail: str = "") -> str:
    return f"{_SESSION}/{slug_path(session_id, f'{name}: session_id')}{tail}"


def retrieve_session(
    session_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[ToolRouterSession]:
    name = "tool_router.retrieve_session"
    return Operation(
        name,
        "GET",
        session_path(session_id, name),
        lambda r: parse(r, ToolRouterSession.from_dict),
        options=call_options(extra_headers, timeout),
    )


def execute(
    env: ToolEnv,
    session_id: str,
    tool_slug: str,
    arguments: Mapping[str, Any] | None,
    *,
    meta: bool,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[ToolRouterExecution]:
    """``execute`` (a tool, body field ``tool_slug``) or ``execute_meta`` (a meta tool such as
    ``COMPOSIO_SEARCH_TOOLS``, field ``slug``): the one execution path, so plugins' tool hooks
    (a guardrail's block, its redaction) and the tool-execution marker apply as on
    ``tools.execute``. Hooks see a meta tool with the toolkit ``"composio"``."""
    name = "tool_router.execute_meta" if meta else "tool_router.execute"
    target = RouterTarget(session_path(session_id, name), meta)
    result = yield from run_tool(
        env,
        tool_slug,
        arguments,
        name=name,
        router=target,
        extra_headers=extra_headers,
        timeout=timeout,
    )
    return as_router_execution(result)


def link(
    session_id: str,
    toolkit: str,
    *,
    callback_url: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolRouterLink]:
    return _link(
        "tool_router.link",
        ToolRouterLink.from_dict,
        session_id,
        toolkit,
        callback_url,
        extra_headers,
        timeout,
    )


def authorize(
    session_id: str,
    toolkit: str,
    *,
    callback_url: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ConnectionRequest]:
    """A live session's ``authorize``: the session's link, read as the ``ConnectionRequest``
    of the account it made (``INITIATED``; waiting polls that account)."""
    return _link(
        "tool_router.authorize",
        _request_from_link,
        session_id,
        toolkit,
        callback_url,
        extra_headers,
        timeout,
    )


def _link(
    name: str,
    read: Callable[[Any], T],
    session_id: str,
    toolkit: str,
    callback_url: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[T]:
    path = session_path(session_id, name, "/link")
    body = {"toolkit": text(toolkit, f"{name}: toolkit")}
    if q_str(callback_url, f"{name}: callback_url") is not None:
        assert callback_url is not None
        body["callback_url"] = callback_url
    return Operation(
        name,
        "POST",
        path,
        lambda r: parse(r, read),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def search(
    session_id: str, query: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[ToolRouterSearch]:
    """``POST …/search`` with one query (``{"queries": [{"use_case": query}]}``)."""
    name = "tool_router.search"
    path = session_path(session_id, name, "/search")
    body = {"queries": [{"use_case": text(query, f"{name}: query")}]}
    return Operation(
        name,
        "POST",
        path,
        lambda r: parse(r, ToolRouterSearch.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def session_tools(session_id: str, *, extra_headers: HeadersArg, timeout: Any) -> Flow[list[Tool]]:
    """``GET …/tools``: every page of the session's tools with their schemas."""
    name = "tool_router.session_tools"
    path = session_path(session_id, name, "/tools")
    options = call_options(extra_headers, timeout)
    return every_page(page_operation(name, path, [], options, Tool._from_items))


def session_toolkits(
    session_id: str,
    *,
    toolkits: str | Sequence[str] | None,
    is_connected: bool | None,
    search: str | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[ToolRouterToolkit]]:
    name = "tool_router.session_toolkits"
    path = session_path(session_id, name, "/toolkits")
    query = params(
        ("toolkits", q_list(toolkits, f"{name}: toolkits")),
        ("is_connected", q_bool(is_connected, f"{name}: is_connected")),
        ("search", q_str(search, f"{name}: search")),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, f"{name}: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(name, path, query, options, ToolRouterToolkit._from_items, first)
