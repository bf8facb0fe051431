"""Providers turn tools into what an AI framework expects; the name goes out as ``x-framework``."""

from composio.providers.base import Provider
from composio.providers.openai import OpenAIProvider

__all__ = ["OpenAIProvider", "Provider"]
