"""MCP servers and their per-user instances. Lists here page by ``page_no`` (1-based) and
``limit`` (default 10), not by cursor: that is what the spec says for these operations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from composio.testing._routes_tools import find_toolkit
from composio.testing._routing import (
    ApiError,
    Ctx,
    Reply,
    Router,
    lookup,
    require_string_list,
    required_text,
)
from composio.testing._state import McpInstance, McpServer, Store, touch
from composio.testing.catalog import TOOLS

__all__ = ["router"]

router = Router()

_NAME = re.compile(r"^[a-zA-Z0-9\- ]{4,30}$")
MCP_PAGE_SIZE = 10


def _url(ctx: Ctx, server: McpServer) -> str:
    return f"{ctx.base_url}/_local/mcp/{server.id}/mcp"


def render_server(ctx: Ctx, server: McpServer, *, detail: bool) -> dict[str, Any]:
    url = _url(ctx, server)
    out: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "auth_config_ids": list(server.auth_config_ids),
        "allowed_tools": list(server.allowed_tools),
        "mcp_url": url,
        "toolkits": list(server.toolkits),
        "toolkit_icons": {k: f"https://logos.composio.dev/{k}.png" for k in server.toolkits},
        "commands": _commands(url, server.name),
        "updated_at": server.updated_at,
        "created_at": server.created_at,
        "server_instance_count": len(server.instances),
        "managed_auth_via_composio": server.managed_auth_via_composio,
    }
    if detail:
        out["deleted"] = False
    return out


def _commands(url: str, name: str) -> dict[str, str]:
    return {
        client: f'npx @composio/mcp@latest setup "{url}" "{name}" --client {client}'
        for client in ("cursor", "claude", "windsurf")
    }


def _name(body: Mapping[str, Any], *, required: bool) -> str | None:
    name = body.get("name")
    if name is None and not required:
        return None
    if not isinstance(name, str) or not _NAME.match(name):
        raise ApiError(
            400,
            "'name' must be 4-30 characters of letters, digits, spaces and hyphens",
        )
    return name


def _check_unique_name(store: Store, name: str, but: str | None = None) -> None:
    if any(s.name == name and s.id != but for s in store.mcp_servers.values()):
        raise ApiError(400, f"An MCP server named {name!r} already exists")


def _toolkits_of(store: Store, auth_config_ids: Sequence[str]) -> list[str]:
    kits: list[str] = []
    for config_id in auth_config_ids:
        cfg = store.auth_configs.get(config_id)
        if cfg is None:
            raise ApiError(404, f"Auth config {config_id} not found")
        if cfg.toolkit not in kits:
            kits.append(cfg.toolkit)
    return kits


def _allowed(tools: list[str], toolkits: Sequence[str]) -> list[str]:
    """Every tool of the toolkits when none are named; named tools must belong to them."""
    if not tools:
        return [t["slug"] for t in TOOLS if t["toolkit"]["slug"] in toolkits]
    by_slug = {t["slug"]: t for t in TOOLS}
    for slug in tools:
        tool = by_slug.get(slug)
        if tool is None or tool["toolkit"]["slug"] not in toolkits:
            raise ApiError(400, f"Tool {slug} is not a tool of {', '.join(toolkits) or 'none'}")
    return tools


def _flag(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"'{name}' must be true or false")
    return value


def _new_server(
    ctx: Ctx, body: Mapping[str, Any], extra_toolkits: Sequence[str], custom: bool
) -> McpServer:
    """Create and store a server: its toolkits are its auth configs' plus ``extra_toolkits``
    (no-auth apps, or a custom server's toolkits)."""
    name = _name(body, required=True)
    assert name is not None
    config_ids = require_string_list(body, "auth_config_ids")
    store = ctx.owner._store
    with store.lock:
        _check_unique_name(store, name)
        kits = _toolkits_of(store, config_ids)
        for slug in extra_toolkits:
            kit = find_toolkit(slug.lower())["slug"]
            if kit not in kits:
                kits.append(kit)
        server = McpServer(
            id=str(uuid.uuid4()),
            name=name,
            seq=store.next_seq(),
            auth_config_ids=config_ids,
            toolkits=kits,
            allowed_tools=_allowed(require_string_list(body, "allowed_tools"), kits),
            managed_auth_via_composio=_flag(body, "managed_auth_via_composio", True),
            custom_tools=require_string_list(body, "custom_tools") if custom else [],
        )
        store.mcp_servers[server.id] = server
    return server


@router.route("POST", "/api/v3/mcp/servers")
def create(ctx: Ctx) -> Reply:
    body = ctx.json()
    if "auth_config_ids" not in body:
        raise ApiError(400, "'auth_config_ids' is required (an array of auth config ids)")
    server = _new_server(ctx, body, require_string_list(body, "no_auth_apps"), custom=False)
    with ctx.owner._store.lock:
        return Reply(201, render_server(ctx, server, detail=False))


@router.route("POST", "/api/v3/mcp/servers/custom")
def create_custom(ctx: Ctx) -> Reply:
    body = ctx.json()
    server = _new_server(ctx, body, require_string_list(body, "toolkits"), custom=True)
    with ctx.owner._store.lock:
        full = render_server(ctx, server, detail=False)
    keep = ("id", "name", "auth_config_ids", "allowed_tools", "mcp_url", "commands")
    return Reply(201, {k: full[k] for k in keep})


@router.route("POST", "/api/v3/mcp/servers/generate")
def generate(ctx: Ctx) -> Reply:
    body = ctx.json()
    server_id = required_text(body, "mcp_server_id")
    users = require_string_list(body, "user_ids")
    account_ids = require_string_list(body, "connected_account_ids")
    _flag(body, "managed_auth_by_composio", True)
    store = ctx.owner._store
    with store.lock:
        url = _url(ctx, _server(store, server_id))
    return Reply(
        200,
        {
            "mcp_url": url,
            "connected_account_urls": [
                f"{url}?{urlencode({'connected_account_id': a})}" for a in account_ids
            ],
            "user_ids_url": [f"{url}?{urlencode({'user_id': u})}" for u in users],
        },
    )


def _server(store: Store, server_id: str) -> McpServer:
    return lookup(store.mcp_servers, server_id, "MCP server", "See mcp.list().")


def _page_of(ctx: Ctx, items: Sequence[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    size = ctx.number("limit") or MCP_PAGE_SIZE
    page = ctx.number("page_no", maximum=10**9) or 1
    start = (page - 1) * size
    return {
        "items": [render(i) for i in items[start : start + size]],
        "total_pages": max(1, -(-len(items) // size)),
        "current_page": page,
    }


def _ordered(ctx: Ctx, servers: Sequence[McpServer]) -> list[McpServer]:
    order_by = ctx.one("order_by") or "updated_at"
    direction = ctx.one("order_direction") or "desc"
    if order_by not in ("created_at", "updated_at") or direction not in ("asc", "desc"):
        raise ApiError(400, "order_by is created_at|updated_at, order_direction asc|desc")
    key: Callable[[McpServer], Any] = (
        (lambda s: s.seq) if order_by == "created_at" else (lambda s: s.changed)
    )
    return sorted(servers, key=key, reverse=direction == "desc")


def _filtered(ctx: Ctx, store: Store, toolkit: str | None = None) -> list[McpServer]:
    name = (ctx.one("name") or "").lower()
    kits = {k.lower() for k in ctx.many("toolkits")}
    configs = set(ctx.many("auth_config_ids"))
    return _ordered(
        ctx,
        [
            s
            for s in store.mcp_servers.values()
            if (not name or name in s.name.lower())
            and (not kits or kits & set(s.toolkits))
            and (not configs or configs & set(s.auth_config_ids))
            and (toolkit is None or toolkit in s.toolkits)
        ],
    )


@router.route("GET", "/api/v3/mcp/servers")
def list_servers(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        servers = _filtered(ctx, store)
        return Reply(200, _page_of(ctx, servers, lambda s: render_server(ctx, s, detail=False)))


@router.route("GET", "/api/v3/mcp/app/{appKey}")
def list_for_app(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    app = find_toolkit(ctx.params["appKey"].lower())["slug"]
    with store.lock:
        servers = _filtered(ctx, store, app)
        return Reply(200, _page_of(ctx, servers, lambda s: render_server(ctx, s, detail=False)))


@router.route("GET", "/api/v3/mcp/{id}")
def retrieve(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        return Reply(200, render_server(ctx, _server(store, ctx.params["id"]), detail=True))


@router.route("PATCH", "/api/v3/mcp/{id}")
def update(ctx: Ctx) -> Reply:
    body = ctx.json(required=False)
    name = _name(body, required=False)
    store = ctx.owner._store
    with store.lock:
        server = _server(store, ctx.params["id"])
        if name is not None:
            _check_unique_name(store, name, but=server.id)
        kits = list(server.toolkits)
        if "auth_config_ids" in body:
            server.auth_config_ids = require_string_list(body, "auth_config_ids")
            kits = _toolkits_of(store, server.auth_config_ids)
        if "toolkits" in body:
            kits = [find_toolkit(k.lower())["slug"] for k in require_string_list(body, "toolkits")]
        if "allowed_tools" in body or kits != server.toolkits:
            server.allowed_tools = _allowed(require_string_list(body, "allowed_tools"), kits)
        server.toolkits = kits
        if name is not None:
            server.name = name
        if "managed_auth_via_composio" in body:
            server.managed_auth_via_composio = _flag(body, "managed_auth_via_composio", True)
        touch(server)
        return Reply(200, render_server(ctx, server, detail=True))


@router.route("DELETE", "/api/v3/mcp/{id}")
def delete(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        server = _server(store, ctx.params["id"])
        del store.mcp_servers[server.id]
    return Reply(200, {"id": server.id, "deleted": True})


# -- instances ------------------------------------------------------------------------------
def _render_instance(instance: McpInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "instance_id": instance.user_id,
        "mcp_server_id": instance.server_id,
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
    }


@router.route("GET", "/api/v3/mcp/servers/{serverId}/instances")
def list_instances(ctx: Ctx) -> Reply:
    search = (ctx.one("search") or "").lower()
    store = ctx.owner._store
    with store.lock:
        server = _server(store, ctx.params["serverId"])
        found = [i for i in server.instances.values() if search in i.user_id.lower()]
        page = _page_of(ctx, found, _render_instance)
    return Reply(
        200,
        {
            "instances": page["items"],
            "server_id": server.id,
            "server_name": server.name,
            "total_pages": page["total_pages"],
            "current_page": page["current_page"],
        },
    )


@router.route("POST", "/api/v3/mcp/servers/{serverId}/instances")
def create_instance(ctx: Ctx) -> Reply:
    body = ctx.json()
    user_id = required_text(body, "user_id")
    store = ctx.owner._store
    with store.lock:
        server = _server(store, ctx.params["serverId"])
        if user_id in server.instances:
            raise ApiError(409, f"User {user_id} already has an instance of MCP server {server.id}")
        instance = McpInstance(str(uuid.uuid4()), user_id, server.id)
        server.instances[user_id] = instance
        touch(server)
    return Reply(201, _render_instance(instance))


@router.route("DELETE", "/api/v3/mcp/servers/{serverId}/instances/{instanceId}")
def delete_instance(ctx: Ctx) -> Reply:
    """``instanceId`` is the instance's user id (its ``instance_id``) or its ``id``."""
    wanted = ctx.params["instanceId"]
    store = ctx.owner._store
    with store.lock:
        server = _server(store, ctx.params["serverId"])
        key = next((u for u, i in server.instances.items() if wanted in (u, i.id)), None)
        if key is None:
            raise ApiError(404, f"MCP server {server.id} has no instance {wanted}")
        del server.instances[key]
    return Reply(200, {"message": f"Instance {wanted} deleted", "deleted_connected_accounts": 0})
