"""pydantic-ai: ``pydantic_ai.Tool`` objects built from the JSON Schema (SPEC §17).

Extra: ``composio-pipeline[pydantic-ai]`` (``pydantic-ai-slim``). ``pydantic_ai`` is imported
when the provider is built, not when this module is.

Why ``Tool.from_schema``: the model is shown the tool's JSON Schema as it is (argument names
such as ``$expand`` included) and the arguments reach ``execute`` as the model wrote them;
pydantic-ai calls the function with them as keywords, which a ``**arguments`` function takes
whatever their names. Why ``ToolFailed`` for a failure and not ``ModelRetry``: the model sees
the failure either way, but ``ModelRetry`` spends the tool's retry budget and, once spent,
fails the whole run with an exception -- a tool that keeps failing (the API down) must not
end the user's agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composio.providers._framework import outcome_text, require
from composio.providers.base import AgenticProvider, ToolExecutor, tool_parameters

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["PydanticAIProvider"]


class PydanticAIProvider(AgenticProvider):
    """Tools as ``pydantic_ai.Tool`` s for a ``pydantic_ai.Agent`` (``tools=[...]``).

    A success returns the JSON text of the result's ``data``; a failure raises
    ``pydantic_ai.exceptions.ToolFailed`` with the error, which pydantic-ai hands the model
    as a failed tool result (in its own wrapping).
    """

    name = "pydantic_ai"

    def __init__(self) -> None:
        require("pydantic_ai", "pydantic-ai", type(self).__name__)

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        pydantic_ai = require("pydantic_ai", "pydantic-ai", type(self).__name__)
        tool_failed = pydantic_ai.exceptions.ToolFailed
        slug = tool.slug

        async def run(**arguments: Any) -> str:
            outcome = await execute.arun(slug, arguments)
            content, is_error = outcome_text(outcome)
            if is_error:  # pydantic-ai wraps the message as the model's error, so: bare
                raise tool_failed(str(outcome["error"] or "the tool failed"))
            return content

        return pydantic_ai.Tool.from_schema(
            run,
            name=slug,
            description=tool.description or tool.name or slug,
            json_schema=tool_parameters(tool),
        )
