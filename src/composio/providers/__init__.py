"""Providers turn tools into what an AI framework expects, and its tool calls back (SPEC §15).

The name goes out as ``x-framework``. None of the ones importable from here imports its
framework's package; the agentic providers of SPEC §17 live in their own modules
(``composio.providers.langchain`` ...) and import their framework only when used.
"""

from composio.providers._calls import ToolCall
from composio.providers.anthropic import AnthropicProvider
from composio.providers.base import AgenticProvider, Provider, ToolExecutor
from composio.providers.openai import OpenAIProvider
from composio.providers.openai_responses import OpenAIResponsesProvider

__all__ = [
    "AgenticProvider",
    "AnthropicProvider",
    "OpenAIProvider",
    "OpenAIResponsesProvider",
    "Provider",
    "ToolCall",
    "ToolExecutor",
]
