"""LangChain tools in LangGraph's own agent loop (SPEC §17), with a scripted chat model.

The graph is LangGraph's prebuilt ``create_react_agent``: it binds the tools to the model,
runs the tool calls the model makes through its ``ToolNode``, and feeds the ``ToolMessage``
back to the model. Our code only makes the tools; everything else is the framework's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from composio import AsyncComposio
from composio.testing import Fault, LocalServer
from tests._drivers import Driver
from tests.frameworks.conftest import (
    ODD_ARGUMENTS,
    check_async_path,
    check_executed,
    check_odd_names,
    executions,
    framework,
    framework_tools,
)

framework("langgraph.prebuilt")
framework("langchain_core")

from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402
from langgraph.prebuilt import create_react_agent  # noqa: E402

from composio.providers.langchain import LangchainProvider  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class ScriptedModel(BaseChatModel):
    """A chat model that plays ``turns`` in order and records what it was shown: the
    messages of each turn and the tool schemas bound to it."""

    turns: list[AIMessage]
    seen: list[list[BaseMessage]] = []
    bound: list[dict[str, Any]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kw: Any) -> ChatResult:
        self.seen.append(list(messages))
        message = self.turns[len(self.seen) - 1]
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(self, tools: Sequence[Any], **kw: Any) -> ScriptedModel:
        self.bound.extend(convert_to_openai_tool(t) for t in tools)
        return self


def call(name: str, args: dict[str, Any], call_id: str = "call_1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}])


def model(*turns: AIMessage) -> ScriptedModel:
    return ScriptedModel(turns=[*turns, AIMessage(content="done")], seen=[], bound=[])


def tool_answer(scripted: ScriptedModel, turn: int = 1) -> ToolMessage:
    """The last ToolMessage the model was shown on ``turn`` (0-based): what the tool answered
    to the previous turn's call."""
    return [m for m in scripted.seen[turn] if isinstance(m, ToolMessage)][-1]


def run_agent(tools: list[Any], scripted: ScriptedModel) -> list[BaseMessage]:
    agent = create_react_agent(scripted, tools)
    out = agent.invoke({"messages": [("user", "please")]})
    messages: list[BaseMessage] = out["messages"]
    assert messages[-1].content == "done"  # the loop finished: the model's last turn
    return messages


def test_item_agent_calls_a_tool_and_the_model_reads_its_result(
    driver: Driver, server: LocalServer
) -> None:
    tools, spy = framework_tools(driver, server, LangchainProvider(), "MATH_ADD", "MATH_DIVIDE")
    scripted = model(call("MATH_ADD", {"a": 2, "b": 3}))
    run_agent(tools, scripted)
    assert [t["function"]["name"] for t in scripted.bound] == ["MATH_ADD", "MATH_DIVIDE"]
    assert scripted.bound[0]["function"]["parameters"]["required"] == ["a", "b"]
    answer = tool_answer(scripted)
    assert json.loads(answer.content) == {"result": 5}
    assert answer.status == "success" and answer.tool_call_id == "call_1"
    check_executed(server, "MATH_ADD")
    assert spy.seen == [("MATH_ADD", "alice", {"a": 2, "b": 3})]


def test_item_a_failing_tool_reaches_the_model_as_an_error(
    driver: Driver, server: LocalServer
) -> None:
    tools, _ = framework_tools(driver, server, LangchainProvider(), "MATH_DIVIDE")
    scripted = model(call("MATH_DIVIDE", {"a": 1, "b": 0}))
    run_agent(tools, scripted)
    answer = tool_answer(scripted)
    assert answer.status == "error"
    assert json.loads(answer.content) == {"successful": False, "error": "division by zero"}
    check_executed(server, "MATH_DIVIDE")


def test_item_garbage_arguments_and_api_failures_are_errors_not_exceptions(
    driver: Driver, server: LocalServer
) -> None:
    [tool], spy = framework_tools(driver, server, LangchainProvider(), "MATH_ADD", max_retries=0)
    server.fail_next("/api/v3/tools/execute/MATH_ADD", [503, Fault(action="reset")])
    scripted = model(
        call("MATH_ADD", {"a": 1, "b": 1}, "c1"),  # 503 from the API
        call("MATH_ADD", {"a": 1, "b": 1}, "c2"),  # the connection reset
        call("MATH_ADD", {"a": "two", "b": [3]}, "c3"),  # wrong types: the tool refuses
    )
    run_agent([tool], scripted)
    answers = [tool_answer(scripted, turn) for turn in (1, 2, 3)]
    assert [a.status for a in answers] == ["error"] * 3
    errors = [json.loads(a.content)["error"] for a in answers]
    assert "503" in errors[0] and "reset" in errors[1].lower(), errors
    assert "must be a number" in errors[2]
    assert len(spy.seen) == 3 and len(executions(server)) == 3
    # The model's JSON text that is not an object is never sent.
    assert json.loads(tool.invoke("[1, 2]"))["error"].endswith("(got an array)")
    assert len(executions(server)) == 3


def test_item_argument_names_that_are_not_identifiers_or_are_keywords(
    driver: Driver, server: LocalServer
) -> None:
    """``$expand`` and ``for`` (vendor #2265), and ``config``, which LangChain would replace
    with its own RunnableConfig were the arguments spread as keywords."""

    def run(tools: list[Any]) -> Any:
        scripted = model(call("GITHUB_LIST_ISSUES", ODD_ARGUMENTS))
        run_agent(tools, scripted)
        assert tool_answer(scripted).status == "success"
        return scripted.bound[0]["function"]["parameters"]["properties"]

    check_odd_names(driver, server, LangchainProvider(), run)


@pytest.mark.asyncio
async def test_item_async_path_awaits_natively_or_runs_in_a_worker_thread(
    kind: str, server: LocalServer
) -> None:
    async def run(tools: list[Any]) -> None:
        scripted = model(call("MATH_ADD", {"a": 4, "b": 5}))
        out = await create_react_agent(scripted, tools).ainvoke({"messages": [("user", "hi")]})
        assert out["messages"][-1].content == "done"
        assert json.loads(tool_answer(scripted).content) == {"result": 9}

    await check_async_path(kind, server, LangchainProvider(), run)


@pytest.mark.asyncio
async def test_item_async_client_tool_called_synchronously_on_its_loop_is_an_error(
    server: LocalServer,
) -> None:
    """Blocking the loop that must run the call would deadlock; the model reads why."""
    async with AsyncComposio(
        api_key=server.api_key, base_url=server.url, provider=LangchainProvider()
    ) as client:
        [tool] = await client.tools.get("alice", tools=["MATH_ADD"])
        error = json.loads(tool.invoke({"a": 1, "b": 1}))
    assert "synchronously on the event loop" in error["error"]
    assert executions(server) == []
