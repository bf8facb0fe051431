"""``client.mcp`` on both clients over loopback: servers, URLs, instances, and lists that walk
the API's ``page_no`` pages (not cursors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from composio import McpInstance, McpServer, McpUrls, ValidationError
from composio.errors import ConflictError, NotFoundError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration._api import Api


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)


def _body(server: LocalServer) -> Any:
    return json.loads(server.requests[-1].body)


def test_create_generate_retrieve_update_delete(client: Any, server: LocalServer, api: Api) -> None:
    config = api.managed_auth_config("github")
    made = client.mcp.create(
        "repo helper", auth_config_ids=[config], allowed_tools=["GITHUB_GET_REPO"]
    )
    assert _body(server) == {
        "name": "repo helper",
        "auth_config_ids": [config],
        "allowed_tools": ["GITHUB_GET_REPO"],
    }
    assert isinstance(made, McpServer) and made.toolkits == ("github",)
    assert made.allowed_tools == ("GITHUB_GET_REPO",)

    urls = client.mcp.generate(made.id, user_ids=["alice"], connected_account_ids=["ca_1"])
    assert _body(server) == {
        "mcp_server_id": made.id,
        "user_ids": ["alice"],
        "connected_account_ids": ["ca_1"],
    }
    assert isinstance(urls, McpUrls) and urls.user_ids_url == (f"{urls.mcp_url}?user_id=alice",)

    assert client.mcp.retrieve(made.id).name == "repo helper"
    assert server.requests[-1].body == b""
    renamed = client.mcp.update(made.id, name="repo helper 2", managed_auth_via_composio=False)
    assert _body(server) == {"name": "repo helper 2", "managed_auth_via_composio": False}
    assert (renamed.name, renamed.managed_auth_via_composio) == ("repo helper 2", False)

    assert client.mcp.delete(made.id) is None
    assert (server.requests[-1].method, server.requests[-1].body) == ("DELETE", b"")
    with pytest.raises(NotFoundError):
        client.mcp.retrieve(made.id)


def test_create_sends_the_required_empty_list_and_custom_servers(
    client: Any, server: LocalServer
) -> None:
    client.mcp.create("no auth only", auth_config_ids=[], no_auth_apps=["text"])
    assert _body(server) == {
        "name": "no auth only",
        "auth_config_ids": [],
        "no_auth_apps": ["text"],
    }
    custom = client.mcp.create_custom("custom one", toolkits=["text"], custom_tools=["T1"])
    assert _body(server) == {"name": "custom one", "toolkits": ["text"], "custom_tools": ["T1"]}
    assert custom.mcp_url and custom.toolkits is None  # the custom answer is the short form


def test_lists_walk_page_numbers(client: Any, server: LocalServer) -> None:
    names = {f"server {i:02d}" for i in range(5)}
    for name in names:
        client.mcp.create(name, auth_config_ids=[], no_auth_apps=["text"])
    server.reset()
    page = client.mcp.list(limit=2, order_by="created_at", order_direction="asc")
    assert (page.current_page, page.total_pages, page.next_cursor) == (1, 3, "2")
    assert {s.name for s in page} == names
    queries = [r.query for r in server.requests]
    common = {"order_by": ["created_at"], "order_direction": ["asc"], "limit": ["2"]}
    assert queries == [common, {**common, "page_no": ["2"]}, {**common, "page_no": ["3"]}]
    third = client.mcp.list(limit=2, page_no=3)
    assert len(third.items) == 1 and not third.has_next_page() and third.next_page() is None
    found = client.mcp.list(name="server 03", toolkits=["text", "github"])
    assert server.requests[-1].query == {"name": ["server 03"], "toolkits": ["text,github"]}
    assert [s.name for s in found] == ["server 03"]
    assert {s.name for s in client.mcp.retrieve_app("text")} == names
    assert list(client.mcp.retrieve_app("github")) == []


def test_instances(client: Any, server: LocalServer) -> None:
    made = client.mcp.create("with users", auth_config_ids=[], no_auth_apps=["text"])
    for user in ("alice", "bob", "carol"):
        instance = client.mcp.create_instance(made.id, user)
        assert _body(server) == {"user_id": user}
        assert isinstance(instance, McpInstance) and instance.instance_id == user
    with pytest.raises(ConflictError):
        client.mcp.create_instance(made.id, "alice")
    page = client.mcp.list_instances(made.id, limit=2)
    assert page.next_cursor == "2" and {i.instance_id for i in page} == {"alice", "bob", "carol"}
    assert [i.instance_id for i in client.mcp.list_instances(made.id, search="bo")] == ["bob"]
    assert client.mcp.delete_instance(made.id, "bob") is None
    assert {i.instance_id for i in client.mcp.list_instances(made.id)} == {"alice", "carol"}
    with pytest.raises(NotFoundError):
        client.mcp.delete_instance(made.id, "bob")


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda m: m.create("", auth_config_ids=[]), "name"),
        (lambda m: m.create("ok name", auth_config_ids=None), "auth_config_ids"),
        (lambda m: m.create("ok name", auth_config_ids=[""]), "auth_config_ids"),
        (lambda m: m.create("ok name", auth_config_ids=[], managed_auth_via_composio=1), "managed"),
        (lambda m: m.update("id-1"), "nothing to update"),
        (lambda m: m.list(order_by="name"), "order_by"),
        (lambda m: m.list(order_direction="up"), "order_direction"),
        (lambda m: m.list(page_no=0), "page_no"),
        (lambda m: m.list_instances("", limit=1), "server_id"),
        (lambda m: m.delete_instance("id-1", ""), "instance_id"),
        (lambda m: m.generate("", user_ids=["a"]), "server_id"),
    ],
)
def test_bad_arguments_are_named_and_send_nothing(
    client: Any, server: LocalServer, call: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        call(client.mcp)
    assert server.requests == []
