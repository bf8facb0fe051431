"""SPEC §7: telemetry is flushed at interpreter exit, for at most 1 s, even without close().

Each test runs a child interpreter against this process's LocalServer over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from composio.testing import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def _child_env(server: LocalServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK",)}
    env.pop("COMPOSIO_DISABLE_TELEMETRY", None)
    env["COMPOSIO_TELEMETRY_URL"] = server.url + "/v1/metrics/invocations"
    return env


def test_events_queued_at_exit_are_delivered_without_close(server: LocalServer) -> None:
    script = textwrap.dedent(
        f"""
        from composio import Composio
        client = Composio(api_key={server.api_key!r}, base_url={server.url!r})
        for _ in range(3):
            client.tools.list(limit=1)
        # no close(): the atexit flush must deliver the three events
        """
    )
    subprocess.run([sys.executable, "-c", script], env=_child_env(server), check=True, timeout=60)
    events = server.telemetry_events
    assert [e["functionName"] for e in events] == ["tools.list"] * 3


def test_exit_waits_at_most_about_a_second_for_a_hanging_transport(server: LocalServer) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from composio import Composio

        class Hanging:
            def send(self, events):
                time.sleep(30)  # an endpoint that never answers

            def close(self):
                pass

        client = Composio(api_key={server.api_key!r}, base_url={server.url!r},
                          telemetry_transport=Hanging())
        client.tools.list(limit=1)
        client.tools.list(limit=1)
        print("done", flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        env=_child_env(server),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "done"
        calls_done = time.monotonic()
        assert child.wait(timeout=60) == 0
        exit_took = time.monotonic() - calls_done
    finally:
        child.kill()
    # the 1 s flush budget plus interpreter teardown; an unbounded flush would take 30 s
    assert exit_took < 5.0
