from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composio.models import Tool, ToolExecution
    from composio.providers._calls import ToolCall

__all__ = ["Provider"]

_NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def tool_parameters(tool: Tool) -> dict[str, Any]:
    """The tool's input JSON Schema as a fresh dict (an empty object schema if it has none).

    A deep copy: callers (and frameworks) edit these dicts, and the schema inside the frozen
    ``Tool`` must not change under them.
    """
    return copy.deepcopy(dict(tool.input_parameters or _NO_PARAMETERS))


class Provider:
    """Turns tools into what an AI framework expects, and its tool calls back (SPEC §15).

    Subclass, set ``name`` (sent as the ``x-framework`` header on every request of a client
    using it, so it must be a valid header value) and implement ``wrap_tool``. ``wrap_tools``
    exists so a framework that wants one combined object (a toolset) can override it.
    ``parse_tool_calls`` and ``format_results`` are needed only by
    ``tools.handle_tool_calls``; a provider that only wraps tools may leave them out.

    Providers are pure: no I/O, no client reference. One provider serves every session of a
    client, across threads: keep it stateless.
    """

    name: str = "base"

    def wrap_tool(self, tool: Tool) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement wrap_tool(tool)")

    def wrap_tools(self, tools: Iterable[Tool]) -> list[object]:
        return [self.wrap_tool(t) for t in tools]

    def parse_tool_calls(self, response: object) -> list[ToolCall]:
        """The tool calls in a framework's response, in the order the model made them.

        A call whose arguments cannot be used is returned with ``ToolCall.error`` set, not
        raised: it still needs an answer. A response that is not of the framework's shape at
        all raises :class:`~composio.errors.ValidationError`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement parse_tool_calls(response), so it "
            "cannot be used with tools.handle_tool_calls."
        )

    def format_results(
        self, calls: Sequence[ToolCall], results: Sequence[ToolExecution]
    ) -> list[object]:
        """What the framework takes back: ``results[i]`` answers ``calls[i]``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement format_results(calls, results), so it "
            "cannot be used with tools.handle_tool_calls."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
