"""Issue 23: the CLI's error text, one test per kind of error a shell user hits.

Each runs the real ``composio`` console script in a subprocess against a LocalServer over
loopback (or a port nothing listens on) and reads its standard error whole: ``error:
<message>`` without the Python class name, hints that name the flag or variable to use, and
``Suggested fix:`` on a line of its own.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import cli_env

SCRIPT = str(Path(sys.executable).parent / "composio")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def _fails(server: LocalServer, *args: str, **env: str | None) -> list[str]:
    """Run the CLI; it must exit 1 with nothing on stdout; its stderr lines, checked for what
    no CLI error may show (a class name, a Python call, the key)."""
    environ = cli_env(server)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    done = subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, env=environ, timeout=60
    )  # fmt: skip
    assert done.returncode == 1, done
    assert done.stdout == ""
    assert not re.search(r"\b[A-Z]\w*(Error|Exception):", done.stderr), done.stderr
    assert "Composio(" not in done.stderr and "api_key=" not in done.stderr
    assert "base_url" not in done.stderr and "tools.list()" not in done.stderr
    assert SENTINEL_KEY not in done.stderr and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: ")
    return lines


def test_item_cli_error_no_api_key(server: LocalServer) -> None:
    lines = _fails(server, "tools", "list", COMPOSIO_API_KEY=None)
    assert lines == [
        "error: No Composio API key: pass --api-key or set the COMPOSIO_API_KEY environment "
        "variable (keys are on https://platform.composio.dev, Settings)."
    ]
    assert server.requests == []


@pytest.mark.parametrize(
    ("where", "url", "problem"),
    [
        ("flag", "http://example.com", "must use https://"),
        ("env", "ftp://example.com", "scheme 'ftp' is not supported"),
        ("flag", "https://user:pw@example.com", "must not carry credentials"),
    ],
)
def test_item_cli_error_bad_base_url(
    server: LocalServer, where: str, url: str, problem: str
) -> None:
    args = ["--base-url", url] if where == "flag" else []
    lines = _fails(server, "tools", "list", *args, COMPOSIO_BASE_URL=url)
    assert len(lines) == 1
    assert lines[0].startswith(f"error: the base URL (--base-url or COMPOSIO_BASE_URL) {problem}")
    if "credentials" in problem:
        assert lines[0].endswith("give the key with --api-key or COMPOSIO_API_KEY instead.")
        assert "pw" not in lines[0]
    assert server.requests == []


def test_item_cli_error_not_found_puts_the_fix_on_its_own_line(server: LocalServer) -> None:
    first, fix = _fails(server, "tools", "get", "NOPE")
    assert first.startswith("error: tools.retrieve: GET ") and "-> 404 Not Found" in first
    assert re.search(r"Tool NOPE not found\. \(request_id=[0-9a-f]+\)$", first), first
    assert fix == "Suggested fix: Check the slug with 'composio tools list'."


def test_item_cli_error_wrong_key_names_the_flag_and_variable(server: LocalServer) -> None:
    first, fix = _fails(server, "tools", "list", COMPOSIO_API_KEY="wrong-key-000")
    assert "-> 401 Unauthorized: Invalid or missing API key." in first
    assert fix == "Suggested fix: Pass the server's key with --api-key or COMPOSIO_API_KEY."
    assert "wrong-key-000" not in first + fix


def test_item_cli_error_connection_refused(server: LocalServer) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    first, fix = _fails(server, "tools", "list", "--base-url", url)
    assert first.startswith(f"error: GET {url}/api/v3.1/tools")
    assert "the connection was refused" in first
    assert fix == (
        "Suggested fix: check --base-url or COMPOSIO_BASE_URL: is a server listening there? "
        "('composio dev-server' runs a local one)"
    )
