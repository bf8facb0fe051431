"""``composio triggers list|types`` and ``composio mcp list`` in real subprocesses against a
LocalServer (SPEC §10): what they print, that they walk every page, that errors are one line,
and that the key never shows (``run`` checks every output for it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._api import Api
from tests.integration.test_cli import run

STAR = "GITHUB_STAR_ADDED_EVENT"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY, page_size=2) as srv:
        yield srv


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


def _star(api: Api, user: str) -> str:
    account = api.active_account(user)
    made = api(
        "POST",
        f"/trigger_instances/{STAR}/upsert",
        json={"connected_account_id": account, "trigger_config": {"owner": "o", "repo": "r"}},
    )
    return str(made["trigger_id"])


def test_triggers_list_shows_every_instance_across_pages(server: LocalServer, api: Api) -> None:
    ids = [_star(api, user) for user in ("alice", "bob", "carol")]
    api("PATCH", f"/trigger_instances/manage/{ids[1]}", json={"status": "disable"})
    server.reset()
    proc = run(server, "triggers", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["ID", "TRIGGER", "USER_ID", "CONNECTED_ACCOUNT_ID", "STATUS"]
    assert {line.split()[0] for line in lines[1:]} == {ids[0], ids[2]}  # enabled only
    listed = run(server, "triggers", "list", "--all", "--json")
    rows = json.loads(listed.stdout)
    assert {r["id"]: r["status"] for r in rows} == {
        ids[0]: "enabled",
        ids[1]: "disabled",
        ids[2]: "enabled",
    }
    assert len(server.requests_to("/api/v3.1/trigger_instances/active")) >= 2  # pages walked
    only = json.loads(run(server, "triggers", "list", "--user-id", "carol", "--json").stdout)
    assert [r["user_id"] for r in only] == ["carol"]


def test_triggers_types_and_an_empty_list(server: LocalServer) -> None:
    proc = run(server, "triggers", "types", "github", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert STAR in {r["slug"] for r in rows} and {r["toolkit"] for r in rows} == {"github"}
    assert server.requests[0].query["toolkit_slugs"] == ["github"]
    assert run(server, "triggers", "list").stdout.strip() == "(none)"


def test_mcp_list_walks_page_numbers(server: LocalServer, api: Api) -> None:
    names = {f"server {i:02d}" for i in range(12)}  # the API's MCP pages hold 10
    for name in names:
        api(
            "POST",
            "/mcp/servers",
            201,
            json={"name": name, "auth_config_ids": [], "no_auth_apps": ["text"]},
        )
    server.reset()
    proc = run(server, "mcp", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {r["name"] for r in json.loads(proc.stdout)} == names
    pages = [r.query.get("page_no") for r in server.requests_to("/api/v3.1/mcp/servers")]
    assert pages == [None, ["2"]]
    table = run(server, "mcp", "list", "--name", "server 03").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "TOOLKITS", "MCP_URL"] and len(table) == 2
    assert "server 03" in table[1] and "text" in table[1]


def test_errors_are_one_line_without_the_key(server: LocalServer) -> None:
    proc = run(server, "mcp", "list", key="wrong-key-000")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: mcp.list: GET ") and "-> 401 " in proc.stderr
    assert proc.stderr.count("\n") == 2  # the error, then its suggested fix
    assert "wrong-key-000" not in proc.stderr
    bad = run(server, "triggers", "list", "--trigger", "")
    assert bad.returncode == 1 and "trigger_names" in bad.stderr
