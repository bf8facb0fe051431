from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["Provider"]


class Provider:
    """Turns tools into what an AI framework expects.

    Subclass, set ``name`` (sent as the ``x-framework`` header on every request of a client
    using it, so it must be a valid header value) and implement ``wrap_tool``. ``wrap_tools``
    exists so a framework that wants one combined object (a toolset) can override it.

    One provider serves every session of a client, across threads: keep it stateless.
    """

    name: str = "base"

    def wrap_tool(self, tool: Tool) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement wrap_tool(tool)")

    def wrap_tools(self, tools: Iterable[Tool]) -> list[object]:
        return [self.wrap_tool(t) for t in tools]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
