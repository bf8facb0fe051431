"""OpenAI Responses API: ``function`` tools out, ``function_call`` items in, outputs back.

No ``import openai``: responses are read through ``model_dump()`` (or given as dicts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from composio.errors import ValidationError
from composio.models import Tool, ToolExecution
from composio.providers._calls import (
    ToolCall,
    answers,
    arguments_from_text,
    as_plain,
    items_of_type,
    string_field,
)
from composio.providers.base import Provider, tool_parameters

__all__ = ["OpenAIResponsesProvider"]

_WHAT = "OpenAIResponsesProvider.parse_tool_calls"


class OpenAIResponsesProvider(Provider):
    """OpenAI Responses API function calling.

    Tools are wrapped with ``"strict": False``: Composio's schemas are not strict-mode
    schemas (optional properties, open objects). ``parse_tool_calls`` takes a ``Response`` or
    its ``output`` list (objects or dicts) and reads the ``function_call`` items; ``ToolCall.id``
    is the item's ``call_id``. Other items (messages, reasoning, built-in tool calls) are not
    Composio's to answer and are skipped. ``format_results`` returns one
    ``{"type": "function_call_output", "call_id", "output"}`` item per call, for the next
    request's ``input``.
    """

    name = "openai_responses"

    def wrap_tool(self, tool: Tool) -> dict[str, Any]:
        return {
            "type": "function",
            "name": tool.slug,
            "description": tool.description or "",
            "parameters": tool_parameters(tool),
            "strict": False,
        }

    def parse_tool_calls(self, response: object) -> list[ToolCall]:
        return [
            arguments_from_text(
                string_field(item, "call_id", where),
                string_field(item, "name", where),
                item.get("arguments"),
            )
            for where, item in items_of_type(_output(response), "function_call", _WHAT, "output")
        ]

    def format_results(
        self, calls: Sequence[ToolCall], results: Sequence[ToolExecution]
    ) -> list[object]:
        return [
            {"type": "function_call_output", "call_id": call.id, "output": content}
            for call, content, _ in answers(calls, results, type(self).__name__)
        ]


def _output(response: object) -> Sequence[object]:
    if isinstance(response, (list, tuple)):
        return response
    data = as_plain(response, _WHAT)
    if isinstance(data, Mapping):
        if "output" in data:
            output = data["output"] or []
            if not isinstance(output, (list, tuple)):
                raise ValidationError(f"{_WHAT}: response.output must be a list.")
            return output
        if data.get("type") == "function_call":
            return [data]
    raise ValidationError(
        f"{_WHAT}: expected a Responses API Response, its output list or a function_call "
        f"item (objects or dicts), got {type(response).__name__}."
    )
