"""Trigger types (from the catalog) and trigger instances (stateful, per connected account).
Firing an instance is :meth:`LocalServer.fire_trigger` (see ``_webhooks_sender``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composio.testing._routing import ApiError, Ctx, Reply, Router, lookup, paginate
from composio.testing._state import Store, TriggerInstance, nano, now_iso, touch
from composio.testing.catalog import TRIGGER_TYPES

__all__ = ["router"]

router = Router()


def find_trigger_type(slug: str) -> dict[str, Any]:
    found = next((t for t in TRIGGER_TYPES if t["slug"] == slug.upper()), None)
    if found is None:
        raise ApiError(
            404, f"Trigger type {slug} not found", "List them with triggers.list_types()."
        )
    return found


# -- types ----------------------------------------------------------------------------------
@router.route("GET", "/api/v3/triggers_types")
def list_types(ctx: Ctx) -> Reply:
    kits = {k.lower() for k in ctx.many("toolkit_slugs")}
    items = [t for t in TRIGGER_TYPES if not kits or t["toolkit"]["slug"] in kits]
    return Reply(200, paginate(ctx, items))


@router.route("GET", "/api/v3/triggers_types/list/enum")
def types_enum(ctx: Ctx) -> Reply:
    return Reply(200, [t["slug"] for t in TRIGGER_TYPES])


@router.route("GET", "/api/v3/triggers_types/{slug}")
def retrieve_type(ctx: Ctx) -> Reply:
    return Reply(200, find_trigger_type(ctx.params["slug"]))


# -- instances ------------------------------------------------------------------------------
def render_trigger(store: Store, trigger: TriggerInstance) -> dict[str, Any]:
    account = store.accounts.get(trigger.connected_account_id)
    return {
        "uuid": trigger.uuid,
        "id": trigger.id,
        "connected_account_id": trigger.connected_account_id,
        "trigger_name": trigger.slug,
        "connected_account_uuid": account.uuid if account else "",
        "user_id": trigger.user_id,
        "version": find_trigger_type(trigger.slug)["version"],  # v3.1: the type's version
        "trigger_config": dict(trigger.config),
        "state": {},
        "updated_at": trigger.updated_at,
        "disabled_at": trigger.disabled_at,
        "disabledAt": trigger.disabled_at,
        "connectedAccountId": trigger.connected_account_id,
        "triggerName": trigger.slug,
        "updatedAt": trigger.updated_at,
        "triggerConfig": dict(trigger.config),
        "deprecated": {"createdAt": trigger.created_at},
    }


def _config_problem(trigger_type: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    missing = [name for name in trigger_type["config"]["required"] if name not in config]
    if missing:
        return f"trigger_config is missing {', '.join(repr(m) for m in missing)}"
    return None


def _user_account(store: Store, user_id: str, toolkit: str) -> str:
    """The user's one ``ACTIVE`` account for the toolkit; none or several is a 400 saying
    which (the API does not guess between a user's accounts)."""
    found = [
        a.id
        for a in sorted(store.accounts.values(), key=lambda a: a.seq)
        if a.user_id == user_id and a.toolkit == toolkit and a.status == "ACTIVE"
    ]
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise ApiError(
            400,
            f"User {user_id} has {what} ACTIVE {toolkit} connected accounts",
            "Pass connected_account_id to choose one."
            if found
            else f"Connect a {toolkit} account for the user first.",
        )
    return found[0]


@router.route("POST", "/api/v3/trigger_instances/{slug}/upsert")
def upsert(ctx: Ctx) -> Reply:
    """Create the instance, or update the config of the one this account already has for
    this trigger type (an upsert, as its name says)."""
    trigger_type = find_trigger_type(ctx.params["slug"])
    body = ctx.json(required=False)
    account_id = body.get("connected_account_id", body.get("connectedAuthId"))
    user_id = body.get("user_id")
    config = body.get("trigger_config", body.get("triggerConfig", {}))
    if account_id is None and isinstance(user_id, str) and user_id:
        pass  # v3.1: the server resolves the user's account (below, under the lock)
    elif not isinstance(account_id, str) or not account_id:
        raise ApiError(
            400,
            "'connected_account_id' or 'user_id' is required",
            "Pass the user's account id, or the user id.",
        )
    if not isinstance(config, dict):
        raise ApiError(400, "'trigger_config' must be an object")
    problem = _config_problem(trigger_type, config)
    if problem:
        raise ApiError(400, problem, f"See triggers.retrieve_type({trigger_type['slug']!r}).")
    store = ctx.owner._store
    with store.lock:
        if account_id is None:
            account_id = _user_account(store, str(user_id), trigger_type["toolkit"]["slug"])
        account = lookup(store.accounts, account_id, "Connected account")
        if account.toolkit != trigger_type["toolkit"]["slug"]:
            raise ApiError(
                400,
                f"{trigger_type['slug']} is a {trigger_type['toolkit']['slug']} trigger; "
                f"account {account_id} is for {account.toolkit}",
            )
        if account.status != "ACTIVE":
            raise ApiError(
                400,
                f"Connected account {account_id} is {account.status}, not ACTIVE",
                "Complete the connection before creating triggers on it.",
            )
        trigger = next(
            (
                t
                for t in store.triggers.values()
                if t.slug == trigger_type["slug"] and t.connected_account_id == account_id
            ),
            None,
        )
        if trigger is None:
            trigger = TriggerInstance(
                id=nano("ti_"),
                slug=trigger_type["slug"],
                connected_account_id=account_id,
                user_id=account.user_id,
                auth_config_id=account.auth_config_id,
                seq=store.next_seq(),
            )
            store.triggers[trigger.id] = trigger
        trigger.config = dict(config)
        touch(trigger)
        return Reply(200, {"trigger_id": trigger.id, "deprecated": {"uuid": trigger.uuid}})


@router.route("GET", "/api/v3/trigger_instances/active")
def list_active(ctx: Ctx) -> Reply:
    accounts = set(ctx.many("connected_account_ids") + ctx.many("connectedAccountIds"))
    configs = set(ctx.many("auth_config_ids") + ctx.many("authConfigIds"))
    ids = set(ctx.many("trigger_ids") + ctx.many("triggerIds"))
    names = {n.upper() for n in ctx.many("trigger_names") + ctx.many("triggerNames")}
    show_disabled = ctx.flag("show_disabled") or ctx.flag("showDisabled") or False
    store = ctx.owner._store
    with store.lock:
        items = [
            t
            for t in sorted(store.triggers.values(), key=lambda t: t.seq)
            if (not accounts or t.connected_account_id in accounts)
            and (not configs or t.auth_config_id in configs)
            and (not ids or t.id in ids)
            and (not names or t.slug in names)
            and (show_disabled or t.disabled_at is None)
        ]
        return Reply(200, paginate(ctx, items, lambda t: render_trigger(store, t)))


def _trigger(store: Store, trigger_id: str) -> TriggerInstance:
    return lookup(store.triggers, trigger_id, "Trigger", "See triggers.list_active().")


@router.route("PATCH", "/api/v3/trigger_instances/manage/{triggerId}")
def set_trigger_status(ctx: Ctx) -> Reply:
    body = ctx.json()
    status = body.get("status")
    if status not in ("enable", "disable"):
        raise ApiError(400, "'status' must be 'enable' or 'disable'")
    store = ctx.owner._store
    with store.lock:
        trigger = _trigger(store, ctx.params["triggerId"])
        if status == "enable":
            account = store.accounts.get(trigger.connected_account_id)
            if account is None or account.status != "ACTIVE" or account.is_disabled:
                raise ApiError(
                    409,
                    f"Trigger {trigger.id} cannot be enabled: its connected account "
                    f"{trigger.connected_account_id} is not active",
                )
            trigger.disabled_at = None
        elif trigger.disabled_at is None:
            trigger.disabled_at = now_iso()
        touch(trigger)
    return Reply(200, {"status": "success"})


@router.route("DELETE", "/api/v3/trigger_instances/manage/{triggerId}")
def delete_trigger(ctx: Ctx) -> Reply:
    store = ctx.owner._store
    with store.lock:
        trigger = _trigger(store, ctx.params["triggerId"])
        del store.triggers[trigger.id]
    return Reply(200, {"trigger_id": trigger.id})


@router.route("POST", "/_local/triggers/{triggerId}/fire")
def fire_trigger_over_http(ctx: Ctx) -> Reply:
    """:meth:`LocalServer.fire_trigger` from outside the process, for ``composio dev-server
    --webhook-url``: body ``{"data": {...}}``, answer ``{"receiver_status": 204}``. Outside
    the API's paths (not in the spec), but the key is checked: it makes the server send."""
    if ctx.headers.get("x-api-key") != ctx.owner.api_key:
        raise ApiError(401, "Invalid or missing API key")
    data = ctx.json(required=False).get("data", {})
    if not isinstance(data, dict):
        raise ApiError(400, "'data' must be a JSON object")
    try:
        status = ctx.owner.fire_trigger(ctx.params["triggerId"], data)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except ConnectionError:
        raise ApiError(502, "The webhook receiver never answered") from None
    return Reply(200, {"receiver_status": status})
