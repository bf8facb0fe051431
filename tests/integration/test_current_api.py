"""SPEC §18 "Fidelity": the SDK on the current API's shapes and routes, both clients."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from composio import BadRequestError, ConflictError, ValidationError
from composio.models import Toolkit, ToolRouterSession, TriggerInstance
from composio.testing import LocalServer


def _connected(client: Any, server: LocalServer, user: str, toolkit: str = "github") -> str:
    request = client.toolkits.authorize(user, toolkit)
    server.complete_connection(request.id)
    return str(request.id)


def test_update_sets_and_clears_an_accounts_alias(client: Any, server: LocalServer) -> None:
    account_id = _connected(client, server, "alias-user")
    updated = client.connected_accounts.update(account_id, alias="work")
    assert (updated.id, updated.alias) == (account_id, "work")
    patch = [r for r in server.requests if r.method == "PATCH"][-1]
    assert patch.path == f"/api/v3.1/connected_accounts/{account_id}"
    assert patch.json() == {"alias": "work"}
    assert client.connected_accounts.update(account_id, alias="").alias is None


def test_update_refuses_an_alias_another_account_of_the_user_holds(
    client: Any, server: LocalServer
) -> None:
    first = _connected(client, server, "twin")
    second = _connected(client, server, "twin")
    client.connected_accounts.update(first, alias="main")
    with pytest.raises(ConflictError, match=first):
        client.connected_accounts.update(second, alias="main")
    with pytest.raises(ValidationError, match="alias"):
        client.connected_accounts.update(second, alias=3)
    assert client.connected_accounts.update(second, alias="other").alias == "other"


def test_trigger_upsert_by_user_id_resolves_the_users_account_on_the_server(
    client: Any, server: LocalServer
) -> None:
    account_id = _connected(client, server, "trig-user")
    made = client.triggers.create(
        "GITHUB_STAR_ADDED_EVENT", user_id="trig-user", trigger_config={"owner": "o", "repo": "r"}
    )
    assert made.connected_account_id == account_id
    assert made.version == "20250905_00"
    raw = server.requests_to("/api/v3.1/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert")
    assert raw, "the upsert was sent"
    # The server itself takes user_id (as composio-client and the vendor SDK send it).
    answer = client.request(
        "POST",
        "/api/v3.1/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
        json={"user_id": "trig-user", "trigger_config": {"owner": "o", "repo": "s"}},
    )
    assert answer.json()["trigger_id"] == made.id
    with pytest.raises(BadRequestError, match="nobody"):
        client.request(
            "POST",
            "/api/v3.1/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
            json={"user_id": "nobody", "trigger_config": {"owner": "o", "repo": "s"}},
        )


def test_managed_oauth_refusal_uses_the_real_apis_wording(client: Any, server: LocalServer) -> None:
    config = client.auth_configs.create("github")
    with pytest.raises(BadRequestError) as info:
        client.request(
            "POST",
            "/api/v3.1/connected_accounts",
            json={"auth_config": {"id": config.id}, "connection": {"user_id": "u"}},
        )
    assert "no longer supported" in str(info.value)
    assert "/api/v3/connected_accounts/link" in str(info.value)
    with pytest.raises(BadRequestError, match=r"connected_accounts\.link"):
        client.connected_accounts.initiate("u", config.id)  # the SDK's own hint still applies


def test_models_accept_the_v3_and_the_current_shapes() -> None:
    old = Toolkit.from_dict({"slug": "github"})
    new = Toolkit.from_dict(
        {
            "slug": "github",
            "type": "native",
            "composio_managed_auth": [{"mode": "OAUTH2", "scopes": {"available": ["repo"]}}],
        }
    )
    assert (old.type, old.composio_managed_auth) == (None, None)
    assert new.type == "native" and new.composio_managed_auth[0]["mode"] == "OAUTH2"
    assert TriggerInstance.from_dict({"id": "ti_1"}).version is None
    assert TriggerInstance.from_dict({"id": "ti_1", "version": "v2"}).version == "v2"
    session = ToolRouterSession.from_dict({"session_id": "s", "config_version": 3})
    assert session.config_version == 3
    assert ToolRouterSession.from_dict({"session_id": "s"}).config_version is None
    assert pickle.loads(pickle.dumps(new)) == new


def test_a_user_without_a_connection_is_told_so_in_a_tool_call_not_unknown_tool(
    client: Any, server: LocalServer
) -> None:
    """The API answers an execution for a user with no account like an unknown tool (404),
    told apart by its code 1810 / slug ``ActionExecute_ConnectedAccountNotFound``: the model
    must read "needs a connected account", not "unknown tool" (which would make it give up
    on a tool that works once the user connects). ``LocalServer.connect_user`` connects."""
    import json

    calls = [
        ("c1", "GITHUB_CREATE_ISSUE", '{"owner": "o", "repo": "r", "title": "t"}'),
        ("c2", "NO_SUCH_TOOL", "{}"),
    ]
    message = {
        "role": "assistant",
        "tool_calls": [{"id": i, "function": {"name": n, "arguments": a}} for i, n, a in calls],
    }
    response = {"choices": [{"message": message}]}
    first, unknown = (
        json.loads(m["content"]) for m in client.tools.handle_tool_calls("u1", response)
    )
    assert first["successful"] is False and "unknown tool" not in first["error"]
    assert "No connected account found for user u1" in first["error"], first
    assert "toolkits.authorize" in first["error"]
    assert "unknown tool 'NO_SUCH_TOOL'" in unknown["error"]
    assert server.execution_count("GITHUB_CREATE_ISSUE") == 0

    account_id = server.connect_user("u1", "github")
    assert client.connected_accounts.retrieve(account_id).status == "ACTIVE"
    again = json.loads(client.tools.handle_tool_calls("u1", response)[0]["content"])
    assert "successful" not in again or again["successful"] is not False, again
    assert server.execution_count("GITHUB_CREATE_ISSUE") == 1
