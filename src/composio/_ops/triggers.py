"""``triggers.*`` operations: trigger types, trigger instances (create is a flow), enable,
disable, delete. ``verify_webhook`` is not here: it is pure (``composio.webhooks``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._operation import CallOptions, Flow, Operation, PageData, call_options
from composio._ops._body import ignore_body, json_object, text
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
from composio.models import ShapeError, TriggerInstance, TriggerType

if TYPE_CHECKING:
    from composio.pipeline import Response

__all__ = [
    "create_trigger",
    "delete_trigger",
    "list_active_triggers",
    "list_trigger_types",
    "retrieve_trigger_type",
    "set_trigger_status",
    "trigger_type_enum",
]


def list_trigger_types(
    *,
    toolkit_slugs: str | Sequence[str] | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[TriggerType]]:
    query = params(
        # An array in the spec (form, explode): toolkit_slugs=a&toolkit_slugs=b.
        ("toolkit_slugs", q_list(toolkit_slugs, "triggers.list_types: toolkit_slugs")),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, "triggers.list_types: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(
        "triggers.list_types", "/triggers_types", query, options, TriggerType._from_items, first
    )


def retrieve_trigger_type(
    slug: str, *, extra_headers: HeadersArg, timeout: Any, name: str = "triggers.retrieve_type"
) -> Operation[TriggerType]:
    path = f"/triggers_types/{slug_path(slug, f'{name}: slug')}"
    options = call_options(extra_headers, timeout)
    return Operation(name, "GET", path, lambda r: parse(r, TriggerType.from_dict), options=options)


def _slugs(data: Any) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
        raise ShapeError("expected a list of trigger type slugs")
    return tuple(data)


def trigger_type_enum(*, extra_headers: HeadersArg, timeout: Any) -> Operation[tuple[str, ...]]:
    options = call_options(extra_headers, timeout)
    return Operation(
        "triggers.type_enum",
        "GET",
        "/triggers_types/list/enum",
        lambda r: parse(r, _slugs),
        options=options,
    )


def list_active_triggers(
    *,
    trigger_ids: str | Sequence[str] | None,
    connected_account_ids: str | Sequence[str] | None,
    auth_config_ids: str | Sequence[str] | None,
    trigger_names: str | Sequence[str] | None,
    show_disabled: bool | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "triggers.list_active",
) -> Operation[PageData[TriggerInstance]]:
    """The snake_case filters (the camelCase ones are the spec's deprecated spellings); all
    arrays are repeated parameters, ``show_disabled`` the boolean ``true``/``false``."""
    where = f"{name}:"
    query = params(
        ("trigger_ids", q_list(trigger_ids, f"{where} trigger_ids")),
        ("connected_account_ids", q_list(connected_account_ids, f"{where} connected_account_ids")),
        ("auth_config_ids", q_list(auth_config_ids, f"{where} auth_config_ids")),
        ("trigger_names", q_list(trigger_names, f"{where} trigger_names")),
        ("show_disabled", q_bool(show_disabled, f"{where} show_disabled")),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, f"{where} cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(
        name, "/trigger_instances/active", query, options, TriggerInstance._from_items, first
    )


def _trigger_path(trigger_id: object, what: str) -> str:
    return f"/trigger_instances/manage/{slug_path(trigger_id, f'{what}: trigger_id')}"


def set_trigger_status(
    trigger_id: str, *, enable: bool, extra_headers: HeadersArg, timeout: Any
) -> Operation[None]:
    name = "triggers.enable" if enable else "triggers.disable"
    return Operation(
        name,
        "PATCH",
        _trigger_path(trigger_id, name),
        ignore_body,
        body={"status": "enable" if enable else "disable"},
        options=call_options(extra_headers, timeout),
    )


def delete_trigger(trigger_id: str, *, extra_headers: HeadersArg, timeout: Any) -> Operation[None]:
    return Operation(
        "triggers.delete",
        "DELETE",
        _trigger_path(trigger_id, "triggers.delete"),
        ignore_body,
        options=call_options(extra_headers, timeout),
    )


# -- create: an upsert, after finding the user's account when none is given -----------------
_NAME = "triggers.create"


def create_trigger(
    slug: str,
    *,
    user_id: str | None,
    connected_account_id: str | None,
    trigger_config: Mapping[str, Any] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[TriggerInstance]:
    """Every argument is checked here, before the flow's first request."""
    path = f"/trigger_instances/{slug_path(slug, f'{_NAME}: slug')}/upsert"
    if connected_account_id is not None:
        text(connected_account_id, f"{_NAME}: connected_account_id")
    if user_id is not None:
        text(user_id, f"{_NAME}: user_id")
    if connected_account_id is None and user_id is None:
        raise ValidationError(
            f"{_NAME}({slug!r}): pass user_id= (the user's ACTIVE account for the trigger's "
            "toolkit is found for you) or connected_account_id=."
        )
    config = (
        {} if trigger_config is None else json_object(trigger_config, f"{_NAME}: trigger_config")
    )
    options = call_options(extra_headers, timeout)
    return _create(
        slug, path, user_id, connected_account_id, config, options, extra_headers, timeout
    )


def _create(
    slug: str,
    path: str,
    user_id: str | None,
    account: str | None,
    config: dict[str, Any],
    options: CallOptions,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[TriggerInstance]:
    if account is None:
        assert user_id is not None
        ttype: TriggerType = yield retrieve_trigger_type(
            slug, extra_headers=extra_headers, timeout=timeout, name=_NAME
        )
        if ttype.toolkit is None:
            raise ValidationError(
                f"{_NAME}({slug!r}): the API did not say which toolkit this trigger type "
                "belongs to; pass connected_account_id= explicitly."
            )
        account = yield from _the_active_account(slug, user_id, ttype.toolkit.slug, options)
    body = {"connected_account_id": account, "trigger_config": config}
    trigger_id: str | None = yield Operation(
        _NAME, "POST", path, _upserted_id, body=body, options=options
    )
    # The upsert answers with the id only (or nothing: 204); the instance is read back so the
    # caller gets what the server stored, the same model list_active returns.
    page: PageData[TriggerInstance] = yield list_active_triggers(
        trigger_ids=[trigger_id] if trigger_id else None,
        connected_account_ids=None if trigger_id else [account],
        auth_config_ids=None,
        trigger_names=None if trigger_id else [slug],
        show_disabled=True,
        limit=None,
        cursor=None,
        extra_headers=extra_headers,
        timeout=timeout,
        name=_NAME,
    )
    found = next((t for t in page.items if trigger_id is None or t.id == trigger_id), None)
    if found is not None:
        return found
    # Gone between the two calls (deleted meanwhile): what the upsert itself established.
    return TriggerInstance(
        id=trigger_id or "",
        trigger_name=slug,
        connected_account_id=account,
        trigger_config=config,
    )


def _upserted_id(response: Response) -> str | None:
    if response.status_code == 204 or not response.content.strip():
        return None

    def read(data: Any) -> str:
        if not isinstance(data, Mapping) or not isinstance(data.get("trigger_id"), str):
            raise ShapeError("expected an object with a 'trigger_id' string")
        return str(data["trigger_id"])

    return parse(response, read)


def _as_is(items: list[Any], request_id: str | None) -> tuple[Any, ...]:
    return tuple(items)


def _account_ids(data: Any) -> tuple[list[str], int | None]:
    page = PageData.from_json(data, _as_is)
    ids = [i["id"] for i in page.items if isinstance(i, Mapping) and isinstance(i.get("id"), str)]
    return ids, page.total_items


def _the_active_account(slug: str, user_id: str, toolkit: str, options: CallOptions) -> Flow[str]:
    """One list call: the user's ACTIVE accounts of that toolkit; exactly one must exist."""
    query = params(
        ("user_ids", [user_id]),
        ("toolkit_slugs", [toolkit]),
        ("statuses", ["ACTIVE"]),
    )
    found: tuple[list[str], int | None] = yield Operation(
        _NAME,
        "GET",
        "/connected_accounts",
        lambda r: parse(r, _account_ids),
        query=query,
        options=options,
    )
    ids, total = found
    if len(ids) == 1 and (total is None or total <= 1):
        return ids[0]
    if not ids:
        raise ValidationError(
            f"{_NAME}({slug!r}): user {user_id!r} has no ACTIVE {toolkit} connected account; "
            f"connect one first (connected_accounts.link / toolkits.authorize), or pass "
            "connected_account_id=."
        )
    more = f" and {total - len(ids)} more" if total and total > len(ids) else ""
    raise ValidationError(
        f"{_NAME}({slug!r}): user {user_id!r} has several ACTIVE {toolkit} connected "
        f"accounts ({', '.join(ids)}{more}); pass connected_account_id= to choose one."
    )
