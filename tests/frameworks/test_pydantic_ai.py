"""pydantic-ai tools in pydantic-ai's own ``Agent`` run (SPEC §17), with its ``FunctionModel``.

The agent sends the model the tool definitions, runs the tool calls the model returns, and
gives the model their returns on its next request.
"""

from __future__ import annotations

import json
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

framework("pydantic_ai")

from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.messages import (  # noqa: E402
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from composio.providers.pydantic_ai import PydanticAIProvider  # noqa: E402


class Script:
    """A ``FunctionModel`` function: plays ``turns`` (lists of tool calls), then "done";
    records the tool returns it was shown and the tool definitions it was offered."""

    def __init__(self, *turns: list[tuple[str, dict[str, Any]]]) -> None:
        self.turns = list(turns)
        self.returns: list[list[ToolReturnPart]] = []
        self.offered: list[Any] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.offered = list(info.function_tools)
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        self.returns.append([p for p in last.parts if isinstance(p, ToolReturnPart)])
        turn = len(self.returns) - 1
        if turn < len(self.turns):
            return ModelResponse(
                parts=[
                    ToolCallPart(name, args, tool_call_id=f"c{turn}{i}")
                    for i, (name, args) in enumerate(self.turns[turn])
                ]
            )
        return ModelResponse(parts=[TextPart("done")])

    def answers(self, turn: int) -> dict[str, Any]:
        """``{call id: (outcome, JSON content)}`` of the returns shown on ``turn``."""
        return {
            p.tool_call_id: (getattr(p, "outcome", "success"), json.loads(p.model_response_str()))
            for p in self.returns[turn]
        }


def test_item_agent_runs_tools_and_the_model_reads_results_and_errors(
    driver: Driver, server: LocalServer
) -> None:
    tools, spy = framework_tools(driver, server, PydanticAIProvider(), "MATH_ADD", "MATH_DIVIDE")
    script = Script(
        [("MATH_ADD", {"a": 2, "b": 3})],
        [("MATH_DIVIDE", {"a": 1, "b": 0})],
        [("MATH_ADD", {"a": "x", "b": None})],
    )
    result = Agent(FunctionModel(script), tools=tools).run_sync("please")
    assert result.output == "done"
    assert [t.name for t in script.offered] == ["MATH_ADD", "MATH_DIVIDE"]
    assert script.offered[0].parameters_json_schema["required"] == ["a", "b"]
    assert script.answers(1) == {"c00": ("success", {"result": 5})}
    outcome, failed = script.answers(2)["c10"]
    assert outcome == "failed" and failed == {"error": "division by zero"}  # pydantic-ai's
    outcome, refused = script.answers(3)["c20"]
    assert outcome == "failed" and "must be a number" in refused["error"]
    check_executed(server, "MATH_ADD", "MATH_DIVIDE", "MATH_ADD")
    assert [s[0] for s in spy.seen] == ["MATH_ADD", "MATH_DIVIDE", "MATH_ADD"]


def test_item_argument_names_that_are_not_identifiers_or_are_keywords(
    driver: Driver, server: LocalServer
) -> None:
    def run(tools: list[Any]) -> Any:
        script = Script([("GITHUB_LIST_ISSUES", ODD_ARGUMENTS)])
        assert Agent(FunctionModel(script), tools=tools).run_sync("please").output == "done"
        return script.offered[0].parameters_json_schema["properties"]

    check_odd_names(driver, server, PydanticAIProvider(), run)


@pytest.mark.asyncio
async def test_item_async_run_awaits_natively_or_runs_in_a_worker_thread(
    kind: str, server: LocalServer
) -> None:
    async def run(tools: list[Any]) -> None:
        script = Script([("MATH_ADD", {"a": 4, "b": 5})])
        result = await Agent(FunctionModel(script), tools=tools).run("please")
        assert result.output == "done"
        assert script.answers(1) == {"c00": ("success", {"result": 9})}

    await check_async_path(kind, server, PydanticAIProvider(), run)
