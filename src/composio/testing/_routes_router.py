"""Tool-router sessions: a user's view of the catalog narrowed to some toolkits, with tool
execution, the meta tools, connection links and the session's toolkits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from composio.testing import _routes_accounts as accounts
from composio.testing._routes_files import file_executors
from composio.testing._routes_tools import find_tool, find_toolkit
from composio.testing._routing import (
    ApiError,
    Ctx,
    Reply,
    Router,
    lookup,
    optional_text,
    paginate,
    required_text,
)
from composio.testing._state import AuthConfig, RouterSession, Store, nano
from composio.testing.catalog import ROUTER_TOOLS, TOOLKITS, TOOLS, run_tool

__all__ = ["router"]

router = Router()

META_TOOLS = (
    "COMPOSIO_SEARCH_TOOLS",
    "COMPOSIO_MULTI_EXECUTE_TOOL",
    "COMPOSIO_MANAGE_CONNECTIONS",
    "COMPOSIO_REMOTE_WORKBENCH",
    "COMPOSIO_REMOTE_BASH_TOOL",
    "COMPOSIO_GET_TOOL_SCHEMAS",
    "COMPOSIO_UPSERT_RECIPE",
    "COMPOSIO_GET_RECIPE",
)
SESSION_TOOLS = list(META_TOOLS[:5])
MULTI_EXECUTE = "COMPOSIO_MULTI_EXECUTE_TOOL"
#: Request keys -> the response's past-participle spelling (``enable`` -> ``enabled``).
_RENAMED = {"enable": "enabled", "disable": "disabled"}


def _mcp_url(ctx: Ctx, session_id: str) -> str:
    return f"{ctx.base_url}/_local/tool_router/{session_id}/mcp"


def _renamed(value: Any) -> Any:
    if isinstance(value, dict):
        return {_RENAMED.get(k, k): _renamed(v) for k, v in value.items()}
    return value


def render_session(ctx: Ctx, session: RouterSession) -> dict[str, Any]:
    given = session.config
    # v3.1 always answers the helpers' settings (defaults when not given) and a version.
    config: dict[str, Any] = {
        "user_id": session.user_id,
        "execute": {"enable_multi_execute": True, **_renamed(given.get("execute") or {})},
        "preload": {"tools": (given.get("preload") or {}).get("tools", [])},
        "search": {"enable": True, **(given.get("search") or {})},
    }
    if session.enabled is not None:
        config["toolkits"] = {"enabled": list(session.enabled)}
    elif session.disabled:
        config["toolkits"] = {"disabled": list(session.disabled)}
    for key in ("auth_configs", "connected_accounts", "tools", "tags"):
        if key in given:
            config[key] = _renamed(given[key])
    if "manage_connections" in given:
        config["manage_connections"] = _renamed(given["manage_connections"])
    if "workbench" in given:
        bench = dict(given["workbench"])
        if "enable_proxy_execution" in bench:
            bench["proxy_execution_enabled"] = bench.pop("enable_proxy_execution")
        config["workbench"] = bench
    return {
        "session_id": session.id,
        "mcp": {"type": "http", "url": _mcp_url(ctx, session.id)},
        "tool_router_tools": SESSION_TOOLS,
        "config": config,
        "config_version": 1,
    }


def _toolkit_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ApiError(400, f"'toolkits.{key}' must be an array of toolkit slugs")
    for slug in value:
        find_toolkit(slug.lower())
    return [v.lower() for v in value]


def _parse_toolkits(value: Any) -> tuple[list[str] | None, list[str]]:
    if value is None:
        return None, []
    if not isinstance(value, dict) or len(value) != 1 or set(value) - {"enable", "disable"}:
        raise ApiError(
            400,
            '\'toolkits\' must be {"enable": [...]} or {"disable": [...]}',
            "Send one of the two keys, not both.",
        )
    if "enable" in value:
        return _toolkit_list(value["enable"], "enable"), []
    return None, _toolkit_list(value["disable"], "disable")


@router.route("POST", "/api/v3/tool_router/session")
def create_session(ctx: Ctx) -> Reply:
    body = ctx.json()
    user_id = required_text(body, "user_id")
    enabled, disabled = _parse_toolkits(body.get("toolkits"))
    for key in ("auth_configs", "connected_accounts", "manage_connections", "tools", "workbench"):
        if key in body and not isinstance(body[key], dict):
            raise ApiError(400, f"'{key}' must be an object")
    session = RouterSession(nano("trs_"), user_id, enabled, disabled, dict(body))
    store = ctx.owner._store
    with store.lock:
        store.router_sessions[session.id] = session
    return Reply(201, render_session(ctx, session))


@router.route("POST", "/api/v3/labs/tool_router/session")
def create_labs_session(ctx: Ctx) -> Reply:
    """The older (labs) form: ``config.toolkits`` is a list of ``{toolkit, auth_config_id}``."""
    body = ctx.json()
    user_id = required_text(body, "user_id")
    config = body.get("config") or {}
    kits = config.get("toolkits") if isinstance(config, dict) else None
    enabled: list[str] | None = None
    if kits is not None:
        if not isinstance(kits, list) or not all(
            isinstance(k, dict) and isinstance(k.get("toolkit"), str) for k in kits
        ):
            raise ApiError(400, "'config.toolkits' must be an array of {toolkit, auth_config_id}")
        enabled = _toolkit_list([k["toolkit"] for k in kits], "toolkit")
    session = RouterSession(nano("trs_"), user_id, enabled, [], {})
    store = ctx.owner._store
    with store.lock:
        store.router_sessions[session.id] = session
    url = _mcp_url(ctx, session.id)
    return Reply(
        201,
        {
            "session_id": session.id,
            "chat_session_mcp_url": url,
            "tool_router_instance_mcp_url": url,
        },
    )


def _session(store: Store, session_id: str) -> RouterSession:
    return lookup(store.router_sessions, session_id, "Tool router session")


def _allows(session: RouterSession, toolkit: str) -> bool:
    if session.enabled is not None:
        return toolkit in session.enabled
    return toolkit not in session.disabled


@router.route("GET", "/api/v3/tool_router/session/{session_id}")
def retrieve_session(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        return Reply(200, render_session(ctx, _session(store, ctx.params["session_id"])))


def _active_account(store: Store, user_id: str, toolkit: str) -> Any:
    return next(
        (
            a
            for a in sorted(store.accounts.values(), key=lambda a: a.seq)
            if a.user_id == user_id and a.toolkit == toolkit and a.status == "ACTIVE"
        ),
        None,
    )


@router.route("POST", "/api/v3/tool_router/session/{session_id}/execute")
def execute(ctx: Ctx) -> Reply:
    body = ctx.json()
    slug = required_text(body, "tool_slug")
    arguments = body.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ApiError(400, "'arguments' must be an object")
    store = ctx.owner._store
    with store.lock:
        session = _session(store, ctx.params["session_id"])
    result = _run_in_session(ctx, session, slug, arguments)
    # The current API says which kind of answer this is; the vendor's SDK (composio 0.30)
    # refuses an answer without it ("without a known result_type").
    outcome = "failed" if result["error"] else "completed"
    return Reply(
        200, {**{k: result[k] for k in ("data", "error", "log_id")}, "result_type": outcome}
    )


def _run_in_session(
    ctx: Ctx, session: RouterSession, slug: str, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    """Runs the tool for the session's user (``execute``, and each tool of a multi-execute
    batch); a toolkit that needs auth needs an ``ACTIVE`` account of that user (else
    ``error`` says to link one, as the real router does)."""
    store = ctx.owner._store
    with store.lock:
        tool = find_tool(slug)
        kit = tool["toolkit"]["slug"]
        if not _allows(session, kit):
            raise ApiError(403, f"Toolkit {kit} is not enabled in session {session.id}")
        needs_account = not tool["no_auth"]
        account = _active_account(store, session.user_id, kit) if needs_account else None
    if needs_account and account is None:
        return {
            "data": {},
            "error": f"No active {kit} connection for user {session.user_id}: "
            f"link one with the session's link ({kit})",
            "successful": False,
            "log_id": nano("log_"),
        }
    result = run_tool(slug, arguments, file_executors(ctx.owner))
    ctx.owner._record_execution(
        slug,
        arguments,
        version="latest",
        api_version=ctx.api_version,
        user_id=session.user_id,
        connected_account_id=account.id if account is not None else None,
        log_id=result["log_id"],
    )
    return result


@router.route("POST", "/api/v3/tool_router/session/{session_id}/execute_meta")
def execute_meta(ctx: Ctx) -> Reply:
    body = ctx.json()
    slug = body.get("slug")
    if slug not in META_TOOLS:
        raise ApiError(400, f"'slug' must be one of {', '.join(META_TOOLS)}")
    arguments = body.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ApiError(400, "'arguments' must be an object")
    store = ctx.owner._store
    with store.lock:
        session = _session(store, ctx.params["session_id"])
    if slug == MULTI_EXECUTE:
        data = _multi_execute(ctx, session, arguments)
    else:
        with store.lock:
            data = _meta(store, session, slug, arguments)
    return Reply(200, {"data": data, "error": None, "log_id": nano("log_")})


def _multi_execute(
    ctx: Ctx, session: RouterSession, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    """``{"tools": [{"tool_slug", "arguments"}, ...]}`` run in order; one result per tool,
    ``{"index", "tool_slug", "response": {"successful", "data", "error"}}``."""
    tools = arguments.get("tools")
    if not isinstance(tools, list) or not all(
        isinstance(t, dict) and isinstance(t.get("tool_slug"), str) for t in tools
    ):
        raise ApiError(400, "'arguments.tools' must be an array of {tool_slug, arguments}")
    results = []
    for index, item in enumerate(tools):
        inner = item.get("arguments", {})
        if not isinstance(inner, dict):
            raise ApiError(400, f"'arguments.tools[{index}].arguments' must be an object")
        try:
            ran = _run_in_session(ctx, session, item["tool_slug"], inner)
        except ApiError as exc:  # one tool's refusal is its result, not the batch's
            ran = {"data": {}, "error": exc.message, "successful": False}
        response = {k: ran[k] for k in ("successful", "data", "error")}
        results.append({"index": index, "tool_slug": item["tool_slug"], "response": response})
    return {"results": results}


def _meta(
    store: Store, session: RouterSession, slug: str, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    if slug == "COMPOSIO_SEARCH_TOOLS":
        queries = arguments.get("queries")
        uses = (
            [q.get("use_case") for q in queries if isinstance(q, dict)]
            if isinstance(queries, list)
            else [arguments.get("query") or arguments.get("use_case")]
        )
        return {"tools": [s for use in uses for s in _search(session, str(use or ""))]}
    if slug == "COMPOSIO_MANAGE_CONNECTIONS":
        return {
            "connections": {
                k["slug"]: _active_account(store, session.user_id, k["slug"]) is not None
                for k in TOOLKITS
                if _allows(session, k["slug"]) and not k["no_auth"]
            }
        }
    return {"message": f"{slug} does nothing on the local server"}


def _search(session: RouterSession, use_case: str) -> list[str]:
    """The session's tools whose slug, name or description hold every word of ``use_case``."""
    words = use_case.lower().split()
    return [
        t["slug"]
        for t in TOOLS
        if _allows(session, t["toolkit"]["slug"])
        and all(w in f"{t['slug']} {t['name']} {t['description']}".lower() for w in words)
    ]


@router.route("POST", "/api/v3/tool_router/session/{session_id}/search")
def search(ctx: Ctx) -> Reply:
    """``{"queries": [{"use_case": ...}]}``: per query, the matching tools of the session."""
    body = ctx.json()
    queries = body.get("queries")
    if (
        not isinstance(queries, list)
        or not queries
        or not all(isinstance(q, dict) and isinstance(q.get("use_case"), str) for q in queries)
    ):
        raise ApiError(400, "'queries' must be a non-empty array of {use_case}")
    store = ctx.owner._store
    with store.lock:
        session = _session(store, ctx.params["session_id"])
        results, schemas = [], {}
        for index, query in enumerate(queries, 1):
            slugs = _search(session, query["use_case"])
            tools = [find_tool(slug) for slug in slugs]
            for tool in tools:
                schemas[tool["slug"]] = {
                    "tool_slug": tool["slug"],
                    "toolkit": tool["toolkit"]["slug"],
                    "description": tool["description"],
                    "hasFullSchema": True,
                    "input_schema": tool["input_parameters"],
                }
            kits = sorted({t["toolkit"]["slug"] for t in tools})
            results.append(
                {
                    "index": index,
                    "use_case": query["use_case"],
                    "primary_tool_slugs": slugs,
                    "related_tool_slugs": [],
                    "toolkits": kits,
                    "error": None,
                }
            )
        statuses = []
        for kit in sorted({k for r in results for k in r["toolkits"]}):
            connected = _active_account(store, session.user_id, kit) is not None
            statuses.append(
                {
                    "toolkit": kit,
                    "description": find_toolkit(kit)["meta"]["description"],
                    "has_active_connection": connected or find_toolkit(kit)["no_auth"],
                    "status_message": "connected"
                    if connected
                    else "no connection needed"
                    if find_toolkit(kit)["no_auth"]
                    else f"connect {kit} first",
                }
            )
    now = datetime.now(timezone.utc)
    return Reply(
        200,
        {
            "success": True,
            "error": None,
            "results": results,
            "tool_schemas": schemas,
            "toolkit_connection_statuses": statuses,
            "next_steps_guidance": ["Execute the tools found with COMPOSIO_MULTI_EXECUTE_TOOL."],
            "session": {
                "id": session.id,
                "generate_id": False,
                "instructions": "Pass this session id to the meta tools.",
            },
            "time_info": {
                "current_time_utc": now.isoformat(),
                "current_time_utc_epoch_seconds": now.timestamp(),
                "message": "Times are UTC.",
            },
        },
    )


@router.route("GET", "/api/v3/tool_router/session/{session_id}/tools")
def session_tools(ctx: Ctx) -> Reply:
    """The session's meta tools with their full schemas (cursor-paginated)."""
    store = ctx.owner._store
    with store.lock:
        _session(store, ctx.params["session_id"])
    return Reply(200, paginate(ctx, [ROUTER_TOOLS[slug] for slug in SESSION_TOOLS]))


def managed_auth_config(store: Store, toolkit: str) -> AuthConfig:
    """The toolkit's Composio-managed auth config, created on first use (as the router
    does for toolkits the session did not map to an auth config)."""
    kit = find_toolkit(toolkit)
    if not kit["composio_managed_auth_schemes"]:
        raise ApiError(400, f"Toolkit {toolkit} needs no connection (no auth)")
    for cfg in sorted(store.auth_configs.values(), key=lambda c: c.seq):
        if cfg.toolkit == toolkit and cfg.is_composio_managed and cfg.status == "ENABLED":
            return cfg
    cfg = AuthConfig(
        id=nano("ac_"),
        toolkit=toolkit,
        name=f"{kit['name']} Auth Config",
        auth_scheme=kit["composio_managed_auth_schemes"][0].upper(),
        is_composio_managed=True,
        seq=store.next_seq(),
    )
    store.auth_configs[cfg.id] = cfg
    return cfg


@router.route("POST", "/api/v3/tool_router/session/{session_id}/link")
def link(ctx: Ctx) -> Reply:
    body = ctx.json()
    toolkit = required_text(body, "toolkit")
    callback = optional_text(body, "callback_url")
    store = ctx.owner._store
    with store.lock:
        session = _session(store, ctx.params["session_id"])
        if not _allows(session, toolkit.lower()):
            raise ApiError(403, f"Toolkit {toolkit} is not enabled in session {session.id}")
        mapped = session.config.get("auth_configs", {}).get(toolkit.lower())
        cfg = store.auth_configs.get(mapped) if mapped else None
        cfg = cfg or managed_auth_config(store, toolkit.lower())
        account = accounts.link_account(store, cfg, session.user_id, callback)
        reply = accounts.link_reply(account, ctx.base_url)
    del reply["expires_at"]
    return Reply(201, reply)


@router.route("GET", "/api/v3/tool_router/session/{session_id}/toolkits")
def session_toolkits(ctx: Ctx) -> Reply:
    wanted = {k.lower() for k in ctx.many("toolkits")}
    connected = ctx.flag("is_connected")
    search = (ctx.one("search") or "").lower()
    store = ctx.owner._store
    with store.lock:
        session = _session(store, ctx.params["session_id"])
        rows = []
        for kit in TOOLKITS:
            if not _allows(session, kit["slug"]) or (wanted and kit["slug"] not in wanted):
                continue
            if search and search not in f"{kit['slug']} {kit['name']}".lower():
                continue
            account = _active_account(store, session.user_id, kit["slug"])
            if connected is not None and (account is not None) != connected:
                continue
            rows.append(_toolkit_row(kit, account))
    return Reply(200, paginate(ctx, rows))


def _toolkit_row(kit: Mapping[str, Any], account: Any) -> dict[str, Any]:
    return {
        "name": kit["name"],
        "slug": kit["slug"],
        "enabled": kit["enabled"],
        "is_no_auth": kit["no_auth"],
        "composio_managed_auth_schemes": list(kit["composio_managed_auth_schemes"]),
        "meta": {"logo": kit["meta"]["logo"], "description": kit["meta"]["description"]},
        "connected_account": None
        if account is None
        else {
            "id": account.id,
            "user_id": account.user_id,
            "status": account.status,
            "created_at": account.created_at,
            "auth_config": {
                "id": account.auth_config_id,
                "auth_scheme": account.auth_scheme,
                "is_composio_managed": account.is_composio_managed,
            },
        },
    }
