"""The OpenAI Agents SDK: ``agents.FunctionTool`` objects (SPEC §17).

Extra: ``composio-pipeline[openai-agents]`` (``openai-agents``). ``agents`` is imported when
the provider is built, not when this module is.

Why ``strict_json_schema=False``: strict mode demands every property be required and no
additional properties, which Composio's schemas are not; the SDK would otherwise rewrite or
reject them. Why no thread per call: the SDK's tools are async, so on ``AsyncComposio`` the
execution is awaited on the SDK's loop; only the blocking ``Composio`` needs a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composio.providers._framework import outcome_text, require
from composio.providers.base import AgenticProvider, ToolExecutor, tool_parameters

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["OpenAIAgentsProvider"]


class OpenAIAgentsProvider(AgenticProvider):
    """Tools as ``agents.FunctionTool`` s for an ``agents.Agent``.

    The SDK hands the tool the model's arguments as JSON text; text that is not a JSON
    object is answered without executing. The tool returns text for the model: the JSON of
    the result's ``data``, or -- the SDK's convention for a tool error that the model should
    read rather than one that fails the run -- the JSON of ``{"successful": false, "error":
    ...}``.
    """

    name = "openai_agents"

    def __init__(self) -> None:
        require("agents", "openai-agents", type(self).__name__)

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        slug = tool.slug

        async def invoke(context: Any, arguments: str) -> str:
            content, _ = outcome_text(await execute.arun(slug, arguments))
            return content

        agents = require("agents", "openai-agents", type(self).__name__)
        return agents.FunctionTool(
            name=slug,
            description=tool.description or tool.name or slug,
            params_json_schema=tool_parameters(tool),
            on_invoke_tool=invoke,
            strict_json_schema=False,
        )
