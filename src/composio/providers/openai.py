from __future__ import annotations

from typing import Any

from composio.models import Tool
from composio.providers.base import Provider

__all__ = ["OpenAIProvider"]


class OpenAIProvider(Provider):
    """Wraps a tool as an OpenAI function-calling tool definition (the default provider)."""

    name = "openai"

    def wrap_tool(self, tool: Tool) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": tool.slug,
                "description": tool.description or "",
                "parameters": dict(tool.input_parameters or {"type": "object", "properties": {}}),
            },
        }
