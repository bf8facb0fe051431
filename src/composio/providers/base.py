from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["Provider"]


class Provider:
    """Subclass and set ``name`` (sent as ``x-framework``) and ``wrap_tool``.

    A provider is shared by every session of a client and across threads: keep it stateless.
    """

    name: str = "base"

    def wrap_tool(self, tool: Tool) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement wrap_tool(tool)")

    def wrap_tools(self, tools: Iterable[Tool]) -> list[object]:
        return [self.wrap_tool(t) for t in tools]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
