"""Auth configs and connected accounts, with a real redirect flow.

An account that needs the user (OAuth, or a key nobody gave yet) starts ``INITIATED`` with a
``redirect_url`` pointing at this server (``/_local/connect/{token}``). A GET there -- what a
browser does when the user follows the link -- moves it to ``ACTIVE`` (or ``FAILED`` with
``?error=...``) and redirects to the ``callback_url`` when one was given.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from composio.testing._connection_state import STATE_FIELDS, connect_url, state_of
from composio.testing._routes_tools import find_toolkit
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
from composio.testing._state import Account, AuthConfig, Store, nano, touch

__all__ = ["complete_connection", "router", "set_connection_status"]

router = Router()

SCHEMES = tuple(STATE_FIELDS)
OAUTH_SCHEMES = frozenset({"OAUTH2", "OAUTH1", "DCR_OAUTH"})
#: The spec's statuses plus what v3.1 added since the snapshot.
STATUSES = ("INITIALIZING", "INITIATED", "ACTIVE", "FAILED", "EXPIRED", "INACTIVE", "REVOKED")

#: The real API's wording (other clients, the vendor's SDK among them, recognise it by
#: "no longer supported" and the link path, which it names under /api/v3 on both prefixes).
USE_LINK_MESSAGE = (
    "Creating connected accounts with POST /connected_accounts is no longer supported for "
    "Composio-managed OAuth auth configs. Use POST /api/v3/connected_accounts/link instead."
)
USE_LINK_FIX = "Call connected_accounts.link(user_id, auth_config_id) (or toolkits.authorize)."


# -- rendering ------------------------------------------------------------------------------
def _toolkit_logo(slug: str) -> str:
    return f"https://logos.composio.dev/{slug}.png"


def render_auth_config(store: Store, cfg: AuthConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cfg.id,
        "uuid": cfg.uuid,
        "type": "default" if cfg.is_composio_managed else "custom",
        "toolkit": {"slug": cfg.toolkit, "logo": _toolkit_logo(cfg.toolkit)},
        "name": cfg.name,
        "auth_scheme": cfg.auth_scheme,
        "is_composio_managed": cfg.is_composio_managed,
        "credentials": dict(cfg.credentials),
        "status": cfg.status,
        "created_by": "local-server",
        "created_at": cfg.created_at,
        "last_updated_at": cfg.updated_at,
        "no_of_connections": sum(1 for a in store.accounts.values() if a.auth_config_id == cfg.id),
        "expected_input_fields": [],
        "restrict_to_following_tools": list(cfg.restrict_to_following_tools),
        "tool_access_config": {
            "tools_for_connected_account_creation": list(cfg.tools_for_connected_account_creation),
            "tools_available_for_execution": list(cfg.tools_available_for_execution),
        },
        "deprecated_params": {"default_connector_id": None},
    }
    if cfg.proxy_config is not None:
        out["proxy_config"] = dict(cfg.proxy_config)
    return out


def render_account(
    store: Store, account: Account, base_url: str, *, detail: bool
) -> dict[str, Any]:
    cfg = store.auth_configs.get(account.auth_config_id)
    out: dict[str, Any] = {
        "toolkit": {"slug": account.toolkit},
        "auth_config": {
            "id": account.auth_config_id,
            "auth_scheme": account.auth_scheme,
            "is_composio_managed": account.is_composio_managed,
            "is_disabled": cfg is None or cfg.status == "DISABLED",
        },
        "id": account.id,
        "user_id": account.user_id,
        "status": account.status,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
        "state": state_of(account, base_url),
        "data": {},
        "status_reason": account.status_reason,
        "is_disabled": account.is_disabled,
    }
    if account.alias is not None:
        out["alias"] = account.alias
    if detail:
        out["params"] = {}
    return out


def _redirect_of(account: Account, base_url: str) -> str | None:
    return connect_url(base_url, account) if account.status == "INITIATED" else None


# -- auth configs ---------------------------------------------------------------------------
@router.route("POST", "/api/v3/auth_configs")
def create_auth_config(ctx: Ctx) -> Reply:
    body = ctx.json()
    toolkit = body.get("toolkit")
    if not isinstance(toolkit, dict) or not isinstance(toolkit.get("slug"), str):
        raise ApiError(400, "'toolkit' must be an object with a string 'slug'")
    kit = find_toolkit(toolkit["slug"].lower())
    options = body.get("auth_config") or {"type": "use_composio_managed_auth"}
    if not isinstance(options, dict):
        raise ApiError(400, "'auth_config' must be an object")
    kind = options.get("type")
    if kind == "use_composio_managed_auth":
        managed = kit["composio_managed_auth_schemes"]
        if not managed:
            raise ApiError(
                400,
                f"Toolkit {kit['slug']} has no Composio-managed auth",
                "Create the auth config with type 'use_custom_auth' and an authScheme.",
            )
        scheme, is_managed = managed[0].upper(), True
    elif kind == "use_custom_auth":
        scheme, is_managed = options.get("authScheme"), False
        if scheme not in SCHEMES:
            raise ApiError(400, f"'authScheme' must be one of {', '.join(SCHEMES)}")
    else:
        raise ApiError(
            400, "'auth_config.type' must be 'use_composio_managed_auth' or 'use_custom_auth'"
        )
    name = options.get("name") or f"{kit['name']} Auth Config"
    if not isinstance(name, str):
        raise ApiError(400, "'auth_config.name' must be a string")
    store = ctx.owner._store
    with store.lock:
        cfg = AuthConfig(
            id=nano("ac_"),
            toolkit=kit["slug"],
            name=name,
            auth_scheme=str(scheme),
            is_composio_managed=is_managed,
            seq=store.next_seq(),
        )
        _apply_options(cfg, options)
        store.auth_configs[cfg.id] = cfg
    return Reply(
        201,
        {
            "toolkit": {"slug": cfg.toolkit},
            "auth_config": {
                "id": cfg.id,
                "auth_scheme": cfg.auth_scheme,
                "is_composio_managed": cfg.is_composio_managed,
                "restrict_to_following_tools": list(cfg.restrict_to_following_tools),
            },
        },
    )


def _string_list(options: Mapping[str, Any], name: str) -> list[str] | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"'{name}' must be an array of strings")
    return list(value)


def _apply_options(cfg: AuthConfig, options: Mapping[str, Any]) -> None:
    """Copy what create/update may set; a wrong type is a 400 naming the field."""
    if "credentials" in options:
        if not isinstance(options["credentials"], dict):
            raise ApiError(400, "'credentials' must be an object")
        cfg.credentials = dict(options["credentials"])
    if "scopes" in options:  # the "default" update form puts scopes at the top
        cfg.credentials = {**cfg.credentials, "scopes": options["scopes"]}
    restrict = _string_list(options, "restrict_to_following_tools")
    if restrict is not None:
        cfg.restrict_to_following_tools = restrict
    access = options.get("tool_access_config")
    if access is not None:
        if not isinstance(access, dict):
            raise ApiError(400, "'tool_access_config' must be an object")
        creation = _string_list(access, "tools_for_connected_account_creation")
        execution = _string_list(access, "tools_available_for_execution")
        if creation is not None:
            cfg.tools_for_connected_account_creation = creation
        if execution is not None:
            cfg.tools_available_for_execution = execution
    proxy = options.get("proxy_config")
    if proxy is not None:
        if not isinstance(proxy, dict) or not isinstance(proxy.get("proxy_url"), str):
            raise ApiError(400, "'proxy_config' must be an object with a string 'proxy_url'")
        cfg.proxy_config = dict(proxy)
    touch(cfg)


@router.route("GET", "/api/v3/auth_configs")
def list_auth_configs(ctx: Ctx) -> Reply:
    kits = {k.lower() for k in ctx.many("toolkit_slug")}
    managed_raw = ctx.one("is_composio_managed")
    managed = None if managed_raw in (None, "") else managed_raw == "true"
    if managed_raw not in (None, "", "true", "false"):
        raise ApiError(400, "is_composio_managed must be 'true' or 'false'")
    show_disabled = ctx.flag("show_disabled") or False
    search = (ctx.one("search") or "").lower()
    store = ctx.owner._store
    with store.lock:
        items = [
            c
            for c in sorted(store.auth_configs.values(), key=lambda c: c.seq)
            if (not kits or c.toolkit in kits)
            and (managed is None or c.is_composio_managed is managed)
            and (show_disabled or c.status == "ENABLED")
            and (not search or search in c.name.lower())
        ]
        return Reply(200, paginate(ctx, items, lambda c: render_auth_config(store, c)))


def _auth_config(store: Store, config_id: str) -> AuthConfig:
    return lookup(store.auth_configs, config_id, "Auth config", "See auth_configs.list().")


@router.route("GET", "/api/v3/auth_configs/{nanoid}")
def retrieve_auth_config(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        return Reply(200, render_auth_config(store, _auth_config(store, ctx.params["nanoid"])))


@router.route("PATCH", "/api/v3/auth_configs/{nanoid}")
def update_auth_config(ctx: Ctx) -> Reply:
    body = ctx.json()
    kind = body.get("type")
    if kind not in ("custom", "default"):
        raise ApiError(400, "'type' must be 'custom' or 'default'")
    if kind == "custom" and not isinstance(body.get("credentials"), dict):
        raise ApiError(400, "'credentials' (an object) is required when type is 'custom'")
    store = ctx.owner._store
    with store.lock:
        cfg = _auth_config(store, ctx.params["nanoid"])
        if (kind == "default") != cfg.is_composio_managed:
            expected = "default" if cfg.is_composio_managed else "custom"
            raise ApiError(400, f"Auth config {cfg.id} is '{expected}': send type '{expected}'")
        _apply_options(cfg, body)
        return Reply(200, render_auth_config(store, cfg))


@router.route("DELETE", "/api/v3/auth_configs/{nanoid}")
def delete_auth_config(ctx: Ctx) -> Reply:
    """Deleting an auth config deletes its accounts and their triggers (nothing dangles)."""
    store = ctx.owner._store
    with store.lock:
        cfg = _auth_config(store, ctx.params["nanoid"])
        del store.auth_configs[cfg.id]
        for account in [a for a in store.accounts.values() if a.auth_config_id == cfg.id]:
            _drop_account(store, account.id)
    return Reply(200, {})


@router.route("PATCH", "/api/v3/auth_configs/{nanoid}/{status}")
def set_auth_config_status(ctx: Ctx) -> Reply:
    status = ctx.params["status"]
    if status not in ("ENABLED", "DISABLED"):
        raise ApiError(400, f"status must be ENABLED or DISABLED, got {status!r}")
    store = ctx.owner._store
    with store.lock:
        cfg = _auth_config(store, ctx.params["nanoid"])
        cfg.status = status
        touch(cfg)
    return Reply(200, {})


# -- connected accounts ---------------------------------------------------------------------
def _new_account(store: Store, cfg: AuthConfig, user_id: str, callback_url: str | None) -> Account:
    account = Account(
        id=nano("ca_"),
        user_id=user_id,
        auth_config_id=cfg.id,
        toolkit=cfg.toolkit,
        auth_scheme=cfg.auth_scheme,
        is_composio_managed=cfg.is_composio_managed,
        seq=store.next_seq(),
        callback_url=callback_url,
    )
    store.accounts[account.id] = account
    return account


def _usable_auth_config(store: Store, config_id: object) -> AuthConfig:
    if not isinstance(config_id, str) or not config_id:
        raise ApiError(400, "the auth config id must be a non-empty string")
    cfg = _auth_config(store, config_id)
    if cfg.status != "ENABLED":
        raise ApiError(400, f"Auth config {cfg.id} is disabled", "Enable it first.")
    return cfg


@router.route("POST", "/api/v3/connected_accounts")
def initiate(ctx: Ctx) -> Reply:
    body = ctx.json()
    auth_config = body.get("auth_config")
    if not isinstance(auth_config, dict):
        raise ApiError(400, "'auth_config' must be an object with an 'id'")
    connection = body.get("connection", {})
    if not isinstance(connection, dict):
        raise ApiError(400, "'connection' must be an object")
    user_id = optional_text(connection, "user_id") or "default"
    callback = optional_text(connection, "callback_url")
    # Credentials: the current place (``state.val``) or the deprecated one (``data``).
    state = connection.get("state")
    val = state.get("val") if isinstance(state, dict) else None
    data = connection.get("data")
    source = val if isinstance(val, dict) else data if isinstance(data, dict) else {}
    given = {k: v for k, v in source.items() if k != "status"}
    store = ctx.owner._store
    with store.lock:
        cfg = _usable_auth_config(store, auth_config.get("id"))
        if cfg.is_composio_managed and cfg.auth_scheme in OAUTH_SCHEMES:
            raise ApiError(400, USE_LINK_MESSAGE, USE_LINK_FIX)
        account = _new_account(store, cfg, user_id, callback)
        account.credentials = given
        # No user step needed: no auth at all, or the credentials came with the request.
        if cfg.auth_scheme == "NO_AUTH" or (given and cfg.auth_scheme not in OAUTH_SCHEMES):
            _finish(account, None)
        redirect = _redirect_of(account, ctx.base_url)
        return Reply(
            201,
            {
                "id": account.id,
                "connectionData": state_of(account, ctx.base_url),
                "status": account.status,
                "redirect_url": redirect,
                "redirect_uri": redirect,
                "deprecated": {"uuid": account.uuid, "authConfigUuid": cfg.uuid},
            },
        )


@router.route("POST", "/api/v3/connected_accounts/link")
def link(ctx: Ctx) -> Reply:
    body = ctx.json()
    user_id = required_text(body, "user_id")
    callback = optional_text(body, "callback_url")
    store = ctx.owner._store
    with store.lock:
        cfg = _usable_auth_config(store, body.get("auth_config_id"))
        account = _new_account(store, cfg, user_id, callback)
        return Reply(201, link_reply(account, ctx.base_url))


def link_reply(account: Account, base_url: str) -> dict[str, Any]:
    expires = datetime.now(timezone.utc) + timedelta(minutes=10)
    return {
        "link_token": account.token,
        "redirect_url": connect_url(base_url, account),
        "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "connected_account_id": account.id,
    }


def link_account(store: Store, cfg: AuthConfig, user_id: str, callback: str | None) -> Account:
    """A new ``INITIATED`` account (the tool router's ``link`` uses this too)."""
    return _new_account(store, cfg, user_id, callback)


@router.route("GET", "/api/v3/connected_accounts")
def list_accounts(ctx: Ctx) -> Reply:
    statuses = set(ctx.many("statuses"))
    unknown = statuses - set(STATUSES)
    if unknown:
        raise ApiError(400, f"unknown status {sorted(unknown)[0]!r}; one of {', '.join(STATUSES)}")
    order_by = ctx.one("order_by") or "created_at"
    direction = ctx.one("order_direction") or "desc"
    if order_by not in ("created_at", "updated_at") or direction not in ("asc", "desc"):
        raise ApiError(400, "order_by is created_at|updated_at, order_direction asc|desc")
    users, kits = set(ctx.many("user_ids")), {k.lower() for k in ctx.many("toolkit_slugs")}
    configs, ids = set(ctx.many("auth_config_ids")), set(ctx.many("connected_account_ids"))
    store = ctx.owner._store
    with store.lock:
        key = (lambda a: a.seq) if order_by == "created_at" else (lambda a: a.changed)
        items = [
            a
            for a in sorted(store.accounts.values(), key=key, reverse=direction == "desc")
            if (not users or a.user_id in users)
            and (not kits or a.toolkit in kits)
            and (not configs or a.auth_config_id in configs)
            and (not ids or a.id in ids)
            and (not statuses or a.status in statuses)
        ]
        render = lambda a: render_account(store, a, ctx.base_url, detail=False)  # noqa: E731
        return Reply(200, paginate(ctx, items, render))


def _account(store: Store, account_id: str) -> Account:
    return lookup(store.accounts, account_id, "Connected account", "See connected_accounts.list().")


@router.route("GET", "/api/v3/connected_accounts/{nanoid}")
def retrieve_account(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        account = _account(store, ctx.params["nanoid"])
        return Reply(200, render_account(store, account, ctx.base_url, detail=True))


def _drop_account(store: Store, account_id: str) -> None:
    store.accounts.pop(account_id, None)
    for trigger_id in [
        t.id for t in store.triggers.values() if t.connected_account_id == account_id
    ]:
        del store.triggers[trigger_id]


@router.route("DELETE", "/api/v3/connected_accounts/{nanoid}")
def delete_account(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        _drop_account(store, _account(store, ctx.params["nanoid"]).id)
    return Reply(200, {"success": True})


@router.route("PATCH", "/api/v3/connected_accounts/{nanoid}")
def patch_account(ctx: Ctx) -> Reply:
    """v3.1: set (or, with ``""``, clear) the account's ``alias``, unique among the user's
    accounts of that toolkit (a 409 names the one holding it)."""
    body = ctx.json()
    alias = body.get("alias")
    if alias is not None and not isinstance(alias, str):
        raise ApiError(400, "'alias' must be a string")
    for name in ("connection", "experimental"):
        if name in body and not isinstance(body[name], dict):
            raise ApiError(400, f"'{name}' must be an object")
    store = ctx.owner._store
    with store.lock:
        account = _account(store, ctx.params["nanoid"])
        if alias:
            holder = next(
                (
                    a
                    for a in store.accounts.values()
                    if a.alias == alias
                    and a.id != account.id
                    and (a.user_id, a.toolkit) == (account.user_id, account.toolkit)
                ),
                None,
            )
            if holder is not None:
                raise ApiError(409, f"Alias {alias!r} is already used by account {holder.id}")
        if alias is not None:
            account.alias = alias or None
            touch(account)
        return Reply(200, {"id": account.id, "status": account.status, "success": True})


@router.route("PATCH", "/api/v3/connected_accounts/{nanoId}/status")
def set_account_enabled(ctx: Ctx) -> Reply:
    body = ctx.json()
    if not isinstance(body.get("enabled"), bool):
        raise ApiError(400, "'enabled' must be true or false")
    store = ctx.owner._store
    with store.lock:
        account = _account(store, ctx.params["nanoId"])
        account.is_disabled = not body["enabled"]
        touch(account)
    return Reply(200, {"success": True})


@router.route("POST", "/api/v3/connected_accounts/{nanoid}/refresh")
def refresh(ctx: Ctx) -> Reply:
    """OAuth accounts go back to ``INITIATED`` with a fresh link; others stay as they are."""
    body = ctx.json(required=False)
    callback = optional_text(body, "redirect_url") or ctx.one("redirect_url")
    store = ctx.owner._store
    with store.lock:
        account = _account(store, ctx.params["nanoid"])
        if account.auth_scheme in OAUTH_SCHEMES:
            account.status, account.status_reason = "INITIATED", None
            account.token = secrets.token_urlsafe(16)
            touch(account)
            if callback:
                account.callback_url = callback
        return Reply(
            200,
            {
                "id": account.id,
                "status": account.status,
                "redirect_url": _redirect_of(account, ctx.base_url),
            },
        )


# -- the redirect flow ----------------------------------------------------------------------
def _finish(account: Account, error: str | None) -> None:
    if error is None:
        account.status, account.status_reason = "ACTIVE", None
        fresh = {"access_token": f"local-token-{secrets.token_hex(8)}"}
        account.credentials = {**fresh, **account.credentials}
    else:
        account.status, account.status_reason = "FAILED", error
    touch(account)


def connect_user(store: Store, user_id: str, toolkit: str) -> str:
    """An ``ACTIVE`` account for ``user_id`` on ``toolkit``, as if the whole connect flow had
    run: on the toolkit's first enabled auth config, a new Composio-managed (or, for a toolkit
    without managed auth, custom) one made when there is none."""
    kit = find_toolkit(toolkit.lower())
    with store.lock:
        cfg = next(
            (
                c
                for c in sorted(store.auth_configs.values(), key=lambda c: c.seq)
                if c.toolkit == kit["slug"] and c.status == "ENABLED"
            ),
            None,
        )
        if cfg is None:
            managed = kit["composio_managed_auth_schemes"]
            cfg = AuthConfig(
                id=nano("ac_"),
                toolkit=kit["slug"],
                name=f"{kit['name']} Auth Config",
                auth_scheme=str(managed[0]).upper() if managed else "API_KEY",
                is_composio_managed=bool(managed),
                seq=store.next_seq(),
            )
            store.auth_configs[cfg.id] = cfg
        account = _new_account(store, cfg, user_id, None)
        _finish(account, None)
        return account.id


def complete_connection(store: Store, account_id: str, error: str | None) -> str:
    """What the user's browser does at the redirect URL, without the browser."""
    with store.lock:
        account = store.accounts.get(account_id)
        if account is None:
            raise KeyError(f"no connected account {account_id!r} on this server")
        if account.status == "INITIATED":
            _finish(account, error)
        return account.status


def set_connection_status(store: Store, account_id: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    with store.lock:
        account = store.accounts.get(account_id)
        if account is None:
            raise KeyError(f"no connected account {account_id!r} on this server")
        account.status = status
        touch(account)


@router.route("GET", "/_local/connect/{token}")
def connect_page(ctx: Ctx) -> Reply:
    """The page a ``redirect_url`` opens. Idempotent: a second visit (a browser reload)
    changes nothing and lands in the same place."""
    store = ctx.owner._store
    error = ctx.one("error")
    account = store.account_by_token(ctx.params["token"])
    if account is None:
        return _page(404, "Unknown or expired connection link.")
    status = complete_connection(store, account.id, error or None)
    if account.callback_url:
        outcome = {"status": "success" if status == "ACTIVE" else "failed"}
        outcome["connected_account_id"] = account.id
        if status != "ACTIVE" and account.status_reason:
            outcome["error"] = account.status_reason
        sep = "&" if "?" in account.callback_url else "?"
        location = account.callback_url + sep + urlencode(outcome)
        return Reply(302, raw=b"", headers={"Location": location, "Content-Type": "text/plain"})
    return _page(200, f"Connection {account.id} is {status}. You can close this window.")


def _page(status: int, text: str) -> Reply:
    body = f"<!doctype html><title>Composio</title><p>{html.escape(text)}</p>".encode()
    return Reply(status, raw=body, headers={"Content-Type": "text/html; charset=utf-8"})
