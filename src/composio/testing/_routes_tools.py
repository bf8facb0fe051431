"""Tools and toolkits: the catalog routes (list, retrieve, execute, enum, proxy, input,
categories, multi, changelog)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

from composio.testing._routing import (
    ApiError,
    Ctx,
    Reply,
    Router,
    lookup,
    paginate,
    require_string_list,
    required_text,
)
from composio.testing.catalog import CHANGELOG, TOOLKITS, TOOLS, toolkit_detail

__all__ = ["find_tool", "find_toolkit", "router"]

router = Router()

#: What a tool call without ``version`` means, per prefix (SPEC §14).
DEFAULT_VERSION = {"v3.1": "latest", "v3": "00000000_00"}


def find_tool(slug: str) -> dict[str, Any]:
    found = next((t for t in TOOLS if t["slug"] == slug), None)
    if found is None:
        raise ApiError(404, f"Tool {slug} not found", "Check the slug with tools.list().")
    return found


def find_toolkit(slug: str) -> dict[str, Any]:
    found = next((k for k in TOOLKITS if k["slug"] == slug), None)
    if found is None:
        raise ApiError(404, f"Toolkit {slug} not found", "Check the slug with toolkits.list().")
    return found


# -- tools ----------------------------------------------------------------------------------
@router.route("GET", "/api/v3/tools")
def list_tools(ctx: Ctx) -> Reply:
    ctx.flag("important")
    keep = _tool_filter(ctx)
    return Reply(200, paginate(ctx, [t for t in TOOLS if keep(t)]))


@router.route("GET", "/api/v3/tools/enum")
def tools_enum(ctx: Ctx) -> Reply:
    return Reply(200, [t["slug"] for t in TOOLS])


@router.route("POST", "/api/v3/tools/execute/proxy")
def proxy(ctx: Ctx) -> Reply:
    """Proxy to nothing: answer with the request that *would* go to the toolkit's API, so a
    test sees the URL, method, query and headers the proxy built (credentials redacted)."""
    body = ctx.json()
    endpoint, method = body.get("endpoint"), body.get("method")
    if not isinstance(endpoint, str) or not endpoint:
        raise ApiError(400, "'endpoint' must be a non-empty string")
    if method not in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
        raise ApiError(400, "'method' must be one of GET, POST, PUT, DELETE, PATCH, HEAD")
    account_id = body.get("connected_account_id")
    if not isinstance(account_id, str) or not account_id:
        raise ApiError(
            400,
            "'connected_account_id' is required",
            "Pass the connected account whose credentials the proxy should use.",
        )
    store = ctx.owner._store
    with store.lock:
        account = lookup(store.accounts, account_id, "Connected account")
        status, toolkit = account.status, account.toolkit
    if status != "ACTIVE":
        raise ApiError(
            400,
            f"Connected account {account_id} is {status}, not ACTIVE",
            "Complete the connection (open its redirect_url) before calling the proxy.",
        )
    headers: dict[str, str] = {"authorization": "Bearer ***"}
    query: list[tuple[str, str]] = []
    params = body.get("parameters") or []
    if not isinstance(params, list):
        raise ApiError(400, "'parameters' must be an array")
    for param in params:
        if not isinstance(param, dict) or param.get("type") not in ("header", "query"):
            raise ApiError(400, "each parameter needs name, value and type 'header' or 'query'")
        name, value = param.get("name"), param.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise ApiError(400, "a parameter's name and value must be strings")
        if param["type"] == "header":
            headers[name.lower()] = value
        else:
            query.append((name, value))
    base = toolkit_detail(find_toolkit(toolkit))["base_url"] + "/"
    url = urljoin(base, endpoint.lstrip("/")) if "://" not in endpoint else endpoint
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    echoed = {"method": method, "url": url, "headers": headers, "body": body.get("body")}
    return Reply(
        200, {"data": echoed, "status": 200, "headers": {"content-type": "application/json"}}
    )


@router.route("POST", "/api/v3/tools/execute/{slug}/input")
def tool_input(ctx: Ctx) -> Reply:
    """Turn a sentence into arguments the simple way: required string parameters get the
    text, required numbers get the numbers found in it, in order."""
    tool = find_tool(ctx.params["slug"])
    body = ctx.json()
    text = required_text(body, "text")
    for name in ("custom_description", "system_prompt", "version"):
        if name in body and not isinstance(body[name], str):
            raise ApiError(400, f"'{name}' must be a string")
    numbers = [float(n) if "." in n else int(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
    schema = tool["input_parameters"]
    arguments: dict[str, Any] = {}
    for name in schema["required"]:
        kind = schema["properties"][name].get("type")
        if kind == "number":
            if not numbers:
                return Reply(200, {"arguments": arguments, "error": f"no number for {name!r}"})
            arguments[name] = numbers.pop(0)
        else:
            arguments[name] = text
    return Reply(200, {"arguments": arguments})


@router.route("POST", "/api/v3/tools/execute/{slug}")
def execute(ctx: Ctx) -> Reply:
    slug = ctx.params["slug"]
    tool = find_tool(slug)
    payload = ctx.json(required=False)
    problem = _execute_body_problem(payload)
    if problem:
        raise ApiError(400, problem, "See POST /api/v3/tools/execute/{tool_slug} in the spec.")
    _require_connection(ctx, tool, payload)
    version = payload.get("version") or DEFAULT_VERSION.get(ctx.api_version or "v3.1", "latest")
    status, result = ctx.owner._execute(
        slug, payload, ctx.headers.get("idempotency-key"), version, ctx.api_version
    )
    return Reply(status, result)


@router.route("GET", "/api/v3/tools/{slug}")
def retrieve_tool(ctx: Ctx) -> Reply:
    return Reply(200, find_tool(ctx.params["slug"]))


# -- toolkits -------------------------------------------------------------------------------
@router.route("GET", "/api/v3/toolkits")
def list_toolkits(ctx: Ctx) -> Reply:
    category = ctx.one("category") or ""
    return Reply(200, paginate(ctx, [k for k in TOOLKITS if _in_category(k, category)]))


@router.route("GET", "/api/v3/toolkits/categories")
def categories(ctx: Ctx) -> Reply:
    seen: dict[str, dict[str, str]] = {}
    for kit in TOOLKITS:
        for cat in kit["meta"]["categories"]:
            seen.setdefault(cat["id"], {"id": cat["id"], "name": cat["name"]})
    items = sorted(seen.values(), key=lambda c: c["id"])
    return Reply(200, paginate(ctx, items, limit=len(items) or 1, cursor=""))


@router.route("POST", "/api/v3/toolkits/multi")
def toolkits_multi(ctx: Ctx) -> Reply:
    body = ctx.json(required=False)
    wanted = require_string_list(body, "toolkits")
    category = body.get("category") or ""
    if not isinstance(category, str):
        raise ApiError(400, "'category' must be a string")
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float))):
        raise ApiError(400, "'limit' must be a number")
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ApiError(400, "'cursor' must be a string")
    kits = [
        k
        for k in TOOLKITS
        if (not wanted or k["slug"] in {w.lower() for w in wanted}) and _in_category(k, category)
    ]
    size = int(limit) if limit else ctx.owner.page_size
    if not 1 <= size <= 1000:
        raise ApiError(400, "'limit' must be between 1 and 1000")
    return Reply(200, paginate(ctx, kits, _multi_item, limit=size, cursor=cursor or ""))


@router.route("GET", "/api/v3/toolkits/changelog")
def changelog(ctx: Ctx) -> Reply:
    return Reply(200, {"items": CHANGELOG})


@router.route("GET", "/api/v3/toolkits/{slug}")
def retrieve_toolkit(ctx: Ctx) -> Reply:
    return Reply(200, toolkit_detail(find_toolkit(ctx.params["slug"])))


# -- helpers --------------------------------------------------------------------------------
def _multi_item(kit: Mapping[str, Any]) -> dict[str, Any]:
    """``/toolkits/multi`` items: the list shape without ``meta.available_versions``."""
    meta = {k: v for k, v in kit["meta"].items() if k != "available_versions"}
    return {**kit, "meta": meta}


def _in_category(kit: Mapping[str, Any], category: str) -> bool:
    if not category:
        return True
    return any(c["id"] == category or c["name"] == category for c in kit["meta"]["categories"])


#: What the real API answers for an execution without a connected account (404, code 1810).
NOT_CONNECTED_CODE = 1810
NOT_CONNECTED_SLUG = "ActionExecute_ConnectedAccountNotFound"


def _require_connection(ctx: Ctx, tool: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """A tool of a toolkit that needs auth runs on a connected account: the one given, or
    the user's ``ACTIVE`` one. Without one the API refuses (404, "connected account not
    found" in the spec's words), as it does in production: nothing runs."""
    kit = tool["toolkit"]["slug"]
    if tool.get("no_auth") or find_toolkit(kit)["no_auth"]:
        return
    account_id = payload.get("connected_account_id")
    user_id = payload.get("user_id") or payload.get("entity_id") or "default"
    store = ctx.owner._store
    with store.lock:
        if account_id:
            account = store.accounts.get(account_id)
            if account is None or account.toolkit != kit:
                raise ApiError(
                    404,
                    f"Connected account {account_id} not found for toolkit {kit}",
                    "Check the id with connected_accounts.list().",
                )
            return
        if any(
            a.user_id == user_id and a.toolkit == kit and a.status == "ACTIVE"
            for a in store.accounts.values()
        ):
            return
    raise ApiError(
        404,
        f"No connected account found for user {user_id} and toolkit {kit}: "
        f"{tool['slug']} needs one",
        f"Connect the user first: toolkits.authorize({user_id!r}, {kit!r}).",
        code=NOT_CONNECTED_CODE,
        slug=NOT_CONNECTED_SLUG,
    )


_EXECUTE_STRINGS = ("user_id", "connected_account_id", "version", "entity_id", "text")


def _execute_body_problem(payload: Mapping[str, Any]) -> str | None:
    """Why an execute body breaks the spec's request schema, or ``None``."""
    if not isinstance(payload.get("arguments", {}), dict):
        return "'arguments' must be an object"
    if "arguments" in payload and "text" in payload:
        return "'arguments' and 'text' are mutually exclusive"
    for name in _EXECUTE_STRINGS:
        if name in payload and not isinstance(payload[name], str):
            return f"'{name}' must be a string"
    return None


def _tool_filter(ctx: Ctx) -> Callable[[Mapping[str, Any]], bool]:
    kits = {k.lower() for k in ctx.many("toolkit_slug")}
    slugs = {s.upper() for s in ctx.many("tool_slugs")}
    tags = set(ctx.query.get("tags", []))
    search = (ctx.one("search") or "").lower()
    important = ctx.one("important") == "true"

    def keep(tool: Mapping[str, Any]) -> bool:
        if kits and tool["toolkit"]["slug"] not in kits:
            return False
        if slugs and tool["slug"] not in slugs:
            return False
        if tags and not tags & set(tool["tags"]):
            return False
        if important and "important" not in tool["tags"]:
            return False
        text = f"{tool['slug']} {tool['name']} {tool['description']}".lower()
        return not (search and search not in text)

    return keep
