"""``tool_router.*`` operations: sessions, executing (meta) tools in them, links, toolkits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from composio._operation import Operation, PageData, call_options
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
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import (
    ToolRouterExecution,
    ToolRouterLink,
    ToolRouterSession,
    ToolRouterToolkit,
)

__all__ = [
    "create_session",
    "execute",
    "execute_meta",
    "link",
    "retrieve_session",
    "session_toolkits",
]

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
    if q_list(items, f"{what}[{key!r}]") is None:
        raise ValidationError(f"{what}[{key!r}] must be a list of strings.")
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


def _tags(value: object) -> list[str] | dict[str, Any] | None:
    where = "tool_router.create_session: tags"
    if value is None or isinstance(value, Mapping):
        return None if value is None else json_object(value, where)
    return q_list(value, where)


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


def _session_path(session_id: object, name: str, tail: str = "") -> str:
    return f"{_SESSION}/{slug_path(session_id, f'{name}: session_id')}{tail}"


def retrieve_session(
    session_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[ToolRouterSession]:
    name = "tool_router.retrieve_session"
    return Operation(
        name,
        "GET",
        _session_path(session_id, name),
        lambda r: parse(r, ToolRouterSession.from_dict),
        options=call_options(extra_headers, timeout),
    )


def _arguments(arguments: object, name: str) -> dict[str, Any]:
    return {} if arguments is None else json_object(arguments, f"{name}: arguments")


def execute(
    session_id: str,
    tool_slug: str,
    arguments: Mapping[str, Any] | None,
    *,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolRouterExecution]:
    name = "tool_router.execute"
    path = _session_path(session_id, name, "/execute")
    body = {
        "tool_slug": text(tool_slug, f"{name}: tool_slug"),
        "arguments": _arguments(arguments, name),
    }
    return Operation(
        name,
        "POST",
        path,
        lambda r: parse(r, ToolRouterExecution.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def execute_meta(
    session_id: str,
    slug: str,
    arguments: Mapping[str, Any] | None,
    *,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolRouterExecution]:
    """A meta tool (``COMPOSIO_SEARCH_TOOLS``...): the spec names its field ``slug``."""
    name = "tool_router.execute_meta"
    path = _session_path(session_id, name, "/execute_meta")
    body = {"slug": text(slug, f"{name}: slug"), "arguments": _arguments(arguments, name)}
    return Operation(
        name,
        "POST",
        path,
        lambda r: parse(r, ToolRouterExecution.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def link(
    session_id: str,
    toolkit: str,
    *,
    callback_url: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[ToolRouterLink]:
    name = "tool_router.link"
    path = _session_path(session_id, name, "/link")
    body = {"toolkit": text(toolkit, f"{name}: toolkit")}
    if q_str(callback_url, f"{name}: callback_url") is not None:
        assert callback_url is not None
        body["callback_url"] = callback_url
    return Operation(
        name,
        "POST",
        path,
        lambda r: parse(r, ToolRouterLink.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


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
    path = _session_path(session_id, name, "/toolkits")
    query = params(
        ("toolkits", q_list(toolkits, f"{name}: toolkits")),
        ("is_connected", q_bool(is_connected, f"{name}: is_connected")),
        ("search", q_str(search, f"{name}: search")),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, f"{name}: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(name, path, query, options, ToolRouterToolkit.from_dict, first)
