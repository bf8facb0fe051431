"""``composio plugins [--json]`` end to end: a real subprocess, real entry points (dist-infos
made in the test), the chain of a client built in that environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SENTINEL_KEY
from tests.integration.test_plugins import _install_fake_dist

AUDIT = """
import composio

class Audit:
    name = "audit"
    stage = composio.Stage.ATTEMPT
    order = 7

    def __call__(self, request, call_next):
        return call_next(request)

    async def acall(self, request, call_next):
        return await call_next(request)

class Stamp:
    name = "stamp"
    stage = composio.Stage.CALL
    order = 450

    def on_request(self, request):
        request.headers["x-stamp"] = "1"

    def __call__(self, request, call_next):
        self.on_request(request)
        return call_next(request)

@composio.hookimpl
def composio_middlewares(config):
    return [Audit(), Stamp()]
"""

METADATA_ONLY = """
import composio

@composio.hookimpl
def composio_request_metadata(config):
    return {"x-team": "platform"}
"""

BROKEN = "raise ImportError('needs acme-sdk >= 2')\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    _install_fake_dist(tmp_path, "acme_audit", AUDIT)
    _install_fake_dist(tmp_path, "acme_meta", METADATA_ONLY)
    return tmp_path


def run(site: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSIO_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env["COMPOSIO_API_KEY"] = SENTINEL_KEY
    env.update(env_extra)
    proc = subprocess.run(
        [sys.executable, "-m", "composio.cli", "plugins", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert SENTINEL_KEY not in proc.stdout + proc.stderr
    return proc


def _report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_json_lists_installed_plugins_and_the_chain_in_order(site: Path) -> None:
    proc = run(site, "--json")
    assert proc.returncode == 0, proc.stderr
    report = _report(proc)
    mine = [p for p in report["plugins"] if p["name"].startswith("acme_")]
    assert mine == [
        {
            "name": "acme_audit",
            "entry_point": "acme_audit",
            "distribution": "acme_audit",
            "version": "1.0",
            "status": "loaded",
        },
        {
            "name": "acme_meta",
            "entry_point": "acme_meta",
            "distribution": "acme_meta",
            "version": "1.0",
            "status": "loaded",
        },
    ]
    assert {"acme_audit", "acme_meta"} <= set(report["registered"])
    chain = report["chain"]
    keys = [(row["stage_value"], row["order"], row["name"]) for row in chain]
    assert keys == sorted(keys)  # (stage, order, name)
    assert [row["position"] for row in chain] == list(range(len(chain)))
    by_name = {row["name"]: row for row in chain}
    assert by_name["audit"]["stage"] == "ATTEMPT" and by_name["audit"]["order"] == 7
    assert by_name["audit"]["class"] == "acme_audit.Audit"
    assert by_name["audit"]["async_hooks"] == ["acall"]
    assert by_name["stamp"]["async_hooks"] == ["on_request"]
    names = [row["name"] for row in chain]
    assert names.index("session-headers") < names.index("stamp") < names.index("call-headers")
    assert names.index("tracing") < names.index("audit")
    assert report["autoload"] is True and report["error"] is None


def test_text_output_shows_versions_statuses_and_the_chain(site: Path) -> None:
    proc = run(site)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.split()[:3] == ["acme_audit", "acme_audit", "1.0"] for line in lines)
    chain = [line.split()[2] for line in lines if line.startswith("  ") and "order=" in line]
    assert chain[0] == "telemetry" and chain[-2:] == ["tracing", "audit"]
    assert lines[-1].strip() == "-> transport"


def test_autoload_off_and_blocked_are_reported(site: Path) -> None:
    off = _report(run(site, "--json", COMPOSIO_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert {p["status"] for p in off["plugins"]} == {
        "not loaded (COMPOSIO_DISABLE_PLUGIN_AUTOLOAD)"
    }
    assert "audit" not in [row["name"] for row in off["chain"]]
    blocked = _report(run(site, "--json", COMPOSIO_BLOCKED_PLUGINS="acme_audit"))
    status = {p["name"]: p["status"] for p in blocked["plugins"]}
    assert status["acme_audit"] == "blocked (COMPOSIO_BLOCKED_PLUGINS)"
    assert status["acme_meta"] == "loaded"
    assert "audit" not in [row["name"] for row in blocked["chain"]]


def test_a_broken_plugin_is_listed_and_the_build_error_names_it(site: Path) -> None:
    _install_fake_dist(site, "acme_broken", BROKEN)
    proc = run(site, "--json")
    assert proc.returncode == 1
    report = _report(proc)
    assert "acme_broken" in [p["name"] for p in report["plugins"]]
    assert report["chain"] is None
    assert "acme_broken" in report["error"] and "needs acme-sdk" in report["error"]
    assert "acme_broken" in proc.stderr
    text = run(site)
    assert text.returncode == 1 and "acme_audit" in text.stdout  # the list is still shown
    assert text.stderr.startswith("error: building a client failed: PluginError")


def test_blocking_the_broken_plugin_as_the_error_suggests_makes_it_succeed(site: Path) -> None:
    _install_fake_dist(site, "acme_broken", BROKEN)
    fixed = run(site, "--json", COMPOSIO_BLOCKED_PLUGINS="acme_broken")
    assert fixed.returncode == 0 and _report(fixed)["error"] is None
    status = {p["name"]: p["status"] for p in _report(fixed)["plugins"]}
    assert status["acme_broken"] == "blocked (COMPOSIO_BLOCKED_PLUGINS)"
