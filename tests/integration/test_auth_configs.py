"""``auth_configs`` over loopback on both clients (SPEC §14): every method, its wire form
(body exactly as the spec types it, no body where the spec declares none) and its result."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from composio import AuthConfig, BadRequestError, NotFoundError, ValidationError
from composio.testing import LocalServer


def test_create_without_options_is_composio_managed(server: LocalServer, client: Any) -> None:
    config = client.auth_configs.create("github")
    assert isinstance(config, AuthConfig)
    assert config.id.startswith("ac_") and config.is_composio_managed is True
    assert config.toolkit is not None and config.toolkit.slug == "github"
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/v3.1/auth_configs")
    # ``None`` options: no ``auth_config`` object at all (the API's default: managed auth).
    assert json.loads(sent.body) == {"toolkit": {"slug": "github"}}
    assert pickle.loads(pickle.dumps(config)) == config


def test_create_with_options_sends_them_as_the_auth_config_object(
    server: LocalServer, client: Any
) -> None:
    options = {
        "type": "use_custom_auth",
        "authScheme": "API_KEY",
        "name": "Team key",
        "credentials": {"api_key": "shared"},
    }
    config = client.auth_configs.create("github", options=options)
    assert config.is_composio_managed is False and config.auth_scheme == "API_KEY"
    assert json.loads(server.requests[-1].body) == {
        "toolkit": {"slug": "github"},
        "auth_config": options,
    }
    full = client.auth_configs.retrieve(config.id)
    assert (full.name, full.type, full.status) == ("Team key", "custom", "ENABLED")


def test_list_filters_and_pages(server: LocalServer, client: Any) -> None:
    made = [client.auth_configs.create(kit) for kit in ("github", "gmail", "github")]
    custom = client.auth_configs.create(
        "github", options={"type": "use_custom_auth", "authScheme": "BEARER_TOKEN"}
    )
    page = client.auth_configs.list(toolkit_slug="github", is_composio_managed=True)
    assert {c.id for c in page.items} == {made[0].id, made[2].id}
    assert server.requests[-1].query == {
        "toolkit_slug": ["github"],
        "is_composio_managed": ["true"],
    }
    page = client.auth_configs.list(is_composio_managed=False)
    assert [c.id for c in page.items] == [custom.id]
    first = client.auth_configs.list(limit=2)
    assert len(first.items) == 2 and first.has_next_page()
    assert sorted(c.id for c in first) == sorted([*(m.id for m in made), custom.id])


def test_update_sends_options_as_the_body_and_returns_the_config(
    server: LocalServer, client: Any
) -> None:
    config = client.auth_configs.create(
        "github", options={"type": "use_custom_auth", "authScheme": "API_KEY"}
    )
    options = {"type": "custom", "credentials": {"api_key": "rotated"}}
    updated = client.auth_configs.update(config.id, options=options)
    assert isinstance(updated, AuthConfig) and updated.id == config.id
    assert updated.credentials == {"api_key": "rotated"}
    patch, read = server.requests[-2:]
    assert (patch.method, json.loads(patch.body)) == ("PATCH", options)
    assert (read.method, read.body) == ("GET", b"")
    with pytest.raises(BadRequestError):  # a managed config cannot take type "custom"
        client.auth_configs.update(client.auth_configs.create("gmail").id, options=options)


def test_enable_disable_delete_return_none(server: LocalServer, client: Any) -> None:
    config = client.auth_configs.create("github")
    assert client.auth_configs.disable(config.id) is None
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("PATCH", f"/api/v3.1/auth_configs/{config.id}/DISABLED")
    assert sent.body == b""  # the spec declares no body for this operation
    assert client.auth_configs.retrieve(config.id).status == "DISABLED"
    assert config.id not in {c.id for c in client.auth_configs.list().items}
    assert client.auth_configs.enable(config.id) is None
    assert server.requests[-1].path.endswith("/ENABLED")
    assert client.auth_configs.retrieve(config.id).status == "ENABLED"
    assert client.auth_configs.delete(config.id) is None
    assert (server.requests[-1].method, server.requests[-1].body) == ("DELETE", b"")
    with pytest.raises(NotFoundError):
        client.auth_configs.retrieve(config.id)


def test_bad_input_names_the_argument_and_sends_nothing(server: LocalServer, client: Any) -> None:
    configs = client.auth_configs
    calls: list[tuple[Any, str]] = [
        (lambda: configs.create(""), "toolkit"),
        (lambda: configs.create("github", options=["x"]), "options"),
        (lambda: configs.create("github", options={"x": float("nan")}), "options"),
        (lambda: configs.list(is_composio_managed="yes"), "is_composio_managed"),
        (lambda: configs.list(limit=-1), "limit"),
        (lambda: configs.retrieve(""), "id"),
        (lambda: configs.update("ac_1", options={"credentials": {}}), "type"),
        (lambda: configs.delete(None), "id"),
    ]
    for call, name in calls:
        with pytest.raises(ValidationError, match=name):
            call()
    assert server.requests == []
