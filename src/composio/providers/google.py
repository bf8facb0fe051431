"""Google's GenAI SDK (``google-genai``, Gemini): non-agentic, like SPEC §15's providers.

Extra: ``composio-pipeline[google]``. ``google.genai`` is imported when the provider is
built, not when this module is.

Why ``wrap_tools`` returns ONE ``types.Tool`` holding every declaration: that is what
``GenerateContentConfig(tools=[...])`` takes; a list of bare ``FunctionDeclaration`` s there
is not a tool, and the vendor's provider once sent no tools at all that way (its PR #3839).
Why ``parameters_json_schema``: it carries the tool's JSON Schema as is, where ``parameters``
is Gemini's OpenAPI subset that would drop or reject parts of Composio's schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from composio.errors import ValidationError
from composio.providers._calls import ToolCall, arguments_from_object, as_plain, check_results
from composio.providers._framework import require
from composio.providers.base import Provider, tool_parameters

if TYPE_CHECKING:
    from composio.models import Tool, ToolExecution

__all__ = ["GoogleProvider"]

_WHAT = "GoogleProvider.parse_tool_calls"


class GoogleProvider(Provider):
    """Gemini function calling through ``google-genai``.

    * ``tools.get`` returns ``[types.Tool(function_declarations=[...])]``: pass it as
      ``GenerateContentConfig(tools=...)``;
    * ``parse_tool_calls`` reads a ``GenerateContentResponse`` (or its dict): the
      ``function_call`` parts of the first candidate, in order;
    * ``format_results`` returns one ``function_response`` ``types.Part`` per call --
      ``{"output": data}``, or ``{"error": why}`` for a failure, Gemini's convention --
      to send back as ``types.Content(role="user", parts=...)``.

    A call's ``id`` is Gemini's ``function_call.id`` when it sent one (``""`` when not); the
    response carries it back.
    """

    name = "google"

    def __init__(self) -> None:
        require("google.genai.types", "google", type(self).__name__)

    def wrap_tool(self, tool: Tool, *args: Any, **kwargs: Any) -> object:
        types = require("google.genai.types", "google", type(self).__name__)
        return types.FunctionDeclaration(
            name=tool.slug,
            description=tool.description or tool.name or tool.slug,
            parameters_json_schema=tool_parameters(tool),
        )

    def wrap_tools(self, tools: Iterable[Tool], *args: Any, **kwargs: Any) -> list[object]:
        declarations = [self.wrap_tool(t) for t in tools]
        if not declarations:
            return []  # a Tool with no declarations is refused by the API
        types = require("google.genai.types", "google", type(self).__name__)
        return [types.Tool(function_declarations=declarations)]

    def parse_tool_calls(self, response: object) -> list[ToolCall]:
        calls: list[ToolCall] = []
        for i, part in enumerate(_parts(response)):
            # model_dump() spells it function_call; the REST API's JSON, functionCall
            call = (
                (part.get("function_call") or part.get("functionCall"))
                if isinstance(part, dict)
                else None
            )
            if call is None:
                continue  # text, thoughts, code: not ours to answer
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                raise ValidationError(f"{_WHAT}: parts[{i}].function_call has no 'name'.")
            args = call.get("args")
            calls.append(
                arguments_from_object(
                    call.get("id") or "", call["name"], {} if args is None else args
                )
            )
        return calls

    def format_results(
        self, calls: Sequence[ToolCall], results: Sequence[ToolExecution]
    ) -> list[object]:
        types = require("google.genai.types", "google", type(self).__name__)
        check_results(calls, results, type(self).__name__)
        parts: list[object] = []
        for call, result in zip(calls, results, strict=True):
            body: dict[str, Any] = (
                {"output": dict(result.data) if result.data is not None else {}}
                if result.successful
                else {"error": result.error or "the tool reported failure without a message"}
            )
            response = types.FunctionResponse(id=call.id or None, name=call.slug, response=body)
            parts.append(types.Part(function_response=response))
        return parts


def _parts(response: object) -> list[Any]:
    data = as_plain(response, _WHAT)
    if not isinstance(data, dict):
        raise ValidationError(
            f"{_WHAT}: expected a google.genai GenerateContentResponse (or its dict), got "
            f"{type(response).__name__}."
        )
    candidates = data.get("candidates") or []
    if not candidates:
        return []
    content = (candidates[0] or {}).get("content") or {}
    parts = content.get("parts") or []
    if not isinstance(parts, list):
        raise ValidationError(f"{_WHAT}: candidates[0].content.parts must be a list.")
    return parts
