"""``client.tool_router`` on both clients over loopback against the stateful LocalServer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from composio import ToolRouterExecution, ToolRouterSession, ValidationError
from composio.errors import NotFoundError, PermissionDeniedError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration._api import Api


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)


def _body(server: LocalServer) -> Any:
    return json.loads(server.requests[-1].body)


def test_a_list_of_toolkits_is_sent_as_enable_and_a_mapping_as_given(
    client: Any, server: LocalServer
) -> None:
    made = client.tool_router.create_session("alice", toolkits=["text", "github"])
    assert _body(server) == {"user_id": "alice", "toolkits": {"enable": ["text", "github"]}}
    assert isinstance(made, ToolRouterSession) and made.session_id.startswith("trs_")
    assert made.mcp_url and made.session_id in made.mcp_url
    assert made.config is not None
    assert made.config["toolkits"] == {"enabled": ["text", "github"]}
    assert made.config["user_id"] == "alice"
    client.tool_router.create_session("bob", toolkits={"disable": ["gmail"]})
    assert _body(server) == {"user_id": "bob", "toolkits": {"disable": ["gmail"]}}
    client.tool_router.create_session("carol")
    assert _body(server) == {"user_id": "carol"}  # nothing unasked is sent


def test_every_typed_keyword_reaches_the_body(client: Any, server: LocalServer, api: Api) -> None:
    config = api.managed_auth_config("github")
    client.tool_router.create_session(
        "alice",
        toolkits=["github"],
        tools={"github": {"enable": ["GITHUB_GET_REPO"]}},
        tags=["readOnlyHint"],
        auth_configs={"github": config},
        manage_connections=False,
        workbench={"enable_proxy_execution": False, "auto_offload_threshold": 2000},
    )
    assert _body(server) == {
        "user_id": "alice",
        "toolkits": {"enable": ["github"]},
        "tools": {"github": {"enable": ["GITHUB_GET_REPO"]}},
        "tags": ["readOnlyHint"],
        "auth_configs": {"github": config},
        "manage_connections": {"enable": False},
        "workbench": {"enable_proxy_execution": False, "auto_offload_threshold": 2000},
    }


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


def test_retrieve_execute_meta_link_and_toolkits(client: Any, server: LocalServer) -> None:
    router = client.tool_router
    session = router.create_session("alice", toolkits=["text", "github"])
    again = router.retrieve_session(session.session_id)
    assert again == session
    assert server.requests[-1].body == b""  # a GET sends no body

    ran = router.execute(session.session_id, "TEXT_UPPERCASE", {"text": "hi"})
    assert _body(server) == {"tool_slug": "TEXT_UPPERCASE", "arguments": {"text": "hi"}}
    assert isinstance(ran, ToolRouterExecution) and ran.successful and ran.data == {"result": "HI"}
    # a tool whose toolkit needs an account the user lacks: the API's error, not an exception
    unlinked = router.execute(session.session_id, "GITHUB_GET_REPO", {"owner": "o", "repo": "r"})
    assert not unlinked.successful and "link" in (unlinked.error or "")
    with pytest.raises(PermissionDeniedError):  # gmail is not enabled in this session
        router.execute(session.session_id, "GMAIL_SEND_EMAIL", {})

    meta = router.execute_meta(session.session_id, "COMPOSIO_SEARCH_TOOLS", {"queries": []})
    assert _body(server) == {"slug": "COMPOSIO_SEARCH_TOOLS", "arguments": {"queries": []}}
    assert meta.successful

    link = router.link(session.session_id, "github", callback_url="https://app.example/done")
    assert _body(server) == {"toolkit": "github", "callback_url": "https://app.example/done"}
    assert link.redirect_url.startswith(server.url) and link.connected_account_id

    kits = router.session_toolkits(session.session_id, is_connected=False, limit=1)
    assert server.requests[-1].query == {"is_connected": ["false"], "limit": ["1"]}
    assert len(kits.items) == 1 and {k.slug for k in kits} == {"github", "text"}
    only = router.session_toolkits(session.session_id, toolkits=["text"], search="text")
    assert [k.slug for k in only] == ["text"]
    with pytest.raises(NotFoundError):
        router.retrieve_session("trs_missing")


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda r: r.create_session(""), "user_id"),
        (lambda r: r.create_session("u", toolkits={"enable": ["a"], "disable": ["b"]}), "toolkits"),
        (lambda r: r.create_session("u", toolkits={"only": ["a"]}), "toolkits"),
        (lambda r: r.create_session("u", toolkits=[""]), "toolkits"),
        (lambda r: r.create_session("u", auth_configs={"github": 3}), "auth_configs"),
        (lambda r: r.create_session("u", workbench=["x"]), "workbench"),
        (lambda r: r.execute("trs_1", "", {}), "tool_slug"),
        (lambda r: r.execute("trs_1", "TEXT_UPPERCASE", ["x"]), "arguments"),
        (lambda r: r.execute_meta("", "COMPOSIO_SEARCH_TOOLS"), "session_id"),
        (lambda r: r.link("trs_1", ""), "toolkit"),
        (lambda r: r.session_toolkits("trs_1", is_connected="no"), "is_connected"),
    ],
)
def test_bad_arguments_are_named_and_send_nothing(
    client: Any, server: LocalServer, call: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        call(client.tool_router)
    assert server.requests == []
