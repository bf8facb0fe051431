"""``mcp.*`` operations: MCP servers and their per-user instances.

The MCP lists are numbered by ``page_no`` (not cursors): their pages walk with
:func:`composio._ops._body.numbered_page_operation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from composio._operation import Operation, PageData, call_options
from composio._ops._body import (
    ignore_body,
    numbered_page_operation,
    page_number,
    required_list,
    text,
)
from composio._ops._encode import params, parse, q_limit, q_list, q_str, slug_path
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import McpInstance, McpServer, McpUrls

__all__ = [
    "create_custom_server",
    "create_instance",
    "create_server",
    "delete_instance",
    "delete_server",
    "generate_urls",
    "list_instances",
    "list_servers",
    "retrieve_server",
    "update_server",
]

_ORDER_BY = ("created_at", "updated_at")
_DIRECTIONS = ("asc", "desc")


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ValidationError(f"{what} must be one of {list(allowed)}, got {value!r:.30}.")
    return str(value)


def _joined(value: object, what: str) -> str | None:
    """The spec types these filters as one string: a comma-separated list."""
    items = q_list(value, what)
    return ",".join(items) if items else None


def _flag(value: object, what: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{what} must be True, False or None, got {value!r:.20}.")
    return value


def _server_path(server_id: object, name: str, tail: str = "") -> str:
    return f"/mcp/{slug_path(server_id, f'{name}: server_id')}{tail}"


def _server_op(
    name: str, method: str, path: str, body: object, options: Any
) -> Operation[McpServer]:
    return Operation(
        name, method, path, lambda r: parse(r, McpServer.from_dict), body=body, options=options
    )


def list_servers(
    *,
    name: str | None,
    toolkits: str | Sequence[str] | None,
    auth_config_ids: str | Sequence[str] | None,
    order_by: str | None,
    order_direction: str | None,
    limit: int | None,
    page_no: int | None,
    extra_headers: HeadersArg,
    timeout: Any,
    app_key: str | None = None,
) -> Operation[PageData[McpServer]]:
    op = "mcp.retrieve_app" if app_key is not None else "mcp.list"
    path = "/mcp/servers" if app_key is None else f"/mcp/app/{slug_path(app_key, f'{op}: app_key')}"
    query = params(
        ("name", q_str(name, f"{op}: name")),
        ("toolkits", _joined(toolkits, f"{op}: toolkits")),
        ("auth_config_ids", _joined(auth_config_ids, f"{op}: auth_config_ids")),
        ("order_by", _choice(order_by, _ORDER_BY, f"{op}: order_by")),
        ("order_direction", _choice(order_direction, _DIRECTIONS, f"{op}: order_direction")),
        ("limit", q_limit(limit)),
    )
    first = page_number(page_no, f"{op}: page_no")
    options = call_options(extra_headers, timeout)
    return numbered_page_operation(op, path, query, options, McpServer._from_items, first)


def _server_body(
    op: str,
    *,
    auth_config_ids: object,
    allowed_tools: object,
    managed_auth_via_composio: object,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if auth_config_ids is not None:
        body["auth_config_ids"] = required_list(auth_config_ids, f"{op}: auth_config_ids")
    if allowed_tools is not None:
        body["allowed_tools"] = required_list(allowed_tools, f"{op}: allowed_tools")
    managed = _flag(managed_auth_via_composio, f"{op}: managed_auth_via_composio")
    if managed is not None:
        body["managed_auth_via_composio"] = managed
    return body


def create_server(
    name: str,
    *,
    auth_config_ids: Sequence[str],
    no_auth_apps: Sequence[str] | None,
    allowed_tools: Sequence[str] | None,
    managed_auth_via_composio: bool | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[McpServer]:
    op = "mcp.create"
    body: dict[str, Any] = {"name": text(name, f"{op}: name")}
    # Required by the spec (it may be empty: a server of no-auth apps only).
    body["auth_config_ids"] = required_list(auth_config_ids, f"{op}: auth_config_ids")
    if no_auth_apps is not None:
        body["no_auth_apps"] = required_list(no_auth_apps, f"{op}: no_auth_apps")
    body |= _server_body(
        op,
        auth_config_ids=None,
        allowed_tools=allowed_tools,
        managed_auth_via_composio=managed_auth_via_composio,
    )
    return _server_op(op, "POST", "/mcp/servers", body, call_options(extra_headers, timeout))


def create_custom_server(
    name: str,
    *,
    toolkits: Sequence[str] | None,
    auth_config_ids: Sequence[str] | None,
    allowed_tools: Sequence[str] | None,
    custom_tools: Sequence[str] | None,
    managed_auth_via_composio: bool | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[McpServer]:
    op = "mcp.create_custom"
    body: dict[str, Any] = {"name": text(name, f"{op}: name")}
    if toolkits is not None:
        body["toolkits"] = required_list(toolkits, f"{op}: toolkits")
    body |= _server_body(
        op,
        auth_config_ids=auth_config_ids,
        allowed_tools=allowed_tools,
        managed_auth_via_composio=managed_auth_via_composio,
    )
    if custom_tools is not None:
        body["custom_tools"] = required_list(custom_tools, f"{op}: custom_tools")
    return _server_op(op, "POST", "/mcp/servers/custom", body, call_options(extra_headers, timeout))


def generate_urls(
    server_id: str,
    *,
    user_ids: Sequence[str] | None,
    connected_account_ids: Sequence[str] | None,
    managed_auth_by_composio: bool | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[McpUrls]:
    op = "mcp.generate"
    body: dict[str, Any] = {"mcp_server_id": text(server_id, f"{op}: server_id")}
    if user_ids is not None:
        body["user_ids"] = required_list(user_ids, f"{op}: user_ids")
    if connected_account_ids is not None:
        body["connected_account_ids"] = required_list(
            connected_account_ids, f"{op}: connected_account_ids"
        )
    managed = _flag(managed_auth_by_composio, f"{op}: managed_auth_by_composio")
    if managed is not None:
        body["managed_auth_by_composio"] = managed
    return Operation(
        op,
        "POST",
        "/mcp/servers/generate",
        lambda r: parse(r, McpUrls.from_dict),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def retrieve_server(
    server_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[McpServer]:
    op = "mcp.retrieve"
    return _server_op(
        op, "GET", _server_path(server_id, op), None, call_options(extra_headers, timeout)
    )


def update_server(
    server_id: str,
    *,
    name: str | None,
    toolkits: Sequence[str] | None,
    allowed_tools: Sequence[str] | None,
    auth_config_ids: Sequence[str] | None,
    managed_auth_via_composio: bool | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[McpServer]:
    """Only what is given is sent (a PATCH); nothing given is refused, not sent as ``{}``."""
    op = "mcp.update"
    path = _server_path(server_id, op)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = text(name, f"{op}: name")
    if toolkits is not None:
        body["toolkits"] = required_list(toolkits, f"{op}: toolkits")
    body |= _server_body(
        op,
        auth_config_ids=auth_config_ids,
        allowed_tools=allowed_tools,
        managed_auth_via_composio=managed_auth_via_composio,
    )
    if not body:
        raise ValidationError(
            f"{op}: nothing to update; pass name=, toolkits=, allowed_tools=, "
            "auth_config_ids= or managed_auth_via_composio=."
        )
    return _server_op(op, "PATCH", path, body, call_options(extra_headers, timeout))


def delete_server(server_id: str, *, extra_headers: HeadersArg, timeout: Any) -> Operation[None]:
    op = "mcp.delete"
    return Operation(
        op,
        "DELETE",
        _server_path(server_id, op),
        ignore_body,
        options=call_options(extra_headers, timeout),
    )


def _instances_path(server_id: object, op: str, tail: str = "") -> str:
    return f"/mcp/servers/{slug_path(server_id, f'{op}: server_id')}/instances{tail}"


def list_instances(
    server_id: str,
    *,
    search: str | None,
    order_by: str | None,
    order_direction: str | None,
    limit: int | None,
    page_no: int | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[McpInstance]]:
    op = "mcp.list_instances"
    path = _instances_path(server_id, op)
    query = params(
        ("search", q_str(search, f"{op}: search")),
        ("order_by", _choice(order_by, _ORDER_BY, f"{op}: order_by")),
        ("order_direction", _choice(order_direction, _DIRECTIONS, f"{op}: order_direction")),
        ("limit", q_limit(limit)),
    )
    first = page_number(page_no, f"{op}: page_no")
    options = call_options(extra_headers, timeout)
    return numbered_page_operation(
        op, path, query, options, McpInstance._from_items, first, key="instances"
    )


def create_instance(
    server_id: str, user_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[McpInstance]:
    op = "mcp.create_instance"
    return Operation(
        op,
        "POST",
        _instances_path(server_id, op),
        lambda r: parse(r, McpInstance.from_dict),
        body={"user_id": text(user_id, f"{op}: user_id")},
        options=call_options(extra_headers, timeout),
    )


def delete_instance(
    server_id: str, instance_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[None]:
    op = "mcp.delete_instance"
    path = _instances_path(server_id, op, f"/{slug_path(instance_id, f'{op}: instance_id')}")
    return Operation(op, "DELETE", path, ignore_body, options=call_options(extra_headers, timeout))
