"""``composio triggers listen --realtime`` as a real subprocess: it subscribes over the
LocalServer's websocket, prints one line per (filtered) event, stops on SIGINT with exit 0,
and never prints the API key."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._api import Api
from tests.integration._cli_env import cli_env

WAIT = 15.0  # "did not hang"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def test_listen_realtime_prints_each_matching_event_and_stops_on_sigint(
    server: LocalServer,
) -> None:
    api = Api(server)
    triggers = {}
    for user in ("alice", "bob"):
        account = api.active_account(user)
        body = {"connected_account_id": account, "trigger_config": {"owner": "o", "repo": "r"}}
        made = api("POST", "/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert", json=body)
        triggers[user] = made["trigger_id"]
    api.close()
    env = cli_env(server, COMPOSIO_REALTIME_URL=server.realtime_url)
    child = subprocess.Popen(
        [sys.executable, "-m", "composio.cli", "triggers", "listen", "--realtime",
         "--user-id", "bob"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert lines.get(timeout=WAIT) == "Subscribed to realtime trigger events. Ctrl-C stops."
        server.fire_trigger(triggers["alice"], {"n": 1})  # filtered out
        server.fire_trigger(triggers["bob"], {"n": 2})
        line = lines.get(timeout=WAIT)
        assert line.startswith("event msg_") and " GITHUB_STAR_ADDED_EVENT user=bob " in line
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=WAIT) == 0
        assert lines.get(timeout=WAIT) == "stopped"
    finally:
        child.kill()
        child.wait(timeout=WAIT)
    assert child.stderr is not None
    err = child.stderr.read()
    assert SENTINEL_KEY not in err and SENTINEL_KEY not in line
    assert server.realtime.wait_for(lambda hub: hub.connections == 0, WAIT)


def test_listen_filters_without_realtime_are_refused(server: LocalServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "triggers", "listen", "--user-id", "bob"],
        capture_output=True, text=True, env=cli_env(server), timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 1 and "--realtime" in done.stderr
