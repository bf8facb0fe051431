"""Providers turn tools into what an AI framework expects, and its tool calls back (SPEC §15).

The name goes out as ``x-framework``. None of them imports the framework's package.
"""

from composio.providers._calls import ToolCall
from composio.providers.anthropic import AnthropicProvider
from composio.providers.base import Provider
from composio.providers.openai import OpenAIProvider
from composio.providers.openai_responses import OpenAIResponsesProvider

__all__ = [
    "AnthropicProvider",
    "OpenAIProvider",
    "OpenAIResponsesProvider",
    "Provider",
    "ToolCall",
]
