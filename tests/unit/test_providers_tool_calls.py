"""Providers against the frameworks' own types (SPEC §15).

Responses are built with the real ``openai`` / ``anthropic`` pydantic models (``model_validate``
of the JSON the APIs send) and parsed with our providers; what our providers return is
validated with those packages' request param types. ``TypeAdapter(...).validate_python(x) ==
x`` also proves nothing was dropped: a TypedDict adapter silently ignores unknown keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from anthropic.types import Message, MessageParam, ToolParam
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionToolParam,
)
from openai.types.responses import FunctionToolParam, Response, ResponseInputItemParam
from openai.types.responses.response_input_item_param import FunctionCallOutput
from pydantic import TypeAdapter

from composio import (
    AnthropicProvider,
    OpenAIProvider,
    OpenAIResponsesProvider,
    Tool,
    ToolCall,
    ToolExecution,
    ValidationError,
)

ADD = Tool.from_dict(
    {
        "slug": "MATH_ADD",
        "description": "Add two numbers.",
        "toolkit": {"slug": "math"},
        "input_parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    }
)
BARE = Tool.from_dict({"slug": "NO_PARAMS"})  # no description, no input_parameters


def _fn(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def chat_completion(*tool_calls: dict[str, Any], n: int = 1) -> ChatCompletion:
    message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": tool_calls}
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-4o",
            "choices": [
                {"index": i, "finish_reason": "tool_calls", "logprobs": None, "message": message}
                for i in range(n)
            ],
        }
    )


def responses_response(*output: dict[str, Any]) -> Response:
    return Response.model_validate(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1_700_000_000,
            "model": "gpt-4.1",
            "output": list(output),
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
    )


def _function_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def anthropic_message(*content: dict[str, Any]) -> Message:
    return Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 20},
            "content": list(content),
        }
    )


def _materialised(value: object) -> object:
    """Param types declare ``Iterable[...]`` fields, which pydantic validates lazily."""
    if isinstance(value, dict):
        return {k: _materialised(v) for k, v in value.items()}
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value
    return [_materialised(v) for v in value]  # type: ignore[attr-defined]


def _valid(tp: Any, value: object) -> None:
    assert _materialised(TypeAdapter(tp).validate_python(value)) == value


OK = ToolExecution(successful=True, data={"result": 5})
FAILED = ToolExecution(successful=False, error="division by zero")


# -- wrap_tool -------------------------------------------------------------------------


def test_openai_wrap_tool_is_a_chat_completions_tool_param() -> None:
    for tool in (ADD, BARE):
        wrapped = OpenAIProvider().wrap_tool(tool)
        _valid(ChatCompletionToolParam, wrapped)
    assert OpenAIProvider().wrap_tool(BARE)["function"]["parameters"] == {
        "type": "object",
        "properties": {},
    }


def test_responses_wrap_tool_is_a_function_tool_param_with_strict_false() -> None:
    wrapped = OpenAIResponsesProvider().wrap_tool(ADD)
    _valid(FunctionToolParam, wrapped)
    assert wrapped == {
        "type": "function",
        "name": "MATH_ADD",
        "description": "Add two numbers.",
        "parameters": dict(ADD.input_parameters or {}),
        "strict": False,
    }
    _valid(FunctionToolParam, OpenAIResponsesProvider().wrap_tool(BARE))


def test_anthropic_wrap_tool_is_a_tool_param() -> None:
    wrapped = AnthropicProvider().wrap_tool(ADD)
    _valid(ToolParam, wrapped)
    assert set(wrapped) == {"name", "description", "input_schema"}
    assert wrapped["input_schema"]["required"] == ["a", "b"]
    _valid(ToolParam, AnthropicProvider().wrap_tool(BARE))


@pytest.mark.parametrize("provider", [OpenAIResponsesProvider(), AnthropicProvider()])
def test_wrapped_schema_is_a_copy(provider: Any) -> None:
    wrapped = provider.wrap_tool(ADD)
    schema = wrapped.get("parameters") or wrapped["input_schema"]
    schema["properties"]["a"]["type"] = "string"
    assert ADD.input_parameters is not None
    assert ADD.input_parameters["properties"]["a"]["type"] == "number"


# -- OpenAI Chat Completions -------------------------------------------------------------


def test_chat_parses_every_accepted_input_form_alike() -> None:
    completion = chat_completion(
        _fn("call_1", "MATH_ADD", '{"a": 2, "b": 3}'), _fn("call_2", "NO_PARAMS", "")
    )
    expected = [
        ToolCall("call_1", "MATH_ADD", {"a": 2, "b": 3}, '{"a": 2, "b": 3}'),
        ToolCall("call_2", "NO_PARAMS", {}, ""),
    ]
    choice = completion.choices[0]
    forms: list[object] = [
        completion,
        choice,
        choice.message,
        choice.message.tool_calls,
        completion.model_dump(),
        choice.model_dump(),
        choice.message.model_dump(),
        [c.model_dump() for c in choice.message.tool_calls or []],
    ]
    for form in forms:
        assert OpenAIProvider().parse_tool_calls(form) == expected, form


def test_chat_message_without_tool_calls_has_none() -> None:
    plain = ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hello."},
                }
            ],
        }
    )
    assert OpenAIProvider().parse_tool_calls(plain) == []


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ('{"a": ', "not valid JSON"),
        ('["a"]', "not a JSON object (got an array)"),
        ('"text"', "not a JSON object (got a string)"),
        ("42", "not a JSON object (got a number)"),
        ("null", "not a JSON object (got null)"),
    ],
)
def test_chat_bad_arguments_become_an_error_on_the_call(arguments: str, reason: str) -> None:
    [call] = OpenAIProvider().parse_tool_calls(chat_completion(_fn("c1", "MATH_ADD", arguments)))
    assert call.id == "c1" and call.slug == "MATH_ADD"
    assert call.arguments == {} and call.raw_arguments == arguments
    assert call.error is not None and reason in call.error and "MATH_ADD" in call.error
    assert not call.ok


def test_chat_custom_tool_call_is_answered_as_an_error() -> None:
    completion = chat_completion(
        {"id": "c9", "type": "custom", "custom": {"name": "grammar_tool", "input": "free text"}}
    )
    [call] = OpenAIProvider().parse_tool_calls(completion)
    assert call.id == "c9" and call.slug == "grammar_tool"
    assert call.error is not None and "'custom'" in call.error


def test_chat_several_choices_are_refused() -> None:
    completion = chat_completion(_fn("c1", "MATH_ADD", "{}"), n=2)
    with pytest.raises(ValidationError, match=r"2 choices .*response.choices\[0\]"):
        OpenAIProvider().parse_tool_calls(completion)
    # ...while one chosen choice works.
    assert len(OpenAIProvider().parse_tool_calls(completion.choices[1])) == 1


@pytest.mark.parametrize(
    "response",
    [
        None,
        "a string",
        42,
        {"unrelated": True},
        [{"type": "function", "function": {"name": "X", "arguments": "{}"}}],  # no id
        [{"id": "c1", "type": "function", "function": {"arguments": "{}"}}],  # no name
        [{"id": "c1", "type": "function"}],  # no function
        ["not a dict"],
    ],
)
def test_chat_malformed_response_raises_validation_error(response: object) -> None:
    with pytest.raises(ValidationError, match=r"OpenAIProvider\.parse_tool_calls"):
        OpenAIProvider().parse_tool_calls(response)


def test_chat_format_results_are_tool_message_params() -> None:
    calls = OpenAIProvider().parse_tool_calls(
        chat_completion(_fn("call_1", "MATH_ADD", "{}"), _fn("call_2", "MATH_DIVIDE", "{}"))
    )
    messages = OpenAIProvider().format_results(calls, [OK, FAILED])
    for message in messages:
        _valid(ChatCompletionToolMessageParam, message)
        _valid(ChatCompletionMessageParam, message)
    assert messages == [
        {"role": "tool", "tool_call_id": "call_1", "content": '{"result": 5}'},
        {
            "role": "tool",
            "tool_call_id": "call_2",
            "content": '{"successful": false, "error": "division by zero"}',
        },
    ]


# -- OpenAI Responses --------------------------------------------------------------------


def test_responses_parses_function_calls_and_skips_other_items() -> None:
    response = responses_response(
        {"type": "reasoning", "id": "rs_1", "summary": []},
        _function_call("call_1", "MATH_ADD", '{"a": 1, "b": 2}'),
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Adding.", "annotations": []}],
        },
        _function_call("call_2", "TEXT_REVERSE", "[1]"),
    )
    for form in (response, response.output, response.model_dump(), response.model_dump()["output"]):
        calls = OpenAIResponsesProvider().parse_tool_calls(form)
        assert [(c.id, c.slug) for c in calls] == [
            ("call_1", "MATH_ADD"),
            ("call_2", "TEXT_REVERSE"),
        ]
        assert calls[0].arguments == {"a": 1, "b": 2} and calls[0].ok
        assert calls[1].error is not None and "not a JSON object" in calls[1].error


def test_responses_id_is_call_id_not_item_id() -> None:
    [call] = OpenAIResponsesProvider().parse_tool_calls(
        responses_response(_function_call("call_abc", "MATH_ADD", "{}"))
    )
    assert call.id == "call_abc"


def test_responses_format_results_are_input_item_params() -> None:
    calls = OpenAIResponsesProvider().parse_tool_calls(
        responses_response(
            _function_call("call_1", "MATH_ADD", "{}"), _function_call("call_2", "X", "{}")
        )
    )
    items = OpenAIResponsesProvider().format_results(calls, [OK, FAILED])
    for item in items:
        _valid(FunctionCallOutput, item)
        _valid(ResponseInputItemParam, item)
    assert items[0] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"result": 5}',
    }
    assert json.loads(items[1]["output"]) == {"successful": False, "error": "division by zero"}  # type: ignore[index]


@pytest.mark.parametrize(
    "response", [None, {"output": "nope"}, {"id": "x"}, [{"type": "function_call"}]]
)
def test_responses_malformed_response_raises(response: object) -> None:
    with pytest.raises(ValidationError, match=r"OpenAIResponsesProvider\.parse_tool_calls"):
        OpenAIResponsesProvider().parse_tool_calls(response)


# -- Anthropic ---------------------------------------------------------------------------


def test_anthropic_parses_tool_use_blocks() -> None:
    message = anthropic_message(
        {"type": "text", "text": "Let me add.", "citations": None},
        {"type": "tool_use", "id": "toolu_1", "name": "MATH_ADD", "input": {"a": 1, "b": 2}},
        {"type": "tool_use", "id": "toolu_2", "name": "NO_PARAMS", "input": {}},
    )
    for form in (message, message.content, message.model_dump(), message.model_dump()["content"]):
        assert AnthropicProvider().parse_tool_calls(form) == [
            ToolCall("toolu_1", "MATH_ADD", {"a": 1, "b": 2}),
            ToolCall("toolu_2", "NO_PARAMS", {}),
        ]


def test_anthropic_non_object_input_is_an_error_on_the_call() -> None:
    [call] = AnthropicProvider().parse_tool_calls(
        [{"type": "tool_use", "id": "toolu_1", "name": "MATH_ADD", "input": [1, 2]}]
    )
    assert call.error is not None and "not a JSON object (got an array)" in call.error


def test_anthropic_format_results_is_one_user_message_param() -> None:
    calls = [ToolCall("toolu_1", "MATH_ADD", {}), ToolCall("toolu_2", "MATH_DIVIDE", {})]
    out = AnthropicProvider().format_results(calls, [OK, FAILED])
    assert len(out) == 1
    _valid(MessageParam, out[0])
    assert out[0] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"result": 5}'},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": '{"successful": false, "error": "division by zero"}',
                "is_error": True,
            },
        ],
    }


def test_anthropic_no_calls_means_no_message() -> None:
    assert AnthropicProvider().format_results([], []) == []
    assert (
        AnthropicProvider().parse_tool_calls(anthropic_message({"type": "text", "text": "hi"}))
        == []
    )


@pytest.mark.parametrize(
    "response", [None, {"content": 3}, {"role": "assistant"}, [{"type": "tool_use", "id": "t"}]]
)
def test_anthropic_malformed_response_raises(response: object) -> None:
    with pytest.raises(ValidationError, match=r"AnthropicProvider\.parse_tool_calls"):
        AnthropicProvider().parse_tool_calls(response)


# -- results, shared -------------------------------------------------------------------

PROVIDERS = [OpenAIProvider(), OpenAIResponsesProvider(), AnthropicProvider()]


def _contents(provider: Any, results: list[ToolExecution]) -> list[str]:
    calls = [ToolCall(f"id{i}", "T", {}) for i in range(len(results))]
    out = provider.format_results(calls, results)
    if isinstance(provider, AnthropicProvider):
        return [block["content"] for block in out[0]["content"]]
    key = "output" if isinstance(provider, OpenAIResponsesProvider) else "content"
    return [item[key] for item in out]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_result_content_rules(provider: Any) -> None:
    contents = _contents(
        provider,
        [
            ToolExecution(successful=True, data={"ok": "é", "n": [1, 2]}),
            ToolExecution(successful=True),  # no data
            ToolExecution(successful=False),  # no message
            ToolExecution(successful=True, data={"nan": float("nan"), "when": object}),
        ],
    )
    assert json.loads(contents[0]) == {"ok": "é", "n": [1, 2]}
    assert "é" in contents[0]  # not \u-escaped: fewer tokens for the model
    assert json.loads(contents[1]) == {}
    assert json.loads(contents[2]) == {
        "successful": False,
        "error": "the tool reported failure without a message",
    }
    # Values JSON cannot hold are sent as text rather than failing the whole turn.
    assert json.loads(contents[3]) == {"nan": "nan", "when": str(object)}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_format_results_checks_its_input(provider: Any) -> None:
    call = ToolCall("id", "T", {})
    with pytest.raises(ValidationError, match="1 call\\(s\\) but 2 result\\(s\\)"):
        provider.format_results([call], [OK, OK])
    with pytest.raises(ValidationError, match=r"not a composio\.ToolExecution"):
        provider.format_results([call], [{"successful": True}])
    with pytest.raises(ValidationError, match=r"not a composio\.ToolCall"):
        provider.format_results([{"id": "x"}], [OK])


@given(
    args=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
def test_arguments_round_trip_through_every_provider(args: dict[str, Any]) -> None:
    text = json.dumps(args)
    [chat] = OpenAIProvider().parse_tool_calls([_fn("c", "T", text)])
    [resp] = OpenAIResponsesProvider().parse_tool_calls([_function_call("c", "T", text)])
    [anth] = AnthropicProvider().parse_tool_calls(
        [{"type": "tool_use", "id": "c", "name": "T", "input": args}]
    )
    assert chat.arguments == resp.arguments == anth.arguments == args
    assert chat.ok and resp.ok and anth.ok


def test_parse_accepts_any_object_with_model_dump() -> None:
    class Framework:
        def model_dump(self) -> dict[str, Any]:
            return {"role": "assistant", "tool_calls": [_fn("c1", "MATH_ADD", '{"a": 1}')]}

    assert OpenAIProvider().parse_tool_calls(Framework())[0].arguments == {"a": 1}


def test_a_model_dump_that_raises_is_a_validation_error() -> None:
    class Broken:
        def model_dump(self) -> dict[str, Any]:
            raise RuntimeError("boom")

    with pytest.raises(ValidationError, match="model_dump\\(\\) of the Broken failed"):
        AnthropicProvider().parse_tool_calls(Broken())


def test_base_provider_says_what_to_implement() -> None:
    from composio import Provider

    with pytest.raises(NotImplementedError, match="handle_tool_calls"):
        Provider().parse_tool_calls({})
    with pytest.raises(NotImplementedError, match="handle_tool_calls"):
        Provider().format_results([], [])


def test_providers_are_named_for_the_x_framework_header() -> None:
    assert [p.name for p in PROVIDERS] == ["openai", "openai_responses", "anthropic"]


def _run_python(code: str) -> None:
    """Import checks need a fresh interpreter: this one has imported everything already."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout


def test_importing_the_providers_does_not_import_the_frameworks() -> None:
    code = (
        "import sys, composio, composio.providers;"
        "from composio import AnthropicProvider, OpenAIResponsesProvider, ToolCall;"
        "AnthropicProvider().parse_tool_calls({'content': []});"
        "OpenAIResponsesProvider().parse_tool_calls({'output': []});"
        "top = {'openai', 'anthropic', 'pydantic'};"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in top);"
        "print(bad); assert not bad, bad"
    )
    _run_python(code)


def test_the_tool_layer_loads_lazily_and_every_new_name_resolves() -> None:
    code = (
        "import sys, composio\n"
        "layer = ('composio.providers', 'composio.modifiers', 'composio.custom_tools',"
        " 'composio._annotation_schema', 'composio._tool_calls', 'pluggy')\n"
        "early = [m for m in layer if m in sys.modules]\n"
        "assert not early, early\n"
        "names = ['ToolCall', 'OpenAIResponsesProvider', 'AnthropicProvider', 'before_execute',"
        " 'after_execute', 'schema_modifier', 'custom_tool', 'CustomTool', 'ExecuteRequest',"
        " 'ToolProxy']\n"
        "missing = [n for n in names if n not in composio.__all__ or n not in dir(composio)]\n"
        "assert not missing, missing\n"
        "assert all(getattr(composio, n) is not None for n in composio.__all__)\n"
    )
    _run_python(code)
