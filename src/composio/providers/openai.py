from __future__ import annotations

import copy
from typing import Any

from composio.models import Tool
from composio.providers.base import Provider

__all__ = ["OpenAIProvider"]

_NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class OpenAIProvider(Provider):
    """Wraps a tool as an OpenAI function-calling tool definition (the default provider)."""

    name = "openai"

    def wrap_tool(self, tool: Tool) -> dict[str, Any]:
        # A deep copy: callers (and frameworks) edit these dicts, and the schema inside the
        # frozen Tool must not change under them.
        parameters = copy.deepcopy(dict(tool.input_parameters or _NO_PARAMETERS))
        return {
            "type": "function",
            "function": {
                "name": tool.slug,
                "description": tool.description or "",
                "parameters": parameters,
            },
        }
