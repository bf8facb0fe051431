"""OpenAI Chat Completions: function tools out, ``message.tool_calls`` in, ``tool`` messages back.

No ``import openai``: responses are read through ``model_dump()`` (or given as dicts), and
what goes back is plain dicts of the shapes the API documents.
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
    string_field,
)
from composio.providers.base import Provider, tool_parameters

__all__ = ["OpenAIProvider"]

_WHAT = "OpenAIProvider.parse_tool_calls"


class OpenAIProvider(Provider):
    """OpenAI Chat Completions function calling (the default provider).

    ``parse_tool_calls`` takes any of: a ``ChatCompletion``, one of its choices, the
    assistant message, or the list of tool calls (``message.tool_calls``) -- as the
    ``openai`` package's objects or as dicts. A completion with several choices (``n > 1``) is
    refused: they are alternatives, and only the caller knows which one it kept.
    ``format_results`` returns one ``{"role": "tool", "tool_call_id", "content"}`` message per
    call, to append after the assistant message.
    """

    name = "openai"

    def wrap_tool(self, tool: Tool) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": tool.slug,
                "description": tool.description or "",
                "parameters": tool_parameters(tool),
            },
        }

    def parse_tool_calls(self, response: object) -> list[ToolCall]:
        return [_call(as_plain(item, _WHAT), i) for i, item in enumerate(_tool_calls(response))]

    def format_results(
        self, calls: Sequence[ToolCall], results: Sequence[ToolExecution]
    ) -> list[object]:
        return [
            {"role": "tool", "tool_call_id": call.id, "content": content}
            for call, content, _ in answers(calls, results, type(self).__name__)
        ]


def _tool_calls(response: object) -> Sequence[object]:
    if isinstance(response, (list, tuple)):
        return response
    data = as_plain(response, _WHAT)
    if isinstance(data, Mapping) and "choices" in data:
        choices = data["choices"] or []
        if len(choices) > 1:
            raise ValidationError(
                f"{_WHAT}: the completion has {len(choices)} choices (n > 1); pass the one "
                "you continue the conversation with, e.g. response.choices[0]."
            )
        if not choices:
            return []
        data = as_plain(choices[0], _WHAT)
    if isinstance(data, Mapping) and "message" in data:
        data = as_plain(data["message"], _WHAT)
    if isinstance(data, Mapping) and ("tool_calls" in data or data.get("role") == "assistant"):
        calls = data.get("tool_calls") or []
        if not isinstance(calls, (list, tuple)):
            raise ValidationError(f"{_WHAT}: message.tool_calls must be a list.")
        return calls
    raise ValidationError(
        f"{_WHAT}: expected a ChatCompletion, a choice, an assistant message or a list of "
        f"tool calls (objects or dicts), got {type(response).__name__}."
    )


def _call(item: object, index: int) -> ToolCall:
    what = f"{_WHAT}: tool_calls[{index}]"
    if not isinstance(item, Mapping):
        raise ValidationError(f"{what} is a {type(item).__name__}, not a tool call.")
    call_id = string_field(item, "id", what)
    kind = item.get("type", "function")
    if kind == "function":
        function = as_plain(item.get("function"), _WHAT)
        if not isinstance(function, Mapping):
            raise ValidationError(f"{what} has no 'function' object.")
        slug = string_field(function, "name", f"{what}.function")
        return arguments_from_text(call_id, slug, function.get("arguments"))
    # A custom (free-form input) tool call is not one of ours, but every tool call must be
    # answered before the conversation can go on; answer it with an error.
    body = item.get(kind) if isinstance(kind, str) else None
    name = body.get("name") if isinstance(body, Mapping) else None
    slug = name if isinstance(name, str) and name else f"<{kind} tool>"
    return ToolCall(
        call_id,
        slug,
        {},
        None,
        f"tool {slug!r} was called as a {kind!r} tool; Composio tools are function tools "
        "that take a JSON object of arguments",
    )
