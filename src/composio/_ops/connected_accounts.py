"""``connected_accounts.*`` operations: connect a user's account, list, inspect, wait.

``initiate`` is a flow (the ``allow_multiple`` check lists the user's accounts first, then
creates one); ``wait_for_connection`` is a flow that polls with backoff and yields
:class:`~composio._operation.Sleep` between polls, so the sync and the async client run the
same waiting logic with their own sleep.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from composio._operation import CallOptions, Flow, Operation, PageData, Sleep, call_options
from composio._ops._body import check_json, ignore_body, text
from composio._ops._encode import (
    page_operation,
    params,
    parse,
    q_limit,
    q_list,
    q_str,
    slug_path,
)
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.config import Timeout
from composio.errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    ConnectionFailedError,
    InternalServerError,
    MultipleConnectedAccountsError,
    RateLimitError,
    ValidationError,
)
from composio.models import ConnectedAccount, ConnectionRequest, ShapeError

__all__ = [
    "STATUSES",
    "TERMINAL",
    "delete_account",
    "initiate_account",
    "link_account",
    "list_accounts",
    "refresh_account",
    "retrieve_account",
    "set_account_enabled",
    "update_account",
    "wait_for_account",
]

#: The statuses ``list(statuses=...)`` accepts: the spec's, plus v3.1's ``REVOKED``.
STATUSES = ("INITIALIZING", "INITIATED", "ACTIVE", "FAILED", "EXPIRED", "INACTIVE", "REVOKED")
#: States a connection does not leave by waiting: ``wait_for_connection`` stops on them.
TERMINAL = frozenset({"FAILED", "EXPIRED", "INACTIVE", "REVOKED"})
#: Schemes whose connection starts with the user's consent rather than given credentials.
_OAUTH = frozenset({"OAUTH1", "OAUTH2", "DCR_OAUTH"})

#: Polling: first wait, cap, and the jitter band (a factor in [1 - J, 1 + J]).
POLL_START, POLL_CAP, POLL_JITTER = 0.5, 5.0, 0.25


def _account_path(account_id: object, method: str, suffix: str = "") -> str:
    return (
        f"/connected_accounts/{slug_path(account_id, f'connected_accounts.{method}: id')}{suffix}"
    )


# -- reading answers -------------------------------------------------------------------------


def _request_from_initiate(data: Any) -> ConnectionRequest:
    """``POST /connected_accounts``: ``status``/``redirect_url`` at the top (deprecated there)
    or in ``connectionData.val`` (where the spec now puts them)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise ShapeError("expected an object with a string 'id'")
    conn = data.get("connectionData")
    val = conn.get("val") if isinstance(conn, Mapping) else None
    val = val if isinstance(val, Mapping) else {}
    status = data.get("status") or val.get("status")
    redirect = data.get("redirect_url") or val.get("redirectUrl") or val.get("redirect_url")
    extra = {k: v for k, v in data.items() if k not in ("id", "status", "redirect_url")}
    return _connection_request(data["id"], status, redirect, extra)


def _request_from_link(data: Any) -> ConnectionRequest:
    """``POST /connected_accounts/link``: a new account, ``INITIATED`` until the user acts."""
    if not isinstance(data, Mapping) or not isinstance(data.get("connected_account_id"), str):
        raise ShapeError("expected an object with a string 'connected_account_id'")
    extra = {k: v for k, v in data.items() if k not in ("connected_account_id", "redirect_url")}
    return _connection_request(
        data["connected_account_id"], "INITIATED", data.get("redirect_url"), extra
    )


def _request_from_refresh(data: Any) -> ConnectionRequest:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise ShapeError("expected an object with a string 'id'")
    extra = {k: v for k, v in data.items() if k not in ("id", "status", "redirect_url")}
    return _connection_request(data["id"], data.get("status"), data.get("redirect_url"), extra)


def _connection_request(
    account_id: str, status: object, redirect: object, extra: dict[str, Any]
) -> ConnectionRequest:
    if not isinstance(status, str):
        raise ShapeError("the connection's status is missing")
    return ConnectionRequest(
        account_id,
        status,
        redirect if isinstance(redirect, str) and redirect else None,
        MappingProxyType(extra),
    )


# -- operations ------------------------------------------------------------------------------


def link_account(
    user_id: str,
    auth_config_id: str,
    *,
    callback_url: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "connected_accounts.link",
) -> Operation[ConnectionRequest]:
    body: dict[str, Any] = {
        "auth_config_id": text(auth_config_id, f"{name}: auth_config_id"),
        "user_id": text(user_id, f"{name}: user_id"),
    }
    if q_str(callback_url, f"{name}: callback_url") is not None:
        body["callback_url"] = callback_url
    return Operation(
        name,
        "POST",
        "/connected_accounts/link",
        lambda r: parse(r, _request_from_link),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def initiate_account(
    user_id: str,
    auth_config_id: str,
    *,
    callback_url: str | None,
    allow_multiple: bool,
    config: Mapping[str, Any] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[ConnectionRequest]:
    """Every argument is checked before the first request (the ``allow_multiple`` list)."""
    name = "connected_accounts.initiate"
    user = text(user_id, f"{name}: user_id")
    config_id = text(auth_config_id, f"{name}: auth_config_id")
    if not isinstance(allow_multiple, bool):
        raise ValidationError(f"{name}: allow_multiple must be True or False.")
    connection: dict[str, Any] = {"user_id": user}
    if q_str(callback_url, f"{name}: callback_url") is not None:
        connection["callback_url"] = callback_url
    if config is not None:
        connection["state"] = _connection_state(config)
    options = call_options(extra_headers, timeout)
    create = Operation(
        name,
        "POST",
        "/connected_accounts",
        lambda r: parse(r, _request_from_initiate),
        body={"auth_config": {"id": config_id}, "connection": connection},
        options=options,
    )
    existing = None
    if not allow_multiple:
        existing = _list(
            name,
            [
                ("user_ids", [user]),
                ("auth_config_ids", [config_id]),
                ("statuses", ["ACTIVE"]),
                ("limit", "1"),
            ],
            options,
        )
    return _initiate(user, config_id, existing, create)


def _initiate(
    user_id: str,
    auth_config_id: str,
    existing: Operation[PageData[ConnectedAccount]] | None,
    create: Operation[ConnectionRequest],
) -> Flow[ConnectionRequest]:
    if existing is not None:
        page: PageData[ConnectedAccount] = yield existing
        if page.items:
            found = page.items[0].id
            raise MultipleConnectedAccountsError(
                f"connected_accounts.initiate: user {user_id!r} already has an ACTIVE connected "
                f"account {found} for auth config {auth_config_id}; use it, or pass "
                "allow_multiple=True to create another.",
                account_id=found,
                user_id=user_id,
                auth_config_id=auth_config_id,
            )
    try:
        request: ConnectionRequest = yield create
    except BadRequestError as exc:
        if _says_use_link(exc):
            raise _use_link_error(exc) from exc
        raise
    return request


_LINK_HINT = re.compile(r"connected_accounts/link|\buse\b[^.]*\blink\b", re.IGNORECASE)


def _says_use_link(exc: BadRequestError) -> bool:
    return bool(_LINK_HINT.search(f"{exc.message} {exc.suggested_fix or ''}"))


def _use_link_error(exc: BadRequestError) -> BadRequestError:
    """The API refuses ``POST /connected_accounts`` for Composio-managed OAuth (since
    2026-07): same class (``except BadRequestError`` still works), a message that says what
    to call instead."""
    return BadRequestError(
        "connected_accounts.initiate: this auth config uses Composio-managed OAuth, which the "
        "API only connects through a link: call connected_accounts.link(user_id, "
        f"auth_config_id) (or toolkits.authorize(user_id, toolkit)) instead. {exc.message}",
        request=exc.request,
        status_code=exc.status_code,
        body=exc.body,
        code=exc.code,
        suggested_fix=exc.suggested_fix,
        request_id=exc.request_id,
        response=exc.response,
    )


def _connection_state(config: object) -> dict[str, Any]:
    """``config`` is the spec's connection ``state``: ``{"authScheme": ..., "val": {...}}``.

    The vendor's Python helpers spell the key ``auth_scheme`` (its client renames it on the
    wire); both are accepted and ``authScheme`` is sent. A ``val`` without ``status`` gets the
    one the API expects for the scheme (``INITIALIZING`` for OAuth, else ``ACTIVE``).
    """
    where = "connected_accounts.initiate: config"
    if not isinstance(config, Mapping):
        raise ValidationError(
            f'{where} must be a mapping like {{"authScheme": "API_KEY", "val": {{...}}}}.'
        )
    state = dict(config)
    if "auth_scheme" in state and "authScheme" not in state:
        state["authScheme"] = state.pop("auth_scheme")
    scheme = state.get("authScheme")
    if not isinstance(scheme, str) or not scheme:
        raise ValidationError(f"{where} needs 'authScheme' (e.g. 'API_KEY', 'OAUTH2').")
    val = state.get("val", {})
    if not isinstance(val, Mapping):
        raise ValidationError(f"{where}: 'val' must be a mapping of connection fields.")
    val = dict(val)
    val.setdefault("status", "INITIALIZING" if scheme in _OAUTH else "ACTIVE")
    state["val"] = val
    check_json(state, where)
    return state


def _list(
    name: str, query: list[tuple[str, Any]], options: CallOptions, cursor: str | None = None
) -> Operation[PageData[ConnectedAccount]]:
    return page_operation(
        name,
        "/connected_accounts",
        params(*query),
        options,
        ConnectedAccount._from_items,
        cursor,
    )


def _statuses(value: object) -> list[str] | None:
    items = q_list(value, "connected_accounts.list: statuses")
    if items is None:
        return None
    out = [s.upper() for s in items]
    bad = [s for s in out if s not in STATUSES]
    if bad:
        raise ValidationError(
            f"connected_accounts.list: statuses has {bad[0]!r:.30}; each must be one of "
            f"{', '.join(STATUSES)}."
        )
    return out


def list_accounts(
    *,
    user_ids: Any,
    toolkit_slugs: Any,
    auth_config_ids: Any,
    statuses: Any,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[ConnectedAccount]]:
    name = "connected_accounts.list"
    # Arrays in the spec (form, explode): user_ids=a&user_ids=b.
    query = [
        ("toolkit_slugs", q_list(toolkit_slugs, f"{name}: toolkit_slugs")),
        ("statuses", _statuses(statuses)),
        ("limit", q_limit(limit)),
        ("user_ids", q_list(user_ids, f"{name}: user_ids")),
        ("auth_config_ids", q_list(auth_config_ids, f"{name}: auth_config_ids")),
    ]
    first = q_str(cursor, f"{name}: cursor")
    return _list(name, query, call_options(extra_headers, timeout), first)


def retrieve_account(
    account_id: str, *, extra_headers: HeadersArg, timeout: Any, name: str = "retrieve"
) -> Operation[ConnectedAccount]:
    return Operation(
        f"connected_accounts.{name}",
        "GET",
        _account_path(account_id, name),
        lambda r: parse(r, ConnectedAccount.from_dict),
        options=call_options(extra_headers, timeout),
    )


def delete_account(account_id: str, *, extra_headers: HeadersArg, timeout: Any) -> Operation[None]:
    return Operation(
        "connected_accounts.delete",
        "DELETE",
        _account_path(account_id, "delete"),
        ignore_body,
        options=call_options(extra_headers, timeout),
    )


def set_account_enabled(
    account_id: str, enabled: bool, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[None]:
    name = "enable" if enabled else "disable"
    return Operation(
        f"connected_accounts.{name}",
        "PATCH",
        _account_path(account_id, name, "/status"),
        ignore_body,
        body={"enabled": enabled},
        options=call_options(extra_headers, timeout),
    )


def update_account(
    account_id: str, *, alias: str, extra_headers: HeadersArg, timeout: Any
) -> Flow[ConnectedAccount]:
    """``PATCH /connected_accounts/{id}`` (v3.1) with the ``alias`` (``""`` clears it). The
    API answers only ``{id, status, success}``, so one read-back GET follows (SPEC §14)."""
    name = "connected_accounts.update"
    if not isinstance(alias, str):
        raise ValidationError(f"{name}: alias must be a string ('' clears it).")
    options = call_options(extra_headers, timeout)
    patch = Operation(
        name,
        "PATCH",
        _account_path(account_id, "update"),
        ignore_body,
        body={"alias": alias},
        options=options,
    )
    return _patch_then_read(patch, account_id, options)


def _patch_then_read(
    patch: Operation[None], account_id: str, options: CallOptions
) -> Flow[ConnectedAccount]:
    yield patch
    read = Operation(
        patch.name,
        "GET",
        _account_path(account_id, "update"),
        lambda r: parse(r, ConnectedAccount.from_dict),
        options=options,
    )
    account: ConnectedAccount = yield read
    return account


def refresh_account(
    account_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[ConnectionRequest]:
    return Operation(
        "connected_accounts.refresh",
        "POST",
        _account_path(account_id, "refresh", "/refresh"),
        lambda r: parse(r, _request_from_refresh),
        options=call_options(extra_headers, timeout),
    )


# -- waiting ---------------------------------------------------------------------------------


def wait_for_account(
    account_id: str, *, timeout: float, extra_headers: HeadersArg
) -> Flow[ConnectedAccount]:
    """Poll ``GET /connected_accounts/{id}`` until ``ACTIVE``; see ``ConnectedAccounts``.

    ``timeout`` is a real deadline: each poll's own deadline is capped by what is left, so a
    slow poll cannot carry the wait past it.
    """
    # The same rule as a call's timeout: positive, finite seconds (a Timeout's total works too).
    seconds = Timeout.coerce(timeout, "connected_accounts.wait_for_connection: timeout").total
    path = _account_path(account_id, "wait_for_connection")
    # Each poll has the client's call timeout, capped by what is left of the wait.
    options = call_options(extra_headers, NOT_GIVEN)
    return _wait(str(account_id), path, seconds, options)


def backoff(attempt: int, rand: float) -> float:
    """The wait after poll number ``attempt`` (0-based): 0.5 s doubling to a 5 s cap, times a
    jitter factor in [0.75, 1.25] (``rand`` in [0, 1)), so many waiters do not poll in step."""
    base = min(POLL_START * 2.0**attempt, POLL_CAP)
    return min(base * (1.0 - POLL_JITTER + 2 * POLL_JITTER * rand), POLL_CAP)


#: Poll failures worth another poll (the chain already retried them): the server or the
#: network may recover before the deadline. Anything else (404, 401...) ends the wait.
_TRANSIENT = (APIConnectionError, InternalServerError, RateLimitError)


def _wait(
    account_id: str, path: str, seconds: float, options: CallOptions
) -> Flow[ConnectedAccount]:
    name = "connected_accounts.wait_for_connection"
    deadline = time.monotonic() + seconds
    last = "unknown (no poll answered)"
    attempt = 0
    while True:
        op = Operation(
            name,
            "GET",
            path,
            lambda r: parse(r, ConnectedAccount.from_dict),
            options=options.until(deadline),
        )
        try:
            account: ConnectedAccount = yield op
        except _TRANSIENT as exc:
            if time.monotonic() >= deadline:
                raise _timed_out(account_id, seconds, last, exc) from exc
        else:
            status = (account.status or "").upper()
            last = status or "without a status"
            if status == "ACTIVE":
                return account
            if status in TERMINAL:
                reason = f" ({account.status_reason})" if account.status_reason else ""
                raise ConnectionFailedError(
                    f"{name}: connected account {account_id} is {status}{reason}; it will "
                    "not become ACTIVE by waiting: start a new connection (link, initiate "
                    "or refresh).",
                    account_id=account_id,
                    status=status,
                    reason=account.status_reason,
                    account=account,
                )
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(account_id, seconds, last, None)
        yield Sleep(min(backoff(attempt, random.random()), left))
        attempt += 1
        if time.monotonic() >= deadline:
            raise _timed_out(account_id, seconds, last, None)


def _timed_out(
    account_id: str, seconds: float, last: str, cause: Exception | None
) -> APITimeoutError:
    request = getattr(cause, "request", None)
    return APITimeoutError(
        f"connected_accounts.wait_for_connection: connected account {account_id} was not "
        f"ACTIVE within {seconds:g}s (last status: {last}). Has the user opened the "
        "redirect_url? Wait again, or start a new connection.",
        request=request,
        sent=cause is not None,
        kind="deadline",
    )
