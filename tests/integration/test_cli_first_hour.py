"""Issue 23: what a newcomer's first hour with the ``composio`` command found, each item a
test driving the real CLI in a subprocess against a LocalServer over loopback."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from composio.testing import LocalServer
from composio.testing.catalog import TOOLS
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import cli_env, dev_server


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def run(server: LocalServer, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """The CLI with ``server`` as both the API and the telemetry receiver."""
    env = cli_env(server, COMPOSIO_TELEMETRY_URL=f"{server.url}/v1/metrics/invocations")
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "composio.cli", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


# -- telemetry against a loopback API ---------------------------------------------------------
def test_cli_sends_no_telemetry_to_a_loopback_api_unless_asked(server: LocalServer) -> None:
    quiet = run(server, "tools", "list", "math")
    assert quiet.returncode == 0, quiet.stderr
    assert len(server.requests_to("/api/v3/tools")) == 1  # the command did call the API
    # The process has exited, so its at-exit flush is over: nothing more can arrive.
    assert server.telemetry_events == []

    asked = run(server, "tools", "list", "math", COMPOSIO_ENABLE_TELEMETRY="1")
    assert asked.returncode == 0, asked.stderr
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"]


def test_cli_telemetry_opt_in_loses_to_the_opt_outs(server: LocalServer) -> None:
    for opt_out in ({"DO_NOT_TRACK": "1"}, {"COMPOSIO_DISABLE_TELEMETRY": "1"}):
        done = run(server, "tools", "list", "math", COMPOSIO_ENABLE_TELEMETRY="1", **opt_out)
        assert done.returncode == 0, done.stderr
    assert server.telemetry_events == []


def test_cli_tracking_stays_on_for_a_remote_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from composio._cli_client import cli_client, cli_tracking

    for name in ("COMPOSIO_DISABLE_TELEMETRY", "DO_NOT_TRACK", "COMPOSIO_ENABLE_TELEMETRY"):
        monkeypatch.delenv(name, raising=False)
    assert cli_tracking("https://backend.composio.dev") is True
    assert cli_tracking(None) is True  # the default base URL
    for local in ("http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:2"):
        assert cli_tracking(local) is False
    monkeypatch.setenv("COMPOSIO_BASE_URL", "http://127.0.0.1:8000")
    assert cli_tracking(None) is False
    remote = argparse.Namespace(api_key=SENTINEL_KEY, base_url="https://api.example.com")
    with cli_client(remote) as client:  # opens nothing: no request is made
        assert client.allow_tracking is True
    monkeypatch.setenv("COMPOSIO_ENABLE_TELEMETRY", "1")
    assert cli_tracking("http://127.0.0.1:8000") is True


def test_help_and_dev_server_banner_say_how_telemetry_works() -> None:
    top = subprocess.run(
        [sys.executable, "-m", "composio.cli", "--help"], capture_output=True, text=True
    )
    dev = subprocess.run(
        [sys.executable, "-m", "composio.cli", "dev-server", "--help"],
        capture_output=True, text=True,
    )  # fmt: skip
    for text in (top.stdout, dev.stdout):
        flat = " ".join(text.split())
        assert "COMPOSIO_ENABLE_TELEMETRY=1" in flat and "loopback" in flat
        assert "DO_NOT_TRACK" in flat
    assert "COMPOSIO_API_KEY" in top.stdout and "COMPOSIO_BASE_URL" in top.stdout
    with dev_server() as running:
        pass
    banner = running.lines[-1]
    assert banner.startswith("Telemetry: composio commands pointed here send no usage events")
    assert "COMPOSIO_ENABLE_TELEMETRY=1" in banner and "allow_tracking=False" in banner


# -- tools list -------------------------------------------------------------------------------
def test_tools_list_walks_every_page_by_default(server: LocalServer) -> None:
    done = run(server, "tools", "list", "--json")
    assert done.returncode == 0, done.stderr
    slugs = [t["slug"] for t in json.loads(done.stdout)]
    assert len(slugs) == len(set(slugs)) == len(TOOLS) > 20  # the catalog, 20 a page
    assert "more:" not in done.stderr


def test_tools_list_one_page_says_how_to_get_the_next(server: LocalServer) -> None:
    seen: list[str] = []
    args = ["tools", "list", "--limit", "10"]
    while True:
        done = run(server, *args)
        assert done.returncode == 0, done.stderr
        seen += [line.split()[0] for line in done.stdout.splitlines()]
        if not done.stderr:
            break
        hint = done.stderr.strip()
        assert hint.startswith("more: --cursor "), hint
        args = ["tools", "list", "--limit", "10", "--cursor", hint.split()[-1]]
    assert len(seen) == len(set(seen)) == len(TOOLS)


def test_tools_list_with_nothing_found_prints_none(server: LocalServer) -> None:
    done = run(server, "tools", "list", "nosuch")
    assert (done.returncode, done.stdout, done.stderr) == (0, "(none)\n", "")
    as_json = run(server, "tools", "list", "nosuch", "--json")
    assert json.loads(as_json.stdout) == []


def test_tools_list_refuses_a_limit_below_one(server: LocalServer) -> None:
    done = run(server, "tools", "list", "--limit", "0")
    assert done.returncode == 2
    assert "--limit: must be a whole number above 0, got '0'" in done.stderr
    assert server.requests == []


def test_version_flag_prints_the_distribution_and_version() -> None:
    from composio import __version__

    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, f"composio-pipeline {__version__}\n")


# -- one flag spelling, the connect guard, execute with an account ----------------------------
def _active_account(server: LocalServer, user: str, toolkit: str = "github") -> str:
    """A real connect flow through the SDK: authorize, then open the link as a browser."""
    import requests

    from composio import Composio

    with Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False) as client:
        link = client.toolkits.authorize(user, toolkit)
        assert requests.get(link.redirect_url or "", timeout=10).status_code == 200
        return str(link.id)


def test_user_id_is_the_one_spelling_and_user_stays_an_alias(server: LocalServer) -> None:
    account = _active_account(server, "alice")
    new = run(server, "accounts", "list", "--user-id", "alice", "--json")
    old = run(server, "accounts", "list", "--user", "alice", "--json")
    assert new.returncode == old.returncode == 0, new.stderr + old.stderr
    assert new.stdout == old.stdout and [r["id"] for r in json.loads(new.stdout)] == [account]
    for spelling in ("--user-id", "--user"):
        done = run(server, "tools", "execute", "MATH_ADD", "--arg", "a=1", "--arg", "b=2",
                   spelling, "alice")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert server.executions[-1].user_id == "alice"
    for command in (("accounts", "list"), ("accounts", "connect"), ("tools", "execute")):
        shown = " ".join(run(server, *command, "--help").stdout.split())
        assert re.search(r"--user-id (\w+), --user \1 ", shown), shown  # one option, two names


def test_tools_execute_sends_the_connected_account_id(server: LocalServer) -> None:
    account = _active_account(server, "alice")
    done = run(server, "tools", "execute", "GITHUB_STAR_REPO", "--arg", "repo=octo/hello",
               "--connected-account-id", account)  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = server.requests_to("/api/v3/tools/execute/GITHUB_STAR_REPO")[-1].json()
    assert body["connected_account_id"] == account


def test_connect_for_a_user_already_active_says_so_and_creates_nothing(
    server: LocalServer,
) -> None:
    first = _active_account(server, "alice")
    done = run(server, "accounts", "connect", "github", "--user-id", "alice", "--timeout", "1")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"error: user 'alice' already has an ACTIVE github account ({first}). Nothing was "
        "created. Suggested fix: use it, or pass --allow-multiple to connect another.\n"
    )
    listed = run(server, "accounts", "list", "--user-id", "alice", "--json")
    assert [r["id"] for r in json.loads(listed.stdout)] == [first]

    again = run(server, "accounts", "connect", "github", "--user-id", "alice",
                "--allow-multiple", "--timeout", "1")  # fmt: skip
    assert again.returncode == 1  # nobody opened the link: it timed out, after creating one
    assert again.stdout.startswith(server.url + "/_local/connect/")
    listed = run(server, "accounts", "list", "--user-id", "alice", "--json")
    assert len(json.loads(listed.stdout)) == 2


# -- error text ---------------------------------------------------------------------------------
def test_errors_are_sentences_and_name_commands_not_python(server: LocalServer) -> None:
    done = run(server, "tools", "get", "NOPE")
    assert done.returncode == 1
    assert "Tool NOPE not found. (request_id=" in done.stderr
    assert "\nSuggested fix: Check the slug with 'composio tools list'.\n" in done.stderr
    assert "tools.list()" not in done.stderr
    env = cli_env(server)
    del env["COMPOSIO_API_KEY"]
    nokey = subprocess.run([sys.executable, "-m", "composio.cli", "tools", "list"],
                           capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert nokey.returncode == 1
    assert "pass --api-key or set the COMPOSIO_API_KEY environment variable" in nokey.stderr
    assert "Composio(api_key" not in nokey.stderr


# -- dev-server: webhooks and a request log ------------------------------------------------------
def test_dev_server_delivers_fired_triggers_and_logs_each_request() -> None:
    import base64

    import requests
    import standardwebhooks

    from composio import Composio
    from tests.integration._webhook_receiver import running_receiver

    whsec = "whsec_" + base64.b64encode(b"a 32-byte secret for the tests!!").decode()
    with running_receiver() as receiver, dev_server(
        "--api-key", SENTINEL_KEY, "--webhook-url", receiver.url + "/hook?token=t0ps3cret",
        "--webhook-secret", whsec, "--log",
    ) as running:  # fmt: skip
        banner = "".join(running.lines)
        assert "Fired triggers are delivered to http://127.0.0.1:" in banner and "(signed)" in (
            banner
        )
        with Composio(api_key=SENTINEL_KEY, base_url=running.url, allow_tracking=False) as c:
            link = c.toolkits.authorize("alice", "github")
            requests.get(link.redirect_url or "", timeout=10)
            trigger = c.triggers.create("GITHUB_STAR_ADDED_EVENT", connected_account_id=link.id,
                                        trigger_config={"owner": "o", "repo": "r"})  # fmt: skip
        fired = requests.post(
            f"{running.url}/_local/triggers/{trigger.id}/fire",
            json={"data": {"stars": 42}}, headers={"x-api-key": SENTINEL_KEY}, timeout=10,
        )  # fmt: skip
        assert fired.status_code == 200 and fired.json() == {"receiver_status": 200}
        keyless = requests.post(f"{running.url}/_local/triggers/{trigger.id}/fire", timeout=10)
        assert keyless.status_code == 401
        fire = f"POST /_local/triggers/{trigger.id}/fire"
        logged: list[str] = []
        while logged.count(fire) < 2:  # both were answered, so their lines are out already
            logged.append(running.stdout.readline().strip())
    [(headers, body)] = receiver.received
    assert standardwebhooks.Webhook(whsec).verify(body, headers)["data"] == {"stars": 42}
    assert logged[0] == "GET /api/v3.1/auth_configs" and logged[-2:] == [fire, fire]
    assert "GET /_local/connect/***" in logged and all(" /" in line for line in logged)
    token = (link.redirect_url or "").rsplit("/", 1)[1]  # issue 23: the link's secret
    assert len(token) > 8 and token not in running.out + "".join(logged)
    for text in (banner, running.out, running.err):
        assert whsec not in text and "t0ps3cret" not in text and SENTINEL_KEY not in text
