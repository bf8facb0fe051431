"""LangChain (and LangGraph, which runs LangChain tools): ``StructuredTool`` objects (SPEC §17).

Extra: ``composio-pipeline[langchain]`` (``langchain-core``). ``langchain_core`` is imported
when the provider is built, not when this module is.

Why the tool receives its arguments as ONE dict: ``StructuredTool`` normally spreads them as
keyword arguments and validates them with a pydantic model built from the schema. Argument
names that are not Python identifiers or are keywords (``$expand``, ``for``) break the model
(the vendor's issue #2265), and names LangChain itself injects (``config``, ``run_manager``,
``callbacks``) would be silently replaced. So the args schema is the tool's JSON Schema
itself (what the model is shown, names as they are) and the arguments reach ``execute``
exactly as the model wrote them; the API checks them against the schema.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from composio.providers._framework import outcome_text, require
from composio.providers.base import AgenticProvider, ToolExecutor, tool_parameters

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["LangchainProvider"]


class LangchainProvider(AgenticProvider):
    """Tools as LangChain ``StructuredTool`` s, for LangChain agents and LangGraph graphs.

    ``tools.get(user_id, ...)`` returns ``StructuredTool`` objects bound to the client and
    user; ``invoke`` runs the sync path, ``ainvoke`` the async one. A failed execution raises
    ``ToolException`` inside the tool, which the tool handles (``handle_tool_error=True``):
    the framework answers the model with a ``ToolMessage`` of ``status="error"`` whose content
    is ``{"successful": false, "error": ...}``; a success's content is the JSON text of the
    result's ``data``.
    """

    name = "langchain"

    def __init__(self) -> None:
        require("langchain_core.tools", "langchain", type(self).__name__)

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        slug = tool.slug
        tool_class, tool_exception = _classes()

        def run(arguments: object) -> str:
            content, is_error = outcome_text(execute.run(slug, arguments))
            if is_error:
                raise tool_exception(content)
            return content

        async def arun(arguments: object) -> str:
            content, is_error = outcome_text(await execute.arun(slug, arguments))
            if is_error:
                raise tool_exception(content)
            return content

        return tool_class(
            name=slug,
            description=tool.description or tool.name or slug,
            args_schema=tool_parameters(tool),
            func=run,
            coroutine=arun,
            handle_tool_error=True,
        )


@functools.cache
def _classes() -> tuple[Any, Any]:
    """The ``StructuredTool`` subclass, made on first use (LangChain imported then), and
    ``ToolException``."""
    tools = require("langchain_core.tools", "langchain", "LangchainProvider")

    class ComposioTool(tools.StructuredTool):  # type: ignore[misc, name-defined]
        """A ``StructuredTool`` whose function gets the arguments as one dict (see the
        module docstring), never spread as keywords."""

        def _to_args_and_kwargs(
            self, tool_input: str | dict[str, Any], tool_call_id: str | None
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            # A string (some callers pass the model's JSON text) or a dict: ``execute``
            # reads either, and answers anything else with an error the model sees.
            return (dict(tool_input) if isinstance(tool_input, dict) else tool_input,), {}

    ComposioTool.__name__ = ComposioTool.__qualname__ = "ComposioTool"
    return ComposioTool, tools.ToolException
