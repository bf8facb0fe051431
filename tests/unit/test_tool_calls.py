"""What handle_tool_calls shares between the drivers, and the one path's error results."""

from __future__ import annotations

from composio import ToolExecution
from composio._ops.execution import error_result, unknown_tool
from composio._tool_calls import MAX_PARALLEL


def test_error_results() -> None:
    assert error_result("why") == ToolExecution(successful=False, error="why")
    unknown = unknown_tool("MATH_ADD")
    assert unknown.successful is False and "unknown tool 'MATH_ADD'" in (unknown.error or "")
    assert MAX_PARALLEL == 8
