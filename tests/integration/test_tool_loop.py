"""The handle_tool_calls loop, assembled from the §15 integration API over real HTTP.

``tools.handle_tool_calls`` is wired in a later step; this drives the same steps it will run
(parse -> prepare -> execute -> finish -> format, composio._tool_calls) against LocalServer,
with the frameworks' real response types, so the integration API is proven before it is
wired, and the rules of SPEC §15 are checked end to end.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pluggy
import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion

from composio import (
    AnthropicProvider,
    Composio,
    ExecuteRequest,
    NotFoundError,
    OpenAIProvider,
    Provider,
    ToolExecution,
    after_execute,
    before_execute,
    custom_tool,
    hookimpl,
    hookspecs,
)
from composio._tool_calls import finish, prepare, unknown_tool
from composio.custom_tools import CustomTool
from composio.modifiers import Modifier, check_modifiers, toolkit_of
from composio.testing import LocalServer


@custom_tool(toolkit="text")
def shout(text: str, times: int = 1) -> str:
    """Upper-case a text and repeat it."""
    return text.upper() * times


@pytest.fixture
def server(composio_server: LocalServer) -> LocalServer:
    return composio_server


@pytest.fixture
def client(composio_client: Composio) -> Composio:
    return composio_client


def executed(server: LocalServer) -> list[str]:
    """The tool slugs the server was asked to execute, in order."""
    return [r.path.rsplit("/", 1)[-1] for r in server.requests if "/tools/execute/" in r.path]


def relay(*plugins: object) -> Any:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm.hook


def handle(
    client: Composio,
    provider: Provider,
    response: object,
    *,
    user_id: str,
    custom: Sequence[CustomTool] = (),
    hooks: Any = None,
    modifiers: Sequence[Modifier[Any]] | None = None,
) -> list[object]:
    """What tools.handle_tool_calls will do (sequential form), with public calls for the I/O."""
    mods = check_modifiers(modifiers)
    local = {t.slug: t for t in custom}
    calls = provider.parse_tool_calls(response)
    results: list[ToolExecution] = []
    for call in calls:
        custom_tool_ = local.get(call.slug)
        if custom_tool_ is not None:
            tool = custom_tool_.tool
        else:
            try:
                tool = client.tools.retrieve(call.slug)
            except NotFoundError:
                results.append(unknown_tool(call))
                continue
        toolkit = toolkit_of(tool)
        step = prepare(call, toolkit, user_id=user_id, hooks=hooks, modifiers=mods)
        if isinstance(step, ToolExecution):
            results.append(step)
            continue
        if custom_tool_ is not None:
            result = custom_tool_.execute(step.arguments)
        else:
            result = client.tools.execute(
                call.slug,
                step.arguments,
                user_id=step.user_id,
                connected_account_id=step.connected_account_id,
                version=step.version,
                raise_on_error=False,
            )
        results.append(finish(call, toolkit, result, hooks=hooks, modifiers=mods))
    return provider.format_results(calls, results)


def completion(*calls: tuple[str, str, str]) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                            for i, n, a in calls
                        ],
                    },
                }
            ],
        }
    )


def contents(messages: list[Any]) -> dict[str, Any]:
    return {m["tool_call_id"]: json.loads(m["content"]) for m in messages}


def test_every_kind_of_call_is_answered_in_order(client: Composio, server: LocalServer) -> None:
    response = completion(
        ("c1", "MATH_ADD", '{"a": 2, "b": 3}'),
        ("c2", "MATH_DIVIDE", '{"a": 1, "b": 0}'),  # the tool's own failure
        ("c3", "NO_SUCH_TOOL", "{}"),  # unknown tool
        ("c4", "MATH_ADD", '{"a": 2,'),  # not JSON
        ("c5", "MATH_ADD", "[2, 3]"),  # not an object
        ("c6", "SHOUT", '{"text": "hi", "times": 2}'),  # custom tool, run locally
    )
    out = handle(client, OpenAIProvider(), response, user_id="user-a", custom=[shout])
    assert [m["tool_call_id"] for m in out] == ["c1", "c2", "c3", "c4", "c5", "c6"]  # type: ignore[index]
    got = contents(out)
    assert got["c1"] == {"result": 5}
    assert got["c2"] == {"successful": False, "error": "division by zero"}
    assert got["c3"]["successful"] is False and "unknown tool 'NO_SUCH_TOOL'" in got["c3"]["error"]
    assert "not valid JSON" in got["c4"]["error"]
    assert "not a JSON object (got an array)" in got["c5"]["error"]
    assert got["c6"] == {"result": "HIHI"}
    assert executed(server) == ["MATH_ADD", "MATH_DIVIDE"]  # custom tools run locally


def test_invalid_arguments_are_never_executed(client: Composio, server: LocalServer) -> None:
    calls = [("c1", "MATH_ADD", "[1]"), ("c2", "MATH_ADD", '{"a": 1, "b": 2}')]
    handle(client, OpenAIProvider(), completion(*calls), user_id="u")
    assert executed(server) == ["MATH_ADD"]  # the valid one only
    assert server.requests[-1].json()["arguments"] == {"a": 1, "b": 2}


def test_before_modifier_changes_what_is_sent_and_after_modifier_what_the_model_reads(
    client: Composio, server: LocalServer
) -> None:
    @before_execute(tools=["math_add"])
    def double_b(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        args = dict(request.arguments)
        args["b"] = args["b"] * 2
        return dataclasses.replace(request, arguments=args, connected_account_id="ca_123")

    @after_execute(toolkits=["MATH"])
    def tag(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return dataclasses.replace(result, data={**(result.data or {}), "via": f"{toolkit}/{tool}"})

    out = handle(
        client,
        OpenAIProvider(),
        completion(("c1", "MATH_ADD", '{"a": 1, "b": 10}')),
        user_id="user-a",
        modifiers=[double_b, tag],
    )
    assert contents(out)["c1"] == {"result": 21, "via": "math/MATH_ADD"}
    body = server.requests[-1].json()
    assert body["arguments"] == {"a": 1, "b": 20}
    assert body["user_id"] == "user-a" and body["connected_account_id"] == "ca_123"


def test_a_raising_modifier_fails_only_its_call(client: Composio, server: LocalServer) -> None:
    @before_execute(tools=["MATH_DIVIDE"])
    def refuse(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        raise PermissionError("dividing is not allowed for this user")

    @after_execute(tools=["MATH_MULTIPLY"])
    def broken(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        raise ValueError("bad formatter")

    out = handle(
        client,
        AnthropicProvider(),
        Message.model_validate(
            {
                "id": "m",
                "type": "message",
                "role": "assistant",
                "model": "claude",
                "stop_reason": "tool_use",
                "usage": {"input_tokens": 1, "output_tokens": 1},
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "MATH_DIVIDE",
                        "input": {"a": 1, "b": 1},
                    },
                    {"type": "tool_use", "id": "t2", "name": "MATH_ADD", "input": {"a": 1, "b": 1}},
                    {
                        "type": "tool_use",
                        "id": "t3",
                        "name": "MATH_MULTIPLY",
                        "input": {"a": 2, "b": 3},
                    },
                ],
            }
        ),
        user_id="user-a",
        modifiers=[refuse, broken],
    )
    [message] = out
    blocks = message["content"]  # type: ignore[index]
    assert [b["tool_use_id"] for b in blocks] == ["t1", "t2", "t3"]
    first = json.loads(blocks[0]["content"])
    assert blocks[0]["is_error"] is True and first["successful"] is False
    assert (
        "refuse" in first["error"] and "PermissionError: dividing is not allowed" in first["error"]
    )
    assert json.loads(blocks[1]["content"]) == {"result": 2} and "is_error" not in blocks[1]
    third = json.loads(blocks[2]["content"])
    assert blocks[2]["is_error"] is True and "broken" in third["error"]
    # The refused call was never sent; the multiply ran (its after-modifier failed after).
    assert executed(server) == ["MATH_ADD", "MATH_MULTIPLY"]


def test_plugins_run_before_the_calls_modifiers(client: Composio, server: LocalServer) -> None:
    class Tenancy:
        @hookimpl
        def composio_before_execute(self, params: ExecuteRequest) -> ExecuteRequest:
            return dataclasses.replace(params, user_id=f"tenant-7:{params.user_id}")

    seen: list[str | None] = []

    @before_execute
    def spy(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        seen.append(request.user_id)
        return request

    handle(
        client,
        OpenAIProvider(),
        completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')),
        user_id="alice",
        hooks=relay(Tenancy()),
        modifiers=[spy],
    )
    assert seen == ["tenant-7:alice"]
    assert server.requests[-1].json()["user_id"] == "tenant-7:alice"
