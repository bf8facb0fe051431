"""``auth_configs.*`` operations: how a toolkit's users authenticate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composio._operation import Flow, Operation, PageData, call_options
from composio._ops._body import ignore_body, json_object
from composio._ops._encode import (
    page_operation,
    params,
    parse,
    q_bool,
    q_limit,
    q_str,
    slug_path,
)
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import AuthConfig

__all__ = [
    "create_auth_config",
    "delete_auth_config",
    "list_auth_configs",
    "retrieve_auth_config",
    "set_auth_config_status",
    "update_auth_config",
]


def _path(config_id: object, method: str, suffix: str = "") -> str:
    return f"/auth_configs/{slug_path(config_id, f'auth_configs.{method}: id')}{suffix}"


def _nothing(response: Any) -> None:
    return None


def create_auth_config(
    toolkit: str,
    *,
    options: Mapping[str, Any] | None,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "auth_configs.create",
) -> Operation[AuthConfig]:
    """``options`` is the body's ``auth_config`` object (e.g. ``{"type": "use_custom_auth",
    "authScheme": "API_KEY", "credentials": {...}}``); ``None`` sends none, which the API
    takes as Composio-managed auth."""
    slug = q_str(toolkit, "auth_configs.create: toolkit")
    if slug is None:
        raise ValidationError("auth_configs.create: toolkit must be a toolkit slug, e.g. 'github'.")
    body: dict[str, Any] = {"toolkit": {"slug": slug}}
    if options is not None:
        body["auth_config"] = json_object(options, "auth_configs.create: options")
    return Operation(
        name,
        "POST",
        "/auth_configs",
        lambda r: parse(r, AuthConfig.from_created),
        body=body,
        options=call_options(extra_headers, timeout),
    )


def list_auth_configs(
    *,
    toolkit_slug: str | None,
    is_composio_managed: bool | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
    name: str = "auth_configs.list",
) -> Operation[PageData[AuthConfig]]:
    query = params(
        ("toolkit_slug", q_str(toolkit_slug, "auth_configs.list: toolkit_slug")),
        (
            "is_composio_managed",
            q_bool(is_composio_managed, "auth_configs.list: is_composio_managed"),
        ),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, "auth_configs.list: cursor")
    return page_operation(
        name,
        "/auth_configs",
        query,
        call_options(extra_headers, timeout),
        AuthConfig._from_items,
        first,
    )


def retrieve_auth_config(
    config_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[AuthConfig]:
    return Operation(
        "auth_configs.retrieve",
        "GET",
        _path(config_id, "retrieve"),
        lambda r: parse(r, AuthConfig.from_dict),
        options=call_options(extra_headers, timeout),
    )


def update_auth_config(
    config_id: str, *, options: Mapping[str, Any], extra_headers: HeadersArg, timeout: Any
) -> Flow[AuthConfig]:
    """``options`` is the body as the spec types it: ``{"type": "custom", "credentials":
    {...}}`` or ``{"type": "default", ...}``. The API answers the PATCH with an empty object,
    so the updated config is read back (a second request, also named ``auth_configs.update``)
    to return what every other method returns: the resource's model."""
    path = _path(config_id, "update")
    body = json_object(options, "auth_configs.update: options")
    if body.get("type") not in ("custom", "default"):
        raise ValidationError(
            "auth_configs.update: options needs 'type': 'custom' (your own app's credentials) "
            "or 'default' (Composio-managed)."
        )
    call = call_options(extra_headers, timeout)
    patch = Operation("auth_configs.update", "PATCH", path, _nothing, body=body, options=call)
    read = Operation(
        "auth_configs.update", "GET", path, lambda r: parse(r, AuthConfig.from_dict), options=call
    )
    return _update(patch, read)


def _update(patch: Operation[None], read: Operation[AuthConfig]) -> Flow[AuthConfig]:
    yield patch
    config: AuthConfig = yield read
    return config


def delete_auth_config(
    config_id: str, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[None]:
    return Operation(
        "auth_configs.delete",
        "DELETE",
        _path(config_id, "delete"),
        ignore_body,
        options=call_options(extra_headers, timeout),
    )


def set_auth_config_status(
    config_id: str, enabled: bool, *, extra_headers: HeadersArg, timeout: Any
) -> Operation[None]:
    name = "enable" if enabled else "disable"
    status = "ENABLED" if enabled else "DISABLED"
    return Operation(
        f"auth_configs.{name}",
        "PATCH",
        _path(config_id, name, f"/{status}"),
        ignore_body,
        options=call_options(extra_headers, timeout),
    )
