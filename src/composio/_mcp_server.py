"""A local MCP server for a user's tools (SPEC §17): ``client.mcp_server(user_id, ...)`` and
``composio mcp serve``, on the official ``mcp`` package (extra ``mcp``, imported here only).

Why it is built on an agentic provider: the server is one more framework running tools. Its
tools come from ``tools.get`` (the user's tools, after the schema hooks and modifiers) with
an internal provider that keeps each tool's MCP definition next to the client's ``execute``,
so ``tools/call`` goes through the one execution path -- the session's headers, plugins,
retries, telemetry -- exactly like a LangChain or OpenAI Agents tool does.

Why every failure of a call is a result with ``isError: true`` and never a JSON-RPC error:
an MCP client shows tool results to the model, and protocol errors to nobody (the model
cannot correct a call it never hears failed). The ``mcp`` package's own high-level server
does the same, an unknown tool name included (``mcp.server.mcpserver.exceptions.ToolError``).
A name the server did not offer is answered from the tools it listed, never by listing again
(one bad name per turn must not cost a listing of every tool).

``tools/list`` failing (the API down) is a protocol error: there is no tool result to put it
in. The package documents how a handler reports a failure it anticipated: raise ``MCPError``
(the client gets that code and message); anything else counts as a crash (logged with its
traceback, and the wire gets ``code: 0``). So a failed listing is an ``MCPError`` with
JSON-RPC's ``INTERNAL_ERROR`` and the SDK's (redacted) message.

A result's text is at most :data:`MAX_RESULT_CHARS`: a larger one is replaced by an error
result naming the limit (the model can ask for less; an MCP client would otherwise hold,
and hand the model, whatever size a tool answers).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from composio._version import __version__
from composio.errors import ValidationError
from composio.providers._calls import dumps, error_text
from composio.providers._framework import require
from composio.providers.base import AgenticProvider, ToolExecutor, tool_parameters

if TYPE_CHECKING:
    from composio.client import BaseClient
    from composio.models import Tool

__all__ = ["MAX_RESULT_CHARS", "build_server", "serve"]

_WHAT = "mcp_server"
#: The most characters of JSON text one ``tools/call`` result carries (1 Mi: far past what a
#: model's context can use).
MAX_RESULT_CHARS = 1 << 20


class _McpTool:
    """One tool as the server offers it: its MCP definition and the client's execute."""

    __slots__ = ("definition", "execute")

    def __init__(self, definition: Any, execute: ToolExecutor) -> None:
        self.definition = definition
        self.execute = execute


class _McpProvider(AgenticProvider):
    """Tools as MCP ``Tool`` definitions (name, description, the JSON Schema as is)."""

    name = "mcp"

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        types = require("mcp.types", "mcp", _WHAT)
        definition = types.Tool(
            name=tool.slug,
            description=tool.description or tool.name or tool.slug,
            input_schema=tool_parameters(tool),
        )
        return _McpTool(definition, execute)


def _names(value: object, what: str) -> list[str] | None:
    """``toolkits=``/``tools=``: ``None``, a comma-separated string or a list of strings."""
    if value is None:
        return None
    items: Sequence[object]
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValidationError(
            f"{_WHAT}({what}=...) takes a list of slugs or a comma-separated string, "
            f"got {type(value).__name__}."
        )
    if not items or not all(isinstance(i, str) and i for i in items):
        raise ValidationError(
            f"{_WHAT}({what}=...) must name at least one slug (non-empty strings)."
        )
    return [str(i) for i in items]


def build_server(
    client: BaseClient, user_id: str, toolkits: object = None, tools: object = None
) -> Any:
    """The ``mcp.server.lowlevel.Server`` answering ``tools/list`` and ``tools/call``."""
    if not isinstance(user_id, str) or not user_id:
        raise ValidationError(f"{_WHAT}(user_id): user_id must be a non-empty string.")
    kits, slugs = _names(toolkits, "toolkits"), _names(tools, "tools")
    lowlevel = require("mcp.server.lowlevel", "mcp", _WHAT)
    types = require("mcp.types", "mcp", _WHAT)
    scoped: Any = client.with_options(provider=_McpProvider())
    asynchronous = client._asynchronous
    offered: dict[str, _McpTool] = {}
    listed_once = False

    async def fetch() -> list[_McpTool]:
        nonlocal listed_once
        if asynchronous:
            got = await scoped.tools.get(user_id, toolkits=kits, tools=slugs)
        else:  # the sync client blocks: a worker thread, never the server's loop
            got = await asyncio.to_thread(scoped.tools.get, user_id, toolkits=kits, tools=slugs)
        listed: list[_McpTool] = got
        offered.clear()
        offered.update((t.definition.name, t) for t in listed)
        listed_once = True
        return listed

    def result(text: str, is_error: bool, data: object = None) -> Any:
        if len(text) > MAX_RESULT_CHARS:
            text, is_error = (
                error_text(
                    f"the tool's result is {len(text)} characters of JSON, over this MCP "
                    f"server's limit of {MAX_RESULT_CHARS} (composio._mcp_server."
                    "MAX_RESULT_CHARS); ask for less (a filter, a smaller page)"
                ),
                True,
            )
        structured = data if isinstance(data, dict) and not is_error else None
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content=structured,
            is_error=is_error,
        )

    async def list_tools(ctx: Any, params: Any) -> Any:
        try:
            listed = await fetch()
        except Exception as exc:
            shared = require("mcp.shared.exceptions", "mcp", _WHAT)
            raise shared.MCPError(
                code=types.INTERNAL_ERROR, message=f"listing the tools failed: {exc}"
            ) from None
        return types.ListToolsResult(tools=[t.definition for t in listed])

    async def call_tool(ctx: Any, params: Any) -> Any:
        name = params.name
        if not listed_once:  # called before tools/list: list once, for this server's life
            try:
                await fetch()
            except Exception as exc:
                return result(error_text(f"listing the tools failed: {exc}"), True)
        tool = offered.get(name)
        if tool is None:
            return result(
                error_text(
                    f"unknown tool {name!r}: this server offers only the tools tools/list "
                    "answers; call one of those"
                ),
                True,
            )
        outcome = await tool.execute.arun(name, params.arguments or {})
        if outcome["successful"]:
            data = outcome["data"] if outcome["data"] is not None else {}
            return result(dumps(data), False, data)
        return result(error_text(str(outcome["error"] or "the tool failed")), True)

    return lowlevel.Server(
        "composio",
        version=__version__,
        instructions=f"Composio tools for user {user_id!r}.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(
    server: Any, http_port: int | None = None, announce: Callable[[str], None] | None = None
) -> None:
    """Serve ``server`` over stdio, or streamable HTTP on ``127.0.0.1:http_port`` at ``/mcp``
    (``0``: a free port). ``announce(url)`` is called once the HTTP port is listening, so
    whoever starts the server can connect as soon as it hears the URL."""
    if http_port is None:
        import io

        from composio._terminal import stdout_wire

        stdio = require("mcp.server.stdio", "mcp", "composio mcp serve")
        anyio = require("anyio", "mcp", "composio mcp serve")

        async def run(wire: Any) -> None:
            out = anyio.wrap_file(io.TextIOWrapper(wire, encoding="utf-8", write_through=True))
            async with stdio.stdio_server(stdout=out) as (read, write):
                await server.run(read, write, server.create_initialization_options())

        # the transport writes to its own descriptor; print() and fd 1 go to stderr meanwhile
        with stdout_wire() as wire:
            asyncio.run(run(wire))
        return
    uvicorn = require("uvicorn", "mcp", "composio mcp serve --http")
    # Loopback only (SPEC §17): the server executes tools as the user, with no auth of its own.
    listener = socket.create_server(("127.0.0.1", http_port))
    with listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
        if announce is not None:
            announce(url)
        app = server.streamable_http_app(host="127.0.0.1")
        config = uvicorn.Config(app, log_level="warning")
        uvicorn.Server(config).run(sockets=[listener])
