"""The ``composio`` CLI in a real subprocess against a LocalServer (SPEC §10)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from composio.testing import LocalServer
from composio.testing.catalog import TOOLS
from tests.conftest import SENTINEL_KEY
from tests.integration._cli_env import cli_env, dev_server

KEY_FORMS = (
    SENTINEL_KEY,
    quote(SENTINEL_KEY, safe=""),
    base64.b64encode(SENTINEL_KEY.encode()).decode(),
    SENTINEL_KEY[:8],
)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def run(
    server: LocalServer, *args: str, key: str | None = SENTINEL_KEY, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    env = cli_env(
        server, COMPOSIO_TELEMETRY_URL=f"{server.url}/v1/metrics/invocations", **env_extra
    )
    if key is None:
        del env["COMPOSIO_API_KEY"]
    else:
        env["COMPOSIO_API_KEY"] = key
    proc = subprocess.run(
        [sys.executable, "-m", "composio.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    for form in KEY_FORMS:
        assert form not in proc.stdout and form not in proc.stderr, "API key leaked"
    return proc


def test_tools_list_prints_slugs_and_sends_headers(server: LocalServer) -> None:
    proc = run(server, "tools", "list", "--header", "x-request-id=cli-1", "--header", "x-a=b=c")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    # every page (the catalog's tools, 20 a page), not page 1 alone (issue 23)
    assert len(lines) == len(TOOLS) > 20 and lines[0].split()[0] == "GITHUB_CREATE_ISSUE"
    assert len(server.requests_to("/api/v3/tools")) == 2
    for req in server.requests_to("/api/v3/tools"):
        assert req.header("x-request-id") == "cli-1" and req.header("x-a") == "b=c"
        assert req.header("x-api-key") == SENTINEL_KEY


def test_tools_list_toolkit_as_json(server: LocalServer) -> None:
    proc = run(server, "tools", "list", "math", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [t["slug"] for t in data] == [
        "MATH_ADD",
        "MATH_SUBTRACT",
        "MATH_MULTIPLY",
        "MATH_DIVIDE",
    ]
    assert data[0]["toolkit"] == "math" and data[0]["input_parameters"]["required"] == ["a", "b"]
    assert server.requests_to("/api/v3/tools")[-1].query == {
        "toolkit_slug": ["math"],
        "toolkit_versions": ["latest"],
    }


def test_tools_get_shows_one_tool(server: LocalServer) -> None:
    proc = run(server, "tools", "get", "TEXT_REVERSE")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["slug"] == "TEXT_REVERSE"


def test_tools_get_unknown_slug_is_one_line_and_exit_1(server: LocalServer) -> None:
    proc = run(server, "tools", "get", "NO_SUCH_TOOL")
    assert proc.returncode == 1
    assert proc.stdout == ""
    # the error, then the server's suggested fix on a line of its own (issue 23)
    assert proc.stderr.count("\n") == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: tools.retrieve:") and "NO_SUCH_TOOL" in proc.stderr
    assert proc.stderr.splitlines()[1].startswith("Suggested fix: ")


def test_tools_execute_with_args_and_user(server: LocalServer) -> None:
    proc = run(
        server, "tools", "execute", "MATH_ADD", "--arg", "a=2", "--arg", "b=3.5", "--user-id", "u1"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["data"] == {"result": 5.5}
    body = server.requests_to("/api/v3/tools/execute/MATH_ADD")[-1].json()
    assert body == {"arguments": {"a": 2, "b": 3.5}, "user_id": "u1", "version": "latest"}


def test_tools_execute_text_arguments_stay_text(server: LocalServer) -> None:
    proc = run(server, "tools", "execute", "TEXT_UPPERCASE", "--arg", "text=hello world")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["data"] == {"result": "HELLO WORLD"}


def test_a_failing_tool_exits_1_with_the_result_and_one_error_line(server: LocalServer) -> None:
    proc = run(server, "tools", "execute", "MATH_DIVIDE", "--arg", "a=1", "--arg", "b=0")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["successful"] is False
    assert proc.stderr.count("\n") == 1 and "division by zero" in proc.stderr


def test_bad_arg_syntax_is_a_one_line_error(server: LocalServer) -> None:
    proc = run(server, "tools", "execute", "MATH_ADD", "--arg", "no-equals-sign")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert proc.stderr == "error: --arg 'no-equals-sign' must look like NAME=VALUE.\n"
    assert server.requests == []


def test_missing_api_key(server: LocalServer) -> None:
    proc = run(server, "tools", "list", key=None)
    assert proc.returncode == 1 and proc.stderr.startswith("error: No Composio API key")
    assert server.requests == []


@pytest.mark.parametrize("debug", [[], ["--debug"], ["tools", "list", "--debug"]])
def test_auth_failure_never_prints_the_key(debug: list[str]) -> None:
    """The server knows another key: the sentinel is sent, rejected, and must not be echoed,
    even in a ``--debug`` traceback."""
    with LocalServer() as other:
        args = debug if debug[:1] == ["tools"] else [*debug, "tools", "list"]
        proc = run(other, *args)
        assert other.requests[-1].header("x-api-key") == SENTINEL_KEY
    assert proc.returncode == 1
    assert "401 Unauthorized" in proc.stderr
    if debug:
        assert "Traceback" in proc.stderr and "AuthenticationError" in proc.stderr
    else:  # the error and its suggested fix (issue 23)
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 2


def test_telemetry_from_the_cli_carries_no_key(server: LocalServer) -> None:
    # a loopback base URL: sent only when asked for (issue 23; test_cli_first_hour.py)
    proc = run(server, "tools", "list", "text", COMPOSIO_ENABLE_TELEMETRY="1")
    assert proc.returncode == 0, proc.stderr
    events = server.telemetry_events
    assert [e["functionName"] for e in events] == ["tools.list"]  # flushed at exit
    blob = json.dumps(events)
    for form in KEY_FORMS:
        assert form not in blob


def test_dev_server_serves_the_api_and_never_echoes_a_given_key() -> None:
    from composio import Composio

    with dev_server("--api-key", SENTINEL_KEY) as running:
        client = Composio(api_key=SENTINEL_KEY, base_url=running.url, allow_tracking=False)
        assert len(client.tools.list().items) == 20
        client.close()
    assert running.returncode == 0
    for text in ["".join(running.lines), running.out, running.err]:
        assert SENTINEL_KEY not in text and SENTINEL_KEY[:8] not in text
