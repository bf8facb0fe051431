"""Issue 16, item 13: every ``composio`` command, run as a real subprocess against a
LocalServer seeded with hostile strings (terminal escapes, newlines, C1 controls, bidi
overrides), writes no raw control character to stdout or stderr, and still shows the value,
escaped. State is seeded through the API where the API takes the value (a user id, an auth
config's name); elsewhere the server is scripted (``fail_next`` with a 200 ``Fault``) to
answer what a hostile or broken API could.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from composio import Composio
from composio.testing import Fault, LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import cli_env

#: One value carrying every class the printer must neutralise.
HOSTILE = "ev\x1b]0;pwned\x07il\x1b[2J\x1b[H\nFORGED ROW\r\t\x9b31m\u202egnp\u2066\x00"
SHOWN = "ev\\x1b]0;pwned\\x07il\\x1b[2J\\x1b[H\\nFORGED ROW\\r\\t\\x9b31m\\u202egnp\\u2066\\x00"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def _env(server: LocalServer, **extra: str) -> dict[str, str]:
    return cli_env(server, COMPOSIO_DISABLE_TELEMETRY="1", **extra)


def _unsafe(text: str) -> list[str]:
    """Characters that act on a terminal: C0 but the line ends, DEL, C1, bidi controls."""
    return [
        c
        for c in text
        if (ord(c) < 0x20 and c != "\n")
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u061c\u200e\u200f\u2028\u2029"
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
    ]


def cli(server: LocalServer, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``composio ARGS``; assert that neither stream carries a raw control character
    (checked on the bytes and on the decoded text, so a C1 sent as UTF-8 counts too)."""
    proc = subprocess.run(
        [sys.executable, "-m", "composio.cli", *args],
        capture_output=True,
        env=env or _env(server),
        timeout=60,
    )
    streams = []
    for name, raw in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        assert [b for b in raw if b < 0x20 and b != 0x0A] == [], f"raw C0 byte on {name}"
        text = raw.decode("utf-8", "surrogateescape")
        assert _unsafe(text) == [], f"raw control character on {name}: {text!r}"
        assert SENTINEL_KEY not in text
        streams.append(text)
    return proc.returncode, streams[0], streams[1]


def _sdk(server: LocalServer) -> Composio:
    return Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)


def _page(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": list(items),
        "next_cursor": None,
        "total_pages": 1,
        "current_page": 1,
        "total_items": len(items),
    }


def _answer(server: LocalServer, path: str, body: Any, status: int = 200) -> None:
    server.fail_next(path, [Fault(status=status, body=body)])


# -- accounts and auth configs: seeded through the API --------------------------------------
@pytest.fixture
def hostile_account(server: LocalServer) -> str:
    with _sdk(server) as client:
        config = client.auth_configs.create(
            "github", options={"type": "use_composio_managed_auth", "name": HOSTILE}
        )
        return client.connected_accounts.link(HOSTILE, config.id).id


def test_item13_accounts_list_escapes_and_forges_no_row(
    server: LocalServer, hostile_account: str
) -> None:
    code, out, _ = cli(server, "accounts", "list")
    assert code == 0
    (line,) = out.splitlines()  # one account, one line: the newline forged nothing
    assert line.startswith(hostile_account) and line.endswith(SHOWN)


def test_item13_accounts_list_json_keeps_the_value(
    server: LocalServer, hostile_account: str
) -> None:
    code, out, _ = cli(server, "accounts", "list", "--json")
    assert code == 0
    assert [row["user_id"] for row in json.loads(out)] == [HOSTILE]


def test_item13_auth_configs_list_escapes(server: LocalServer, hostile_account: str) -> None:
    code, out, _ = cli(server, "auth-configs", "list")
    assert code == 0
    (line,) = out.splitlines()
    assert line.endswith(SHOWN)
    code, out, _ = cli(server, "auth-configs", "list", "--json")
    assert [row["name"] for row in json.loads(out)] == [HOSTILE]


def test_item13_accounts_connect_escapes_the_link_and_the_account(server: LocalServer) -> None:
    account_id = "ca_" + HOSTILE
    _answer(
        server,
        "/api/v3/connected_accounts/link",
        {
            "link_token": "lt_1",
            "redirect_url": "https://connect.example/" + HOSTILE,
            "expires_at": "2030-01-01T00:00:00Z",
            "connected_account_id": account_id,
        },
        status=201,
    )
    account = {
        "id": account_id,
        "user_id": "alice",
        "status": "ACTIVE",
        "toolkit": {"slug": "github"},
        "auth_config": {"id": "ac_1", "is_composio_managed": True, "is_disabled": False},
        "data": {},
        "params": {},
        "status_reason": None,
        "is_disabled": False,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    _answer(server, "/api/v3/connected_accounts/" + quote(account_id, safe=""), account)
    code, out, err = cli(server, "accounts", "connect", "github", "--user", "alice")
    assert code == 0, err
    link, result = out.splitlines()
    assert link == "https://connect.example/" + SHOWN
    assert result == f"ca_{SHOWN} ACTIVE"
    assert f"ca_{SHOWN}" in err


# -- tools ---------------------------------------------------------------------------------
def _tool(slug: str = "GITHUB_STAR_REPO") -> dict[str, Any]:
    return {
        "slug": slug,
        "name": HOSTILE,
        "description": HOSTILE,
        "toolkit": {"slug": "github", "name": "GitHub", "logo": ""},
        "input_parameters": {"type": "object", "properties": {HOSTILE: {"type": "string"}}},
        "output_parameters": {"type": "object", "properties": {}},
        "tags": [],
        "no_auth": False,
        "available_versions": ["20250101_00"],
        "version": "20250101_00",
        "is_deprecated": False,
        "deprecated": {"displayName": HOSTILE, "toolkit": {"logo": ""}, "version": "1"},
        "scopes": [],
        "human_description": HOSTILE,
    }


def test_item13_tools_list_escapes(server: LocalServer) -> None:
    _answer(server, "/api/v3/tools", _page(_tool(), _tool("B" + HOSTILE)))
    code, out, _ = cli(server, "tools", "list")
    assert code == 0
    first, second = out.splitlines()
    assert first.split(maxsplit=1) == ["GITHUB_STAR_REPO", SHOWN]
    assert second.startswith("B" + SHOWN)


def test_item13_tools_get_json_keeps_the_value(server: LocalServer) -> None:
    _answer(server, "/api/v3/tools/GITHUB_STAR_REPO", _tool())
    code, out, _ = cli(server, "tools", "get", "GITHUB_STAR_REPO")
    assert code == 0
    shown = json.loads(out)
    assert shown["name"] == HOSTILE and HOSTILE in shown["input_parameters"]["properties"]


def test_item13_tools_execute_escapes_the_result_and_the_error_line(server: LocalServer) -> None:
    _answer(
        server,
        "/api/v3/tools/execute/TEXT_UPPERCASE",
        {"successful": False, "data": {"text": HOSTILE}, "error": HOSTILE, "log_id": "log_1"},
    )
    code, out, err = cli(server, "tools", "execute", "TEXT_UPPERCASE", "--arg", "text=x")
    assert code == 1
    assert json.loads(out)["data"] == {"text": HOSTILE}
    (line,) = err.splitlines()
    assert line.startswith("error: tool TEXT_UPPERCASE reported failure: ")
    assert "\\x1b]0;pwned\\x07" in line and "\\u202e" in line


def _hostile_error(server: LocalServer) -> None:
    error = {"message": HOSTILE, "code": 4001, "status": 400, "request_id": "r"}
    _answer(server, "/api/v3/tools", {"error": error}, status=400)


def test_item13_an_api_error_message_is_escaped(server: LocalServer) -> None:
    _hostile_error(server)
    code, out, err = cli(server, "tools", "list")
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith("error: ") and "\\x1b]0;pwned\\x07" in line


def test_item13_debug_tracebacks_go_through_the_printer(server: LocalServer) -> None:
    _hostile_error(server)
    code, _, err = cli(server, "tools", "list", "--debug")
    assert code == 1
    assert err.startswith("Traceback") and "\\x1b]0;pwned\\x07" in err


# -- triggers and MCP ----------------------------------------------------------------------
def test_item13_triggers_list_and_types_escape(server: LocalServer) -> None:
    trigger = {
        "id": "ti_" + HOSTILE,
        "trigger_name": HOSTILE,
        "user_id": HOSTILE,
        "connected_account_id": "ca_1",
        "auth_config_id": "ac_1",
        "trigger_config": {},
        "trigger_data": "",
        "state": {},
        "uuid": "u",
        "disabled_at": None,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    _answer(server, "/api/v3/trigger_instances/active", _page(trigger))
    code, out, _ = cli(server, "triggers", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:2] == ["ID", "TRIGGER"]
    assert row.startswith("ti_" + SHOWN[:40])
    kind = {
        "slug": HOSTILE,
        "name": HOSTILE,
        "description": HOSTILE,
        "instructions": "",
        "toolkit": {"slug": "github", "name": HOSTILE, "logo": ""},
        "type": "webhook",
        "config": {},
        "payload": {},
        "version": "1",
    }
    _answer(server, "/api/v3/triggers_types", _page(kind))
    code, out, _ = cli(server, "triggers", "types")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["SLUG", "TOOLKIT", "TYPE", "NAME"]
    assert "\\x1b]0;pwned\\x07" in row


def test_item13_mcp_list_escapes(server: LocalServer) -> None:
    found = {
        "items": [
            {
                "id": "mcp_1",
                "name": HOSTILE,
                "toolkits": [HOSTILE],
                "mcp_url": "https://mcp.example/" + HOSTILE,
                "allowed_tools": [],
                "auth_config_ids": [],
                "toolkit_icons": {},
                "server_instance_count": 0,
                "commands": {"claude": "", "cursor": "", "windsurf": ""},
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            }
        ],
        "current_page": 1,
        "total_pages": 1,
    }
    _answer(server, "/api/v3/mcp/servers", found)
    code, out, _ = cli(server, "mcp", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "NAME", "TOOLKITS", "MCP_URL"]
    assert row.startswith("mcp_1") and "\\x1b]0;pwned\\x07" in row


# -- plugins and the command line itself -----------------------------------------------------
def test_item13_plugins_escapes_an_installed_plugins_names(
    server: LocalServer, tmp_path: Path
) -> None:
    dist = tmp_path / "evil_item13-1.0.dist-info"
    dist.mkdir()
    name = "evil\x1b]0;pwned\x07\x1b[2J"
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[composio]\n{name} = no_such_module_item13:P\n")
    env = _env(server, PYTHONPATH=str(tmp_path))
    env.pop("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    code, out, err = cli(server, "plugins", env=env)
    assert code == 1  # the plugin cannot be imported: the build fails, and says so
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J" in out
    assert err.startswith("error: building a client failed: ")


def test_item13_argparse_errors_quoting_the_command_line_are_escaped(
    server: LocalServer,
) -> None:
    code, out, err = cli(server, "tools", "list", "--x\x1b]0;pwned\x07")
    assert (code, out) == (2, "")
    assert "unrecognized arguments: --x\\x1b]0;pwned\\x07" in err
