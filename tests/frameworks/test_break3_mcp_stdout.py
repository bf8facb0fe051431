"""Break round 3 (issue 18): ``composio mcp serve`` over stdio owns stdout from the start.

stdout is the stdio transport: one byte that is not a JSON-RPC message corrupts the stream an
MCP client reads. The ``mcp`` package diverts fd 1 while it serves, but the client is built
(entry-point plugins imported, their build hooks run) before that: an installed plugin that
prints at import went straight onto the wire.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from composio.testing import LocalServer
from tests.frameworks.conftest import framework

framework("mcp")

PLUGIN = """
import os, sys
from composio import hookimpl
print("noisy plugin imported")          # a Python-level write
os.write(1, b"noisy plugin fd write\\n")  # what a C extension does
class Plugin:
    composio_plugin_name = "noisy"
    @hookimpl
    def composio_before_execute(self, tool, params):
        print("noisy plugin saw", tool)
        return params
plugin = Plugin()
"""


def noisy_plugin(site: Path) -> None:
    (site / "noisyplug.py").write_text(PLUGIN)
    info = site / "noisyplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: noisyplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[composio]\nnoisy = noisyplug:plugin\n")


def test_break3_mcp_stdio_stdout_carries_only_protocol_messages(tmp_path: Path) -> None:
    noisy_plugin(tmp_path)
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "MATH_ADD", "arguments": {"a": 1, "b": 2}},
        },
    ]
    with LocalServer() as server:
        env = {
            **os.environ,
            "COMPOSIO_API_KEY": server.api_key,
            "COMPOSIO_BASE_URL": server.url,
            "COMPOSIO_DISABLE_TELEMETRY": "1",
            "COMPOSIO_LOG": "debug",
            "PYTHONWARNINGS": "always",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        }
        command = [sys.executable, "-m", "composio.cli", "mcp", "serve", "--user-id", "alice"]
        proc = subprocess.Popen(
            [*command, "--tools", "MATH_ADD"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        proc.stdin.flush()
        lines: list[bytes] = []
        while not any(b'"id":3' in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        rest, errors = proc.communicate(timeout=60)
    lines += rest.splitlines(keepends=True)
    parsed = [json.loads(line) for line in lines]  # a non-JSON line fails here
    assert all(m.get("jsonrpc") == "2.0" for m in parsed)
    [answer] = [m for m in parsed if m.get("id") == 3]
    assert answer["result"]["isError"] is False
    # The plugin ran (its output went to stderr, where an MCP client shows it as a log).
    assert b"noisy plugin imported" in errors and b"noisy plugin fd write" in errors
    assert b"noisy plugin saw MATH_ADD" in errors
    assert b"tools/execute/MATH_ADD" in errors  # COMPOSIO_LOG=debug went to stderr too
