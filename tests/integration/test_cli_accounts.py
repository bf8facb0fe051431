"""``composio accounts list|connect`` and ``composio auth-configs list`` in a real subprocess
against a LocalServer: the connect command prints the link, a "browser" opens it, and the
command (still waiting) reports the ACTIVE account."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from composio import Composio
from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import cli_env


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def _env(server: LocalServer) -> dict[str, str]:
    return cli_env(server, COMPOSIO_DISABLE_TELEMETRY="1")


def _start(server: LocalServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "composio.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(server),
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    assert SENTINEL_KEY not in out and SENTINEL_KEY not in err, "API key leaked"
    return proc.returncode, out, err


def run(server: LocalServer, *args: str) -> tuple[int, str, str]:
    return _finish(_start(server, *args))


def _sdk(server: LocalServer) -> Composio:
    return Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)


def test_connect_prints_the_link_then_reports_the_active_account(server: LocalServer) -> None:
    proc = _start(server, "accounts", "connect", "github", "--user", "alice")
    assert proc.stdout is not None
    link = proc.stdout.readline().strip()  # blocks until the command printed it
    assert link.startswith(server.url + "/_local/connect/")
    assert requests.get(link, timeout=10).status_code == 200  # the user opens it
    code, out, err = _finish(proc)
    assert code == 0, err
    account_id, status = out.split()
    assert status == "ACTIVE" and account_id.startswith("ca_")
    assert "alice" in err and account_id in err  # what it waited for, on stderr
    with _sdk(server) as client:
        account = client.connected_accounts.retrieve(account_id)
        assert (account.user_id, account.toolkit_slug, account.status) == (
            "alice",
            "github",
            "ACTIVE",
        )


def test_connect_denied_exits_1_with_the_state(server: LocalServer) -> None:
    proc = _start(server, "accounts", "connect", "github", "--user", "bob")
    assert proc.stdout is not None
    link = proc.stdout.readline().strip()
    requests.get(link, params={"error": "access_denied"}, timeout=10)
    code, _, err = _finish(proc)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: connected_accounts.wait_for_connection:") and "FAILED" in last


def test_connect_nobody_completes_exits_1_on_timeout(server: LocalServer) -> None:
    code, out, err = run(server, "accounts", "connect", "github", "--user", "c", "--timeout", "1")
    assert code == 1 and out.startswith(server.url)
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: connected_accounts.wait_for_connection: connected account")
    assert "was not ACTIVE within 1s" in last


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "inf"])
def test_connect_refuses_a_bad_timeout(server: LocalServer, bad: str) -> None:
    code, _, err = run(server, "accounts", "connect", "github", "--user", "c", "--timeout", bad)
    assert code == 2 and "--timeout" in err
    assert server.requests == []


def test_accounts_list_filters_by_user(server: LocalServer) -> None:
    with _sdk(server) as client:
        first = client.toolkits.authorize("alice", "github")
        requests.get(first.redirect_url or "", timeout=10)
        other = client.toolkits.authorize("bob", "github")
    code, out, err = run(server, "accounts", "list", "--user", "alice")
    assert code == 0, err
    [line] = out.splitlines()
    assert line.split() == [first.id, "ACTIVE", "github", "alice"]
    code, out, _ = run(server, "accounts", "list", "--json")
    rows: list[dict[str, Any]] = json.loads(out)
    assert {(r["id"], r["user_id"], r["status"]) for r in rows} == {
        (first.id, "alice", "ACTIVE"),
        (other.id, "bob", "INITIATED"),
    }
    listed = [r for r in server.requests if r.path == "/api/v3.1/connected_accounts"]
    assert listed[0].query == {"user_ids": ["alice"]}


def test_auth_configs_list(server: LocalServer) -> None:
    with _sdk(server) as client:
        managed = client.auth_configs.create("github")
        custom = client.auth_configs.create(
            "gmail", options={"type": "use_custom_auth", "authScheme": "API_KEY", "name": "Keys"}
        )
    code, out, err = run(server, "auth-configs", "list")
    assert code == 0, err
    lines = {line.split()[0]: line.split() for line in out.splitlines()}
    assert lines[managed.id][1:4] == ["github", "OAUTH2", "managed"]
    assert lines[custom.id][1:4] == ["gmail", "API_KEY", "custom"]
    code, out, _ = run(server, "auth-configs", "list", "--toolkit", "gmail", "--json")
    assert [r["id"] for r in json.loads(out)] == [custom.id]
