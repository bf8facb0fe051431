"""The local MCP server (SPEC §17), driven by the ``mcp`` package's own client.

Over stdio: ``composio mcp serve`` as a subprocess, exactly as an MCP client's
configuration starts it. In process: ``client.mcp_server(...)`` on both clients, where a
plugin on the client can watch the executions.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from composio import Composio
from composio.testing import Fault, LocalServer
from tests.frameworks.conftest import (
    TURN_HEADER,
    Spy,
    check_executed,
    executions,
    framework,
    session_of,
)

framework("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402


def text_of(result: Any) -> Any:
    [block] = result.content
    return json.loads(block.text)


@pytest.mark.asyncio
async def test_item_stdio_server_lists_and_calls_tools_for_an_mcp_client(
    server: LocalServer,
) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "composio.cli",
            "mcp",
            "serve",
            "--user-id",
            "alice",
            "--toolkits",
            "math",
            "--header",
            "=".join(TURN_HEADER),
        ],
        env={
            "COMPOSIO_API_KEY": server.api_key,
            "COMPOSIO_BASE_URL": server.url,
            "COMPOSIO_DISABLE_TELEMETRY": "1",
        },
    )
    async with Client(params) as mcp:
        listed = await mcp.list_tools()
        by_name = {t.name: t for t in listed.tools}
        assert set(by_name) == {"MATH_ADD", "MATH_SUBTRACT", "MATH_MULTIPLY", "MATH_DIVIDE"}
        assert by_name["MATH_ADD"].input_schema["required"] == ["a", "b"]
        ok = await mcp.call_tool("MATH_ADD", {"a": 2, "b": 3})
        assert ok.is_error is False and text_of(ok) == {"result": 5}
        assert ok.structured_content == {"result": 5}
        failed = await mcp.call_tool("MATH_DIVIDE", {"a": 1, "b": 0})
        assert failed.is_error is True
        assert text_of(failed) == {"successful": False, "error": "division by zero"}
        # A tool outside --toolkits is not offered, and never executed.
        outside = await mcp.call_tool("GITHUB_CREATE_ISSUE", {"repo": "o/r", "title": "x"})
        assert outside.is_error is True and "unknown tool" in text_of(outside)["error"]
    check_executed(server, "MATH_ADD", "MATH_DIVIDE")


@pytest.mark.asyncio
async def test_item_mcp_server_on_both_clients_runs_the_one_execution_path(
    kind: str, server: LocalServer
) -> None:
    spy = Spy()
    server.fail_next("/api/v3/tools/execute/TEXT_UPPERCASE", [Fault(action="reset")] * 3)
    async with session_of(kind, server, spy) as composio:
        offered = composio.mcp_server("alice", tools=["TEXT_UPPERCASE", "MATH_ADD"])
        async with Client(offered) as mcp:
            # Called before tools/list: the server lists for itself first.
            ok = await mcp.call_tool("MATH_ADD", {"a": 1, "b": 1})
            # The connection reset on every attempt: an error result, not a protocol error.
            lost = await mcp.call_tool("TEXT_UPPERCASE", {"text": "hi"})
            garbage = await mcp.call_tool("MATH_ADD", {"a": {"deep": [1]}, "b": None})
    assert text_of(ok) == {"result": 2}
    assert lost.is_error is True and "reset" in text_of(lost)["error"].lower()
    assert garbage.is_error is True and "must be a number" in text_of(garbage)["error"]
    assert [s[:2] for s in spy.seen] == [
        ("MATH_ADD", "alice"),
        ("TEXT_UPPERCASE", "alice"),
        ("MATH_ADD", "alice"),
    ]
    assert all(r.header(TURN_HEADER[0]) == TURN_HEADER[1] for r in executions(server))
    on_loop = set(spy.threads) == {threading.get_ident()}
    assert on_loop is (kind == "async")


def test_item_mcp_server_refuses_bad_arguments_before_any_io(server: LocalServer) -> None:
    from composio import ValidationError

    with Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as c:
        for bad in (
            {"user_id": ""},
            {"user_id": "u", "toolkits": 3},
            {"user_id": "u", "tools": []},
        ):
            with pytest.raises(ValidationError, match="mcp_server"):
                c.mcp_server(**bad)
    assert server.requests == []


@pytest.mark.asyncio
async def test_item_http_server_on_loopback_serves_an_mcp_client(server: LocalServer) -> None:
    """``--http PORT``: streamable HTTP on 127.0.0.1 only, at ``/mcp``; ``0`` picks a free
    port, and the URL is announced on stderr once it is listening."""
    env = {
        **os.environ,
        "COMPOSIO_API_KEY": server.api_key,
        "COMPOSIO_BASE_URL": server.url,
        "COMPOSIO_DISABLE_TELEMETRY": "1",
    }
    command = [sys.executable, "-m", "composio.cli", "mcp", "serve", "--user-id", "alice"]
    proc = subprocess.Popen(
        [*command, "--tools", "MATH_ADD", "--http", "0"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        line = await asyncio.to_thread(proc.stderr.readline)
        url = line.split(" on ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp"), line
        async with Client(url) as mcp:
            assert [t.name for t in (await mcp.list_tools()).tools] == ["MATH_ADD"]
            assert text_of(await mcp.call_tool("MATH_ADD", {"a": 1, "b": 2})) == {"result": 3}
        # DNS rebinding: a page on another origin reaching 127.0.0.1 is refused by Host.
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        status = await asyncio.to_thread(post_with_host, port, "attacker.example")
        assert status in (403, 421), status
    finally:
        proc.terminate()
        proc.wait(10)
    assert [r.json()["user_id"] for r in executions(server)] == ["alice"]


def post_with_host(port: int, host: str) -> int:
    """The status of a JSON-RPC POST to ``/mcp`` carrying ``Host: host``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    headers = {
        "Host": host,
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    try:
        connection.request("POST", "/mcp", body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _tool_listings(server: LocalServer) -> int:
    return sum(1 for r in server.requests if r.method == "GET" and r.path.endswith("/tools"))


@pytest.mark.asyncio
async def test_mcp_result_over_the_size_cap_is_an_error_result_naming_it(
    kind: str, server: LocalServer
) -> None:
    from composio._mcp_server import MAX_RESULT_CHARS

    spy = Spy()
    async with session_of(kind, server, spy) as composio:
        offered = composio.mcp_server("alice", tools=["TEXT_UPPERCASE"])
        async with Client(offered) as mcp:
            huge = await mcp.call_tool("TEXT_UPPERCASE", {"text": "x" * MAX_RESULT_CHARS})
            small = await mcp.call_tool("TEXT_UPPERCASE", {"text": "hi"})
    assert huge.is_error is True and huge.structured_content is None
    error = text_of(huge)["error"]
    assert "MAX_RESULT_CHARS" in error and str(MAX_RESULT_CHARS) in error
    assert len(huge.content[0].text) < 1000
    assert small.is_error is False and text_of(small) == {"result": "HI"}


@pytest.mark.asyncio
async def test_mcp_unknown_tool_names_are_error_results_without_listing_again(
    kind: str, server: LocalServer
) -> None:
    async with session_of(kind, server, Spy()) as composio:
        offered = composio.mcp_server("alice", tools=["MATH_ADD"])
        async with Client(offered) as mcp:
            first = await mcp.call_tool("NOPE_ONE", {})  # before tools/list: lists once
            again = [await mcp.call_tool(f"NOPE_{n}", {}) for n in range(5)]
            listings = _tool_listings(server)
            ok = await mcp.call_tool("MATH_ADD", {"a": 1, "b": 2})
    assert all(r.is_error and "unknown tool" in text_of(r)["error"] for r in [first, *again])
    assert text_of(ok) == {"result": 3}
    assert listings == 1  # was one listing per unknown name


@pytest.mark.asyncio
async def test_mcp_tools_list_failure_is_the_documented_mcp_error(
    kind: str, server: LocalServer
) -> None:
    """The ``mcp`` package documents ``MCPError`` as how a handler reports a failure it
    anticipated; anything else is a crash (``code: 0``, logged with a traceback)."""
    from mcp.shared.exceptions import MCPError
    from mcp.types import INTERNAL_ERROR

    server.fail_next("/api/v3/tools", [401])
    async with session_of(kind, server, Spy()) as composio:
        offered = composio.mcp_server("alice", tools=["MATH_ADD"])
        async with Client(offered) as mcp:
            with pytest.raises(MCPError) as caught:
                await mcp.list_tools()
            listed = await mcp.list_tools()  # the server goes on
    assert caught.value.code == INTERNAL_ERROR
    assert caught.value.message.startswith("listing the tools failed:")
    assert server.api_key not in caught.value.message
    assert [t.name for t in listed.tools] == ["MATH_ADD"]
