"""``tools.handle_tool_calls`` over real HTTP (SPEC §15), on both clients.

Every test runs on ``Composio`` and on ``AsyncComposio`` (the ``driver`` fixture) against a
LocalServer, with the frameworks' real response types (``openai``, ``anthropic``), so the
rules hold where users meet them: every call answered in call order, errors as results the
model reads, invalid calls never executed, the session's headers on every request.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion
from openai.types.responses import Response as ResponsesResponse

from composio import (
    AnthropicProvider,
    AuthenticationError,
    ComposioError,
    ExecuteRequest,
    OpenAIResponsesProvider,
    ToolExecution,
    ValidationError,
    after_execute,
    before_execute,
    custom_tool,
    hookimpl,
    schema_modifier,
)
from composio.testing import LocalServer
from tests._drivers import Driver
from tests._recording import RecordingTransport


@custom_tool(toolkit="text")
def shout(text: str, times: int = 1) -> str:
    """Upper-case a text and repeat it."""
    return text.upper() * times


@pytest.fixture
def server() -> Any:
    with LocalServer() as srv:
        yield srv


def make(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    settings: dict[str, Any] = {"api_key": server.api_key, "base_url": server.url}
    return driver.client(**{**settings, "allow_tracking": False, **kw})


def executions(server: LocalServer) -> list[Any]:
    """The execute requests the server received, in order."""
    return [r for r in server.requests if "/tools/execute/" in r.path]


def executed(server: LocalServer) -> list[str]:
    """The tool slugs the server was asked to execute, in order."""
    return [r.path.rsplit("/", 1)[-1] for r in executions(server)]


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


def anthropic_message(*uses: tuple[str, str, Any]) -> Message:
    return Message.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 1},
            "content": [{"type": "text", "text": "On it."}]
            + [{"type": "tool_use", "id": i, "name": n, "input": inp} for i, n, inp in uses],
        }
    )


def contents(messages: list[Any]) -> dict[str, Any]:
    return {m["tool_call_id"]: json.loads(m["content"]) for m in messages}


def test_every_kind_of_call_is_answered_in_call_order(driver: Driver, server: LocalServer) -> None:
    client = make(driver, server, custom_tools=[shout])
    response = completion(
        ("c1", "MATH_ADD", '{"a": 2, "b": 3}'),
        ("c2", "MATH_DIVIDE", '{"a": 1, "b": 0}'),  # the tool's own failure
        ("c3", "NO_SUCH_TOOL", "{}"),  # unknown tool
        ("c4", "MATH_ADD", '{"a": 2,'),  # not JSON
        ("c5", "MATH_ADD", "[2, 3]"),  # not an object
        ("c6", "SHOUT", '{"text": "hi", "times": 2}'),  # custom tool, run locally
    )
    out = client.tools.handle_tool_calls("user-a", response)
    assert [m["role"] for m in out] == ["tool"] * 6
    assert [m["tool_call_id"] for m in out] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    got = contents(out)
    assert got["c1"] == {"result": 5}
    assert got["c2"] == {"successful": False, "error": "division by zero"}
    assert got["c3"]["successful"] is False and "unknown tool 'NO_SUCH_TOOL'" in got["c3"]["error"]
    assert "not valid JSON" in got["c4"]["error"]
    assert "not a JSON object (got an array)" in got["c5"]["error"]
    assert got["c6"] == {"result": "HIHI"}
    # c4/c5 never reached the server; SHOUT ran in this process.
    assert executed(server) == ["MATH_ADD", "MATH_DIVIDE", "NO_SUCH_TOOL"]
    assert all(r.json()["user_id"] == "user-a" for r in executions(server))


def test_the_session_headers_apply_to_every_request(driver: Driver, server: LocalServer) -> None:
    session = make(driver, server).create_session(headers={"x-request-id": "turn-7"})
    session.tools.handle_tool_calls(
        "u",
        completion(
            ("c1", "MATH_ADD", '{"a": 1, "b": 1}'), ("c2", "MATH_MULTIPLY", '{"a": 2, "b": 2}')
        ),
        extra_headers={"x-trace": "abc"},
    )
    sent = executions(server)
    assert len(sent) == 2
    assert {r.header("x-request-id") for r in sent} == {"turn-7"}
    assert {r.header("x-trace") for r in sent} == {"abc"}


def test_anthropic_results_are_one_user_message_with_is_error(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, provider=AnthropicProvider())
    message = anthropic_message(
        ("t1", "MATH_ADD", {"a": 1, "b": 2}), ("t2", "MATH_DIVIDE", {"a": 1, "b": 0})
    ).model_dump()
    # anthropic's own type refuses a non-object input; some proxies do not: the dict form.
    message["content"].append({"type": "tool_use", "id": "t3", "name": "MATH_ADD", "input": [1]})
    [reply] = client.tools.handle_tool_calls("u", message)
    assert reply["role"] == "user"
    blocks = reply["content"]
    assert [b["tool_use_id"] for b in blocks] == ["t1", "t2", "t3"]
    assert json.loads(blocks[0]["content"]) == {"result": 3} and "is_error" not in blocks[0]
    assert blocks[1]["is_error"] is True
    assert json.loads(blocks[1]["content"])["error"] == "division by zero"
    assert blocks[2]["is_error"] is True and "not a JSON object" in blocks[2]["content"]
    assert executed(server) == ["MATH_ADD", "MATH_DIVIDE"]
    # No calls (a text-only message): nothing to send back, no request.
    assert client.tools.handle_tool_calls("u", anthropic_message()) == []
    assert len(executed(server)) == 2


def test_responses_api_answers_call_ids(driver: Driver, server: LocalServer) -> None:
    client = make(driver, server, provider=OpenAIResponsesProvider())
    response = ResponsesResponse.model_validate(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "model": "gpt-4o",
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {
                    "type": "function_call",
                    "id": "fc_1",
                    "call_id": "call_a",
                    "name": "MATH_ADD",
                    "arguments": '{"a": 4, "b": 5}',
                },
                {
                    "type": "function_call",
                    "id": "fc_2",
                    "call_id": "call_b",
                    "name": "TEXT_UPPERCASE",
                    "arguments": '{"text": "ok"}',
                },
            ],
        }
    )
    items = client.tools.handle_tool_calls("u", response)
    assert [(i["type"], i["call_id"]) for i in items] == [
        ("function_call_output", "call_a"),
        ("function_call_output", "call_b"),
    ]
    assert json.loads(items[0]["output"]) == {"result": 9}
    assert executed(server) == ["MATH_ADD", "TEXT_UPPERCASE"]


def test_modifiers_by_call_change_what_is_sent_and_what_the_model_reads(
    driver: Driver, server: LocalServer
) -> None:
    @before_execute(tools=["math_add"])
    def double_b(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        args = dict(request.arguments)
        args["b"] = args["b"] * 2
        return dataclasses.replace(request, arguments=args, connected_account_id="ca_123")

    @after_execute(toolkits=["MATH"])
    def tag(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return dataclasses.replace(result, data={**(result.data or {}), "via": f"{toolkit}/{tool}"})

    client = make(driver, server)
    out = client.tools.handle_tool_calls(
        "user-a",
        completion(
            ("c1", "MATH_ADD", '{"a": 1, "b": 10}'), ("c2", "TEXT_UPPERCASE", '{"text": "x"}')
        ),
        modifiers=[double_b, tag],
    )
    got = contents(out)
    assert got["c1"] == {"result": 21, "via": "math/MATH_ADD"}
    assert got["c2"] == {"result": "X"}  # neither filter matches the text toolkit
    add = executions(server)[0].json()
    assert add["arguments"] == {"a": 1, "b": 20}
    assert add["user_id"] == "user-a" and add["connected_account_id"] == "ca_123"


def test_a_raising_modifier_fails_only_its_call(driver: Driver, server: LocalServer) -> None:
    @before_execute(tools=["MATH_DIVIDE"])
    def refuse(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        raise PermissionError("dividing is not allowed for this user")

    @after_execute(tools=["MATH_MULTIPLY"])
    def broken(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        raise ValueError("bad formatter")

    client = make(driver, server, provider=AnthropicProvider())
    [message] = client.tools.handle_tool_calls(
        "user-a",
        anthropic_message(
            ("t1", "MATH_DIVIDE", {"a": 1, "b": 1}),
            ("t2", "MATH_ADD", {"a": 1, "b": 1}),
            ("t3", "MATH_MULTIPLY", {"a": 2, "b": 3}),
        ),
        modifiers=[refuse, broken],
    )
    blocks = message["content"]
    first = json.loads(blocks[0]["content"])
    assert blocks[0]["is_error"] is True and first["successful"] is False
    assert "refuse" in first["error"]
    assert "PermissionError: dividing is not allowed" in first["error"]
    assert json.loads(blocks[1]["content"]) == {"result": 2} and "is_error" not in blocks[1]
    assert blocks[2]["is_error"] is True and "broken" in json.loads(blocks[2]["content"])["error"]
    # The refused call was never sent; the multiply ran (its after-modifier failed after).
    assert executed(server) == ["MATH_ADD", "MATH_MULTIPLY"]


class Tenancy:
    """Runs every execution as the tenant's user and tags results (a plugin's modifiers)."""

    composio_plugin_name = "tenancy"

    @hookimpl
    def composio_before_execute(self, params: ExecuteRequest) -> ExecuteRequest:
        return dataclasses.replace(params, user_id=f"tenant-7:{params.user_id}")

    @hookimpl
    def composio_after_execute(self, tool: str, result: ToolExecution) -> ToolExecution | None:
        if not result.successful:
            return None  # unchanged
        return dataclasses.replace(result, data={**(result.data or {}), "tenant": 7})

    @hookimpl
    def composio_tool_schema(self, toolkit: str, schema: Any) -> Any:
        return dataclasses.replace(schema, description=f"[{toolkit}] {schema.description}")


def test_amended_order_the_calls_modifiers_run_before_the_plugins(
    driver: Driver, server: LocalServer
) -> None:
    """SPEC §15 (Part III): modifiers first, plugins last -- the plugin sees what is sent and
    what the model reads."""
    seen: list[Any] = []

    @before_execute
    def spy(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        seen.append((tool, toolkit, request.user_id))
        return request

    @after_execute
    def spy_after(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        seen.append(dict(result.data or {}))
        return result

    client = make(driver, server, plugins=[Tenancy()])
    out = client.tools.handle_tool_calls(
        "alice",
        completion(
            ("c1", "MATH_ADD", '{"a": 1, "b": 1}'), ("c2", "MATH_DIVIDE", '{"a": 1, "b": 0}')
        ),
        modifiers=[spy, spy_after],
    )
    assert seen == [
        ("MATH_ADD", "math", "alice"),  # before the plugin changed the user
        {"result": 2},  # before the plugin tagged the result
        ("MATH_DIVIDE", "math", "alice"),
        {},
    ]
    assert contents(out)["c1"] == {"result": 2, "tenant": 7}
    assert contents(out)["c2"]["successful"] is False  # None from the hook: unchanged
    assert {r.json()["user_id"] for r in executions(server)} == {"tenant-7:alice"}


def test_the_toolkit_is_looked_up_once_per_tool_and_only_when_needed(
    driver: Driver, server: LocalServer
) -> None:
    """Hooks and modifiers receive the toolkit: one GET /tools/{slug} the first time, then
    the root client's cache (shared by its sessions); nothing at all without hooks or
    modifiers, and nothing for a tool tools.get already returned."""
    plain = make(driver, server)
    plain.tools.handle_tool_calls("u", completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')))
    assert [r for r in server.requests if r.path.endswith("/tools/MATH_ADD")] == []

    client = make(driver, server, plugins=[Tenancy()])
    twice = completion(
        ("c1", "MATH_ADD", '{"a": 1, "b": 1}'), ("c2", "MATH_ADD", '{"a": 2, "b": 2}')
    )
    client.tools.handle_tool_calls("u", twice)
    client.create_session(headers={"x-s": "1"}).tools.handle_tool_calls("u", twice)
    lookups = [r for r in server.requests if r.path.endswith("/tools/MATH_ADD")]
    assert len(lookups) == 1 and lookups[0].method == "GET"

    client.tools.get("u", toolkits=["text"])
    client.tools.handle_tool_calls("u", completion(("c1", "TEXT_UPPERCASE", '{"text": "a"}')))
    assert [r for r in server.requests if r.path.endswith("/tools/TEXT_UPPERCASE")] == []


def test_schema_hooks_and_modifiers_shape_tools_get(driver: Driver, server: LocalServer) -> None:
    @schema_modifier(tools=["MATH_ADD"])
    def simpler(tool: str, toolkit: str, schema: Any) -> Any:
        return dataclasses.replace(schema, description="Add a and b.")

    client = make(driver, server, plugins=[Tenancy()])
    wrapped = client.tools.get("u", tools=["MATH_ADD", "MATH_DIVIDE"], modifiers=[simpler])
    described = {t["function"]["name"]: t["function"]["description"] for t in wrapped}
    assert described["MATH_ADD"] == "[math] Add a and b."  # the call's modifier, then the plugin
    assert described["MATH_DIVIDE"].startswith("[math] ")


def test_api_errors_the_model_cannot_fix_are_raised(driver: Driver, server: LocalServer) -> None:
    client = make(driver, server)
    server.fail_next("/api/v3.1/tools/execute/MATH_ADD", [401])
    with pytest.raises(AuthenticationError):
        client.tools.handle_tool_calls("u", completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')))
    # ...while a 400 about the call's content is that call's answer.
    server.fail_next("/api/v3.1/tools/execute/MATH_ADD", [400])
    out = client.tools.handle_tool_calls("u", completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')))
    assert "the API refused the call to 'MATH_ADD'" in contents(out)["c1"]["error"]
    # The client is still usable.
    out = client.tools.handle_tool_calls("u", completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')))
    assert contents(out)["c1"] == {"result": 2}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user_id": ""}, "user_id must be a non-empty string"),
        ({"modifiers": lambda t, k, v: v}, "modifiers= must be a list"),
        ({"modifiers": [print]}, "not a modifier"),
        ({"parallel": "yes"}, "parallel must be True or False"),
        ({"extra_headers": {"x-bad": "a\nb"}}, "x-bad"),
        ({"response": {"choices": "nope"}}, "OpenAIProvider.parse_tool_calls"),
    ],
)
def test_the_callers_mistakes_raise_before_anything_runs(
    driver: Driver, server: LocalServer, kwargs: dict[str, Any], message: str
) -> None:
    client = make(driver, server)
    call: dict[str, Any] = {
        "user_id": "u",
        "response": completion(("c1", "MATH_ADD", '{"a": 1, "b": 1}')),
        **kwargs,
    }
    with pytest.raises(ValidationError, match=message):
        client.tools.handle_tool_calls(call.pop("user_id"), call.pop("response"), **call)
    assert server.requests == []


def test_tools_execute_with_modifiers_raises_naming_the_one_that_failed(
    driver: Driver, server: LocalServer
) -> None:
    @before_execute
    def broken(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        raise RuntimeError("no")

    @after_execute(toolkits=["math"])
    def soften(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return ToolExecution(successful=True, data={"softened": result.error})

    client = make(driver, server)
    with pytest.raises(ComposioError, match=r"before_execute modifier .*broken.* RuntimeError: no"):
        client.tools.execute("MATH_ADD", {"a": 1, "b": 1}, user_id="u", modifiers=[broken])
    assert executed(server) == []
    # An after-modifier sees a failure before raise_on_error does, and may soften it.
    result = client.tools.execute("MATH_DIVIDE", {"a": 1, "b": 0}, user_id="u", modifiers=[soften])
    assert result.data == {"softened": "division by zero"}


def test_telemetry_names_each_request_after_the_operation_the_caller_made(
    driver: Driver, server: LocalServer
) -> None:
    """SPEC §12.11: handle_tool_calls is one operation, ``tools.handle_tool_calls``, whatever
    requests it makes (lookups, executions); a tools.execute reports ``tools.execute``."""

    transport = RecordingTransport()
    client = make(
        driver, server, plugins=[Tenancy()], allow_tracking=True, telemetry_transport=transport
    )
    client.tools.handle_tool_calls("u", completion(("c1", "MATH_DIVIDE", '{"a": 1, "b": 0}')))
    client.tools.execute("MATH_ADD", {"a": 1, "b": 1}, user_id="u")
    client.close()
    # One event per public operation, however many requests each made (a toolkit lookup
    # and the execution); a failed tool in handle_tool_calls is an answer, not an error.
    assert [(e["functionName"], e["status"]) for e in transport.events] == [
        ("tools.handle_tool_calls", "ok"),
        ("tools.execute", "ok"),
    ]
    assert [r.method for r in server.requests] == ["GET", "POST", "GET", "POST"]


def test_a_wrapper_tool_hook_is_refused_when_the_client_is_built(
    driver: Driver, server: LocalServer
) -> None:
    """SPEC §12.2: wrappers either work as pluggy defines or are refused naming the plugin;
    composio refuses them for every hook, the tool hooks included."""
    from composio import PluginError

    class Wrapping:
        composio_plugin_name = "wrapping"

        @hookimpl(wrapper=True)
        def composio_after_execute(self, result: ToolExecution) -> Any:
            return (yield)

    with pytest.raises(PluginError, match=r"'wrapping'.*composio_after_execute.*wrapper=True"):
        make(driver, server, plugins=[Wrapping()])
