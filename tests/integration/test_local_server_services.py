"""Tool-router sessions, MCP servers and file uploads on the local server, over HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from composio.testing import LocalServer
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


# -- tool router ----------------------------------------------------------------------------
def test_tool_router_session_flow(server: LocalServer, api: Api) -> None:
    made = api(
        "POST",
        "/tool_router/session",
        201,
        json={"user_id": "alice", "toolkits": {"enable": ["github", "text"]}},
    )
    sid = made["session_id"]
    assert made["config"]["toolkits"] == {"enabled": ["github", "text"]}
    assert made["mcp"]["url"].startswith(server.url)
    assert api("GET", f"/tool_router/session/{sid}") == made

    ran = api(
        "POST",
        f"/tool_router/session/{sid}/execute",
        json={"tool_slug": "TEXT_REVERSE", "arguments": {"text": "abc"}},
    )
    assert (ran["data"], ran["error"]) == ({"result": "cba"}, None)
    # the vendor SDK (composio 0.30) refuses an execute answer without result_type
    assert ran["result_type"] == "completed"
    assert server.executions[-1].user_id == "alice"

    # a toolkit that needs auth: an error until the user links an account
    call = {"tool_slug": "GITHUB_GET_REPO", "arguments": {"repo": "o/r"}}
    before = api("POST", f"/tool_router/session/{sid}/execute", json=call)
    assert "link" in before["error"]
    assert before["result_type"] == "failed"
    kits = api("GET", f"/tool_router/session/{sid}/toolkits")["items"]
    assert {k["slug"]: k["connected_account"] for k in kits} == {"github": None, "text": None}
    linked = api("POST", f"/tool_router/session/{sid}/link", 201, json={"toolkit": "github"})
    assert api.browser(linked["redirect_url"]).status_code == 200
    after = api("POST", f"/tool_router/session/{sid}/execute", json=call)
    assert after["error"] is None
    connected = api("GET", f"/tool_router/session/{sid}/toolkits", params={"is_connected": "true"})
    [github] = connected["items"]
    assert github["connected_account"]["id"] == linked["connected_account_id"]

    # toolkits outside the session are refused
    api("POST", f"/tool_router/session/{sid}/execute", 403, json={"tool_slug": "MATH_ADD"})
    found = api(
        "POST",
        f"/tool_router/session/{sid}/execute_meta",
        json={"slug": "COMPOSIO_SEARCH_TOOLS", "arguments": {"query": "reverse"}},
    )
    assert found["data"]["tools"] == ["TEXT_REVERSE"]


def test_tool_router_toolkits_disable_form_and_bad_shapes(api: Api) -> None:
    made = api(
        "POST",
        "/tool_router/session",
        201,
        json={"user_id": "bob", "toolkits": {"disable": ["gmail"]}},
    )
    assert made["config"]["toolkits"] == {"disabled": ["gmail"]}
    slugs = {
        k["slug"]
        for k in api("GET", f"/tool_router/session/{made['session_id']}/toolkits")["items"]
    }
    assert "gmail" not in slugs and {"github", "slack", "text", "math"} <= slugs
    for bad in (["github"], {"enable": ["github"], "disable": []}, {"enable": ["nope"]}):
        status = 404 if bad == {"enable": ["nope"]} else 400
        api("POST", "/tool_router/session", status, json={"user_id": "bob", "toolkits": bad})


# -- MCP ------------------------------------------------------------------------------------
def test_mcp_servers_crud_paging_and_instances(server: LocalServer, api: Api) -> None:
    ac = api.managed_auth_config("github")
    ids = [
        api("POST", "/mcp/servers", 201, json={"name": f"Server {n}", "auth_config_ids": [ac]})[
            "id"
        ]
        for n in range(3)
    ]
    api("POST", "/mcp/servers", 400, json={"name": "Server 0", "auth_config_ids": [ac]})
    first = api("GET", "/mcp/servers", params={"limit": 2, "page_no": 1, "order_by": "created_at"})
    second = api("GET", "/mcp/servers", params={"limit": 2, "page_no": 2, "order_by": "created_at"})
    assert (first["total_pages"], first["current_page"], second["current_page"]) == (2, 1, 2)
    walked = [s["id"] for s in first["items"] + second["items"]]
    assert walked == ids[::-1]  # newest first by default

    one = api("GET", f"/mcp/{ids[0]}")
    assert one["toolkits"] == ["github"] and one["deleted"] is False
    assert "GITHUB_GET_REPO" in one["allowed_tools"]
    assert urlsplit(one["mcp_url"]).netloc == urlsplit(server.url).netloc
    renamed = api(
        "PATCH", f"/mcp/{ids[0]}", json={"name": "Renamed", "allowed_tools": ["GITHUB_GET_REPO"]}
    )
    assert (renamed["name"], renamed["allowed_tools"]) == ("Renamed", ["GITHUB_GET_REPO"])
    api("PATCH", f"/mcp/{ids[0]}", 400, json={"allowed_tools": ["GMAIL_SEND_EMAIL"]})
    by_update = [s["id"] for s in api("GET", "/mcp/app/github", params={"limit": 10})["items"]]
    assert by_update == [ids[0], ids[2], ids[1]]  # updated_at, newest first: the spec's default
    assert api("GET", "/mcp/app/gmail")["items"] == []

    generated = api(
        "POST",
        "/mcp/servers/generate",
        json={"mcp_server_id": ids[0], "user_ids": ["u 1"], "connected_account_ids": ["ca_1"]},
    )
    assert generated["user_ids_url"] == [f"{one['mcp_url']}?user_id=u+1"]

    api("POST", f"/mcp/servers/{ids[0]}/instances", 201, json={"user_id": "alice"})
    api("POST", f"/mcp/servers/{ids[0]}/instances", 409, json={"user_id": "alice"})
    listed = api("GET", f"/mcp/servers/{ids[0]}/instances")
    assert [i["instance_id"] for i in listed["instances"]] == ["alice"]
    assert api("GET", f"/mcp/{ids[0]}")["server_instance_count"] == 1
    api("DELETE", f"/mcp/servers/{ids[0]}/instances/alice")
    api("DELETE", f"/mcp/servers/{ids[0]}/instances/alice", 404)
    assert api("DELETE", f"/mcp/{ids[0]}") == {"id": ids[0], "deleted": True}
    api("GET", f"/mcp/{ids[0]}", 404)

    custom = api(
        "POST",
        "/mcp/servers/custom",
        201,
        json={"name": "Custom", "toolkits": ["math", "text"], "allowed_tools": ["MATH_ADD"]},
    )
    assert api("GET", f"/mcp/{custom['id']}")["toolkits"] == ["math", "text"]


# -- files ----------------------------------------------------------------------------------
def _ticket(api: Api, data: bytes, name: str = "a.txt") -> dict[str, str]:
    return dict(
        api(
            "POST",
            "/files/upload/request",
            json={
                "toolkit_slug": "gmail",
                "tool_slug": "GMAIL_SEND_EMAIL",
                "filename": name,
                "mimetype": "text/plain",
                "md5": hashlib.md5(data).hexdigest(),
            },
        )
    )


def test_upload_url_is_another_origin_on_the_same_server(server: LocalServer, api: Api) -> None:
    data = b"attachment bytes"
    ticket = _ticket(api, data)
    assert ticket["type"] == "new"
    upload = urlsplit(ticket["new_presigned_url"])
    api_origin = urlsplit(server.url)
    assert upload.hostname != api_origin.hostname and upload.port == api_origin.port
    assert upload.netloc == urlsplit(server.alt_url).netloc

    # a client that strips its credentials: nothing of the API's headers arrives
    put = requests.put(
        ticket["new_presigned_url"], data=data, headers={"content-type": "text/plain"}, timeout=10
    )
    assert put.status_code == 200
    [stored] = server.uploaded_files
    assert stored.data == data and stored.key == ticket["key"]
    assert "x-api-key" not in stored.headers
    assert stored.headers["content-type"] == "text/plain"
    assert requests.get(ticket["new_presigned_url"], timeout=10).content == data

    listed = api("GET", "/files/list", params={"tool_slug": "GMAIL_SEND_EMAIL"})["items"]
    assert listed == [
        {
            "toolkit_slug": "gmail",
            "tool_slug": "GMAIL_SEND_EMAIL",
            "filename": "a.txt",
            "mimetype": "text/plain",
            "md5": hashlib.md5(data).hexdigest(),
        }
    ]
    again = _ticket(api, data)
    assert (again["type"], again["existing_url"]) == ("existing", ticket["new_presigned_url"])


def test_the_upload_records_a_leaked_key_so_a_leak_test_can_fail(
    server: LocalServer, api: Api
) -> None:
    data = b"x"
    ticket = _ticket(api, data)
    leaky = {"x-api-key": server.api_key, "x-tenant-id": "t-1"}
    assert requests.put(ticket["new_presigned_url"], data=data, headers=leaky, timeout=10).ok
    [stored] = server.uploaded_files
    assert stored.headers["x-api-key"] == server.api_key
    assert stored.headers["x-tenant-id"] == "t-1"


def test_upload_checks_the_announced_md5_and_the_key(api: Api, server: LocalServer) -> None:
    ticket = _ticket(api, b"right bytes")
    pending = _ticket(api, b"right bytes")
    assert pending["type"] == "new"  # requested, not uploaded yet: a new URL, same key (v3.1)
    assert pending["key"] == ticket["key"]
    wrong = requests.put(ticket["new_presigned_url"], data=b"wrong bytes", timeout=10)
    assert wrong.status_code == 400 and "MD5" in wrong.text
    assert server.uploaded_files == []
    missing = requests.put(server.alt_url + "/_local/uploads/upl_nope", data=b"", timeout=10)
    assert missing.status_code == 404


# -- tools and toolkits additions -----------------------------------------------------------
def test_proxy_answers_with_the_request_it_would_send(api: Api) -> None:
    account = api.active_account("alice")
    echoed = api(
        "POST",
        "/tools/execute/proxy",
        json={
            "endpoint": "/repos/o/r/issues",
            "method": "POST",
            "connected_account_id": account,
            "body": {"title": "t"},
            "parameters": [
                {"name": "state", "value": "open", "type": "query"},
                {"name": "X-Trace", "value": "abc", "type": "header"},
            ],
        },
    )
    assert echoed["status"] == 200
    sent = echoed["data"]
    assert sent["url"] == "https://api.github.example.com/repos/o/r/issues?state=open"
    assert (sent["method"], sent["body"]) == ("POST", {"title": "t"})
    assert sent["headers"]["x-trace"] == "abc"
    # the account's token is used, never shown
    token = api("GET", f"/connected_accounts/{account}")["state"]["val"]["access_token"]
    assert token not in str(echoed) and sent["headers"]["authorization"] == "Bearer ***"
    pending = api.link(api.managed_auth_config(), "bob")["connected_account_id"]
    refused = api(
        "POST",
        "/tools/execute/proxy",
        400,
        json={"endpoint": "/user", "method": "GET", "connected_account_id": pending},
    )
    assert "INITIATED" in refused["error"]["message"]


def test_input_turns_text_into_arguments(api: Api) -> None:
    assert api("POST", "/tools/execute/MATH_ADD/input", json={"text": "add 2 and 3.5"}) == {
        "arguments": {"a": 2, "b": 3.5}
    }
    assert api("POST", "/tools/execute/TEXT_REVERSE/input", json={"text": "hello"}) == {
        "arguments": {"text": "hello"}
    }
    missing = api("POST", "/tools/execute/MATH_ADD/input", json={"text": "add one"})
    assert "no number" in missing["error"]


def test_catalog_additions(api: Api) -> None:
    enum = api("GET", "/tools/enum")
    assert len(enum) == len(set(enum)) == api("GET", "/tools", params={"limit": 100})["total_items"]
    categories = api("GET", "/toolkits/categories")["items"]
    assert {"id": "utilities", "name": "Utilities"} in categories
    multi = api("POST", "/toolkits/multi", json={"toolkits": ["math", "nope", "text"], "limit": 1})
    assert [k["slug"] for k in multi["items"]] == ["text"] and multi["next_cursor"]
    rest = api(
        "POST",
        "/toolkits/multi",
        json={"toolkits": ["math", "text"], "cursor": multi["next_cursor"]},
    )
    assert [k["slug"] for k in rest["items"]] == ["math"]
    by_category = api("POST", "/toolkits/multi", json={"category": "utilities"})["items"]
    assert {k["slug"] for k in by_category} == {"text", "math"}
    changelog = api("GET", "/toolkits/changelog")["items"]
    assert {c["slug"] for c in changelog} == {k["slug"] for k in api("GET", "/toolkits")["items"]}
    assert api("GET", "/toolkits/github")["meta"]["triggers_count"] == 3
