"""Trying to break the framework integrations (issue 18's "before resolving"): a model sending
garbage, results far larger than any model reads, a framework cancelling a call mid-flight.

Each runs through a framework's own loop or tool object, with the client's real path.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from composio import AsyncComposio, hookimpl
from composio.testing import Fault, LocalServer
from tests.frameworks.conftest import Spy, executions, framework, session_of, tools_of

framework("agents")
framework("langchain_core")
framework("mcp")

from agents import FunctionTool  # noqa: E402
from agents.tool_context import ToolContext  # noqa: E402
from mcp import Client  # noqa: E402

from composio.providers.langchain import LangchainProvider  # noqa: E402
from composio.providers.openai_agents import OpenAIAgentsProvider  # noqa: E402


def invoke(tool: FunctionTool, arguments: str) -> Any:
    """Run an Agents SDK tool as its Runner does: ``on_invoke_tool(context, json_text)``."""
    context = ToolContext(
        context=None, tool_name=tool.name, tool_call_id="c1", tool_arguments=arguments
    )
    return tool.on_invoke_tool(context, arguments)


@pytest.mark.asyncio
async def test_item_garbage_json_text_from_a_model_is_an_answer(
    kind: str, server: LocalServer
) -> None:
    """Text nested past the interpreter's recursion limit, NaN, a huge string, a non-object,
    arguments nested deeper than the path accepts: all answered, none raises."""
    spy = Spy()
    async with session_of(kind, server, spy, provider=OpenAIAgentsProvider()) as composio:
        [tool] = await tools_of(composio, "alice", tools=["MATH_ADD"])
        deep_text = "[" * 100_000 + "]" * 100_000
        deep_object = '{"a": ' + '{"x": ' * 200 + "1" + "}" * 200 + ', "b": 1}'
        answers = [
            json.loads(await invoke(tool, text))
            for text in (deep_text, '{"a": NaN, "b": 1}', '"' + "x" * 2_000_000 + '"', deep_object)
        ]
    assert all(a["successful"] is False for a in answers), answers
    assert "nested too deeply" in answers[0]["error"]
    assert "not a JSON object (got a string)" in answers[2]["error"]
    assert all(len(a["error"]) < 2_000 for a in answers)  # never echoes the garbage back
    assert executions(server) == [] and spy.seen == []  # nothing was sent


@pytest.mark.asyncio
async def test_item_a_huge_result_reaches_the_model_whole_or_as_an_error(
    server: LocalServer,
) -> None:
    """A result as large as the MCP server sends (``MAX_RESULT_CHARS`` of JSON) goes through
    MCP (the transport with the strictest framing) intact; a larger one is an error result
    naming the limit."""
    from composio._mcp_server import MAX_RESULT_CHARS

    async with (
        AsyncComposio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False
        ) as composio,
        Client(composio.mcp_server("alice", tools=["TEXT_UPPERCASE"])) as mcp,
    ):
        big = "a" * (MAX_RESULT_CHARS - len('{"result": ""}'))
        result = await mcp.call_tool("TEXT_UPPERCASE", {"text": big})
        over = await mcp.call_tool("TEXT_UPPERCASE", {"text": big + "a"})
    assert result.is_error is False
    assert json.loads(result.content[0].text) == {"result": big.upper()}
    assert over.is_error is True and "MAX_RESULT_CHARS" in over.content[0].text


@pytest.mark.asyncio
async def test_item_a_framework_cancelling_mid_call_cancels_and_the_client_stays_usable(
    kind: str, server: LocalServer
) -> None:
    """LangChain's ``ainvoke`` cancelled while the execution is on the wire: the cancellation
    propagates (it is not turned into a tool error), and the next call works."""
    server.fail_next(
        "/api/v3/tools/execute/MATH_ADD", [Fault(status=200, delay=1.0, passthrough=True)]
    )
    sent = asyncio.Event()
    loop = asyncio.get_running_loop()

    class Watch(Spy):
        @hookimpl
        def composio_before_execute(self, tool: str, params: Any) -> Any:
            loop.call_soon_threadsafe(sent.set)
            return super().composio_before_execute(tool=tool, params=params)

    async with session_of(kind, server, Watch(), provider=LangchainProvider()) as composio:
        add, multiply = await tools_of(composio, "alice", tools=["MATH_ADD", "MATH_MULTIPLY"])
        call = asyncio.ensure_future(add.ainvoke({"a": 1, "b": 2}))
        await sent.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # The same client, right after: a normal answer. (Another tool: on Composio the
        # cancelled call's thread may reach the server after this one, and take its delay.)
        assert json.loads(await multiply.ainvoke({"a": 2, "b": 3})) == {"result": 6}
