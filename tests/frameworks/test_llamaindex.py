"""LlamaIndex tools in LlamaIndex's own ``FunctionAgent`` (SPEC §17), with its
``MockFunctionCallingLLM`` scripted turn by turn.

The agent offers the model the tools, calls the ones the model asks for, and hands the
``ToolOutput`` s back as tool messages on the model's next turn.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver
from tests.frameworks.conftest import (
    ODD_ARGUMENTS,
    check_async_path,
    check_executed,
    check_odd_names,
    framework,
    framework_tools,
)

framework("llama_index.core")

from llama_index.core.agent.workflow import FunctionAgent  # noqa: E402
from llama_index.core.base.llms.types import ToolCallBlock  # noqa: E402
from llama_index.core.llms import ChatMessage, MessageRole  # noqa: E402
from llama_index.core.llms.mock import MockFunctionCallingLLM  # noqa: E402

from composio.providers.llamaindex import LlamaIndexProvider  # noqa: E402

# llama-index-core reads pydantic's deprecated ``__fields__`` on every model it touches.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Script:
    """The mock LLM's ``response_generator``: plays ``turns`` (lists of tool calls), then
    "done"; records the tool messages of each turn and the tool schemas offered."""

    def __init__(self, *turns: list[tuple[str, dict[str, Any]]]) -> None:
        self.turns = list(turns)
        self.tool_messages: list[list[ChatMessage]] = []
        self.offered: list[dict[str, Any]] = []

    def __call__(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatMessage:
        self.offered = [
            {"name": t.metadata.name, **t.metadata.get_parameters_dict()} for t in kw["tools"]
        ]
        self.tool_messages.append([m for m in messages if m.role == MessageRole.TOOL])
        turn = len(self.tool_messages) - 1
        if turn < len(self.turns):
            blocks = [
                ToolCallBlock(tool_call_id=f"c{turn}{i}", tool_name=name, tool_kwargs=args)
                for i, (name, args) in enumerate(self.turns[turn])
            ]
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
        return ChatMessage(role=MessageRole.ASSISTANT, content="done")

    def answers(self, turn: int) -> list[Any]:
        """What the tools answered, as the model read it on ``turn`` (new messages only)."""
        before = len(self.tool_messages[turn - 1]) if turn else 0
        return [json.loads(str(m.content)) for m in self.tool_messages[turn][before:]]


async def run_agent(tools: list[Any], script: Script) -> str:
    agent = FunctionAgent(tools=tools, llm=MockFunctionCallingLLM(response_generator=script))
    result = await agent.run(user_msg="please")
    return str(result.response.content)


def test_item_agent_runs_tools_and_the_model_reads_results_and_errors(
    driver: Driver, server: LocalServer
) -> None:
    tools, spy = framework_tools(driver, server, LlamaIndexProvider(), "MATH_ADD", "MATH_DIVIDE")
    script = Script(
        [("MATH_ADD", {"a": 2, "b": 3})],
        [("MATH_DIVIDE", {"a": 1, "b": 0})],
        [("MATH_ADD", {"a": [], "b": {}})],
    )
    assert asyncio.run(run_agent(tools, script)) == "done"
    assert [t["name"] for t in script.offered] == ["MATH_ADD", "MATH_DIVIDE"]
    assert script.offered[0]["required"] == ["a", "b"]
    assert script.answers(1) == [{"result": 5}]
    assert script.answers(2) == [{"successful": False, "error": "division by zero"}]
    [refused] = script.answers(3)
    assert refused["successful"] is False and "must be a number" in refused["error"]
    check_executed(server, "MATH_ADD", "MATH_DIVIDE", "MATH_ADD")
    assert [s[0] for s in spy.seen] == ["MATH_ADD", "MATH_DIVIDE", "MATH_ADD"]
    # Outside an agent, the sync path: an error is an output flagged as one, not a raise.
    divide = tools[1]
    assert divide.call(a=1, b=0).is_error is True
    assert json.loads(str(tools[0].call(a=1, b=1))) == {"result": 2}


def test_item_argument_names_that_are_not_identifiers_or_are_keywords(
    driver: Driver, server: LocalServer
) -> None:
    def run(tools: list[Any]) -> Any:
        script = Script([("GITHUB_LIST_ISSUES", ODD_ARGUMENTS)])
        assert asyncio.run(run_agent(tools, script)) == "done"
        return script.offered[0]["properties"]

    check_odd_names(driver, server, LlamaIndexProvider(), run)


@pytest.mark.asyncio
async def test_item_async_agent_awaits_natively_or_runs_in_a_worker_thread(
    kind: str, server: LocalServer
) -> None:
    async def run(tools: list[Any]) -> None:
        script = Script([("MATH_ADD", {"a": 4, "b": 5})])
        assert await run_agent(tools, script) == "done"
        assert script.answers(1) == [{"result": 9}]

    await check_async_path(kind, server, LlamaIndexProvider(), run)
