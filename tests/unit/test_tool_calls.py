"""The I/O-free steps of handle_tool_calls (composio._tool_calls, SPEC §15)."""

from __future__ import annotations

import dataclasses

from composio import ExecuteRequest, ToolCall, ToolExecution, after_execute, before_execute
from composio._tool_calls import MAX_PARALLEL, error_result, finish, prepare, unknown_tool

CALL = ToolCall("c1", "MATH_ADD", {"a": 1})


def test_a_call_with_bad_arguments_is_answered_without_any_modifier_running() -> None:
    ran: list[str] = []
    spy = before_execute(lambda t, k, r: ran.append(t) or r)
    bad = ToolCall("c1", "MATH_ADD", {}, "[1]", "arguments for tool 'MATH_ADD' are not ...")
    step = prepare(bad, "math", user_id="u", hooks=None, modifiers=[spy])
    assert step == ToolExecution(successful=False, error=bad.error)
    assert ran == []


def test_prepare_builds_the_request_from_the_call_and_keeps_the_call_intact() -> None:
    @before_execute
    def mutate(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        request.arguments["injected"] = True  # type: ignore[index]
        return request

    step = prepare(
        CALL,
        "math",
        user_id="u",
        connected_account_id="ca",
        version="v1",
        hooks=None,
        modifiers=[mutate],
    )
    assert step == ExecuteRequest({"a": 1, "injected": True}, "u", "ca", "v1")
    assert CALL.arguments == {"a": 1}  # the request got its own copy


def test_modifier_failures_become_that_calls_error_result() -> None:
    boom = before_execute(lambda t, k, r: 1 / 0)
    step = prepare(CALL, "math", user_id="u", hooks=None, modifiers=[boom])
    assert isinstance(step, ToolExecution) and not step.successful
    assert step.error is not None and "ZeroDivisionError" in step.error and "<lambda>" in step.error

    none = after_execute(lambda t, k, r: None)
    out = finish(CALL, "math", ToolExecution(True, data={"r": 1}), hooks=None, modifiers=[none])
    assert out.successful is False and "returned None" in (out.error or "")


def test_finish_applies_after_modifiers() -> None:
    flip = after_execute(lambda t, k, r: dataclasses.replace(r, data={"tool": t, "kit": k}))
    assert finish(CALL, "math", ToolExecution(True), hooks=None, modifiers=[flip]).data == {
        "tool": "MATH_ADD",
        "kit": "math",
    }


def test_error_results() -> None:
    assert error_result("why") == ToolExecution(successful=False, error="why")
    unknown = unknown_tool(CALL)
    assert unknown.successful is False and "unknown tool 'MATH_ADD'" in (unknown.error or "")
    assert MAX_PARALLEL == 8
