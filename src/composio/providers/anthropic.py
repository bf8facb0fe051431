"""Anthropic Messages: tools with ``input_schema``, ``tool_use`` blocks in, ``tool_result`` out.

No ``import anthropic``: messages are read through ``model_dump()`` (or given as dicts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from composio.errors import ValidationError
from composio.models import Tool, ToolExecution
from composio.providers._calls import (
    ToolCall,
    answers,
    arguments_from_object,
    as_plain,
    items_of_type,
    string_field,
)
from composio.providers.base import Provider, tool_parameters

__all__ = ["AnthropicProvider"]

_WHAT = "AnthropicProvider.parse_tool_calls"


class AnthropicProvider(Provider):
    """Anthropic Messages API tool use.

    ``parse_tool_calls`` takes a ``Message`` or its ``content`` list (objects or dicts) and
    reads the ``tool_use`` blocks (text, thinking and server-tool blocks are skipped).
    ``format_results`` returns a list of ONE ``{"role": "user", "content": [tool_result
    blocks]}`` message -- the API wants all results of a turn in one user message -- or an
    empty list when there were no calls (an empty ``content`` would be rejected). A failed
    call's block carries ``"is_error": true``.
    """

    name = "anthropic"

    def wrap_tool(self, tool: Tool) -> dict[str, Any]:
        return {
            "name": tool.slug,
            "description": tool.description or "",
            "input_schema": tool_parameters(tool),
        }

    def parse_tool_calls(self, response: object) -> list[ToolCall]:
        return [
            arguments_from_object(
                string_field(block, "id", where),
                string_field(block, "name", where),
                block.get("input"),
            )
            for where, block in items_of_type(_content(response), "tool_use", _WHAT, "content")
        ]

    def format_results(
        self, calls: Sequence[ToolCall], results: Sequence[ToolExecution]
    ) -> list[object]:
        blocks: list[dict[str, Any]] = []
        for call, content, is_error in answers(calls, results, type(self).__name__):
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": call.id,
                "content": content,
            }
            if is_error:
                block["is_error"] = True
            blocks.append(block)
        return [{"role": "user", "content": blocks}] if blocks else []


def _content(response: object) -> Sequence[object]:
    if isinstance(response, (list, tuple)):
        return response
    data = as_plain(response, _WHAT)
    if isinstance(data, Mapping) and "content" in data:
        content = data["content"]
        if isinstance(content, str):
            return []  # a text-only message written as a string has no tool use
        if not isinstance(content, (list, tuple)):
            raise ValidationError(f"{_WHAT}: message.content must be a list of blocks.")
        return content
    raise ValidationError(
        f"{_WHAT}: expected an Anthropic Message or its content list (objects or dicts), "
        f"got {type(response).__name__}."
    )
