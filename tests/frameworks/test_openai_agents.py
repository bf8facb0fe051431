"""OpenAI Agents SDK tools in the SDK's own ``Runner`` (SPEC §17), with a scripted ``Model``.

The Runner sends the model the tools, executes the function calls the model returns through
the ``FunctionTool`` s, and gives the model their outputs on its next turn.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver
from tests.frameworks.conftest import (
    check_async_path,
    check_executed,
    framework,
    framework_tools,
)

framework("agents")

from agents import Agent, Model, ModelResponse, RunConfig, Runner, Usage  # noqa: E402
from openai.types.responses import (  # noqa: E402
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from composio.providers.openai_agents import OpenAIAgentsProvider  # noqa: E402

#: no trace leaves the process (the SDK's default exporter posts to OpenAI)
NO_TRACING = RunConfig(tracing_disabled=True)


class ScriptedModel(Model):
    """Plays ``turns`` (lists of function calls), then answers "done"; records each turn's
    input items and the tools it was offered."""

    def __init__(self, *turns: list[tuple[str, str]]) -> None:
        self.turns = list(turns)
        self.inputs: list[list[Any]] = []
        self.tools: list[Any] = []

    async def get_response(self, system_instructions: Any, input: Any, **kw: Any) -> Any:
        self.inputs.append(list(input) if isinstance(input, list) else [input])
        self.tools = list(kw["tools"])
        turn = len(self.inputs) - 1
        if turn < len(self.turns):
            output: list[Any] = [
                ResponseFunctionToolCall(
                    type="function_call", call_id=f"call_{turn}_{i}", name=name, arguments=args_
                )
                for i, (name, args_) in enumerate(self.turns[turn])
            ]
        else:
            text = ResponseOutputText(type="output_text", text="done", annotations=[])
            output = [
                ResponseOutputMessage(
                    id="m", type="message", role="assistant", status="completed", content=[text]
                )
            ]
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kw: Any) -> Any:
        raise NotImplementedError

    def outputs(self, turn: int) -> dict[str, str]:
        """The function-call outputs the model was shown on ``turn``, by call id."""
        return {
            item["call_id"]: item["output"]
            for item in self.inputs[turn]
            if isinstance(item, dict) and item.get("type") == "function_call_output"
        }


def agent(tools: list[Any], model: ScriptedModel) -> Agent[Any]:
    return Agent(name="assistant", instructions="Use the tools.", model=model, tools=tools)


def test_item_runner_calls_tools_and_the_model_reads_results_and_errors(
    driver: Driver, server: LocalServer
) -> None:
    tools, spy = framework_tools(driver, server, OpenAIAgentsProvider(), "MATH_ADD", "MATH_DIVIDE")
    model = ScriptedModel(
        [("MATH_ADD", '{"a": 2, "b": 3}'), ("MATH_DIVIDE", '{"a": 1, "b": 0}')],
        [("MATH_ADD", '{"a": 2,'), ("MATH_ADD", "[1, 2]")],
    )
    result = Runner.run_sync(agent(tools, model), "please", run_config=NO_TRACING)
    assert result.final_output == "done"
    assert [t.name for t in model.tools] == ["MATH_ADD", "MATH_DIVIDE"]
    assert model.tools[0].strict_json_schema is False
    first = model.outputs(1)
    assert json.loads(first["call_0_0"]) == {"result": 5}
    assert json.loads(first["call_0_1"]) == {"successful": False, "error": "division by zero"}
    second = {k: json.loads(v) for k, v in model.outputs(2).items()}
    assert "not valid JSON" in second["call_1_0"]["error"]
    assert "not a JSON object" in second["call_1_1"]["error"]
    check_executed(server, "MATH_ADD", "MATH_DIVIDE")  # the garbage was never sent
    assert sorted(s[:2] for s in spy.seen) == [("MATH_ADD", "alice"), ("MATH_DIVIDE", "alice")]


@pytest.mark.asyncio
async def test_item_async_runner_awaits_natively_or_runs_in_a_worker_thread(
    kind: str, server: LocalServer
) -> None:
    async def run(tools: list[Any]) -> None:
        model = ScriptedModel([("MATH_ADD", '{"a": 4, "b": 5}')])
        result = await Runner.run(agent(tools, model), "please", run_config=NO_TRACING)
        assert result.final_output == "done"
        assert json.loads(model.outputs(1)["call_0_0"]) == {"result": 9}

    await check_async_path(kind, server, OpenAIAgentsProvider(), run)
