from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from composio.models import Tool, ToolExecution
    from composio.providers._calls import ToolCall

__all__ = ["AgenticProvider", "Provider", "ToolExecutor"]

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

    # ``*args, **kwargs``: the signature every provider kind refines -- ``(tool)`` here,
    # ``(tool, execute)`` for an :class:`AgenticProvider` -- so both type-check as providers.
    def wrap_tool(self, tool: Tool, *args: Any, **kwargs: Any) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement wrap_tool(tool)")

    def wrap_tools(self, tools: Iterable[Tool], *args: Any, **kwargs: Any) -> list[object]:
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


class ToolExecutor(Protocol):
    """The ``execute`` an :class:`AgenticProvider` receives (SPEC §17), bound by ``tools.get``
    to the client (its session headers and plugins), the user and the ``modifiers=`` given.

    ``execute(slug, arguments)`` returns ``{"data", "error", "successful"}`` on ``Composio``
    and an awaitable of it on ``AsyncComposio``. Providers wrap a framework with both paths,
    so they call ``run`` (blocking; on ``AsyncComposio`` it hops onto the client's loop from
    the framework's worker thread) or ``await arun`` (native on ``AsyncComposio``, a worker
    thread on ``Composio``), whichever the framework is on. ``arguments`` may be a mapping or
    the model's JSON text. Neither ever raises for a failed execution: every failure (the
    tool's, the API's, the connection, a hook or modifier, arguments that are not a JSON
    object) is ``successful: false`` with ``error`` saying why.
    """

    #: whether ``execute(...)`` returns an awaitable (the client is ``AsyncComposio``)
    is_async: bool

    def __call__(self, slug: str, arguments: object) -> Any: ...

    def run(self, slug: str, arguments: object) -> dict[str, Any]: ...

    async def arun(self, slug: str, arguments: object) -> dict[str, Any]: ...


class AgenticProvider(Provider):
    """A provider for a framework that runs tools itself (an agent loop): SPEC §17.

    ``tools.get`` hands it, with the tools, an ``execute`` (:class:`ToolExecutor`) bound to
    the client, the user and the call's modifiers; the framework objects it returns call
    ``execute`` when the framework runs the tool, so every execution goes through the
    client's one execution path. Still no client reference of its own: the same provider
    serves every client and user.
    """

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement wrap_tool(tool, execute)")

    def wrap_tools(self, tools: Iterable[Tool], execute: ToolExecutor) -> list[object]:
        return [self.wrap_tool(t, execute) for t in tools]
