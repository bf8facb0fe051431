"""LlamaIndex: ``FunctionTool`` objects for its agents (SPEC §17).

Extra: ``composio-pipeline[llamaindex]`` (``llama-index-core``). ``llama_index`` is imported
when the provider is built, not when this module is.

Why a schema class that answers the tool's JSON Schema: LlamaIndex describes a tool to the
model from ``fn_schema.model_json_schema()``; a pydantic model generated from the schema
would rename or refuse argument names that are not identifiers (``$expand``). The arguments
reach ``execute`` as the model wrote them (the tool function takes ``**arguments``). Why the
result is a ``ToolOutput`` with ``is_error``: that is LlamaIndex's tool-error convention, so
the model reads a failure as one and ``tool.call(...)`` outside an agent does not raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composio.providers._framework import outcome_text, require
from composio.providers.base import AgenticProvider, ToolExecutor, tool_parameters

if TYPE_CHECKING:
    from composio.models import Tool

__all__ = ["LlamaIndexProvider"]


class LlamaIndexProvider(AgenticProvider):
    """Tools as LlamaIndex ``FunctionTool`` s (``FunctionAgent(tools=...)``, ``ReActAgent``).

    ``call`` is the sync path, ``acall`` the async one (what the workflow agents await). The
    ``ToolOutput``'s content is the JSON text of the result's ``data``, or of
    ``{"successful": false, "error": ...}`` with ``is_error=True``.
    """

    name = "llamaindex"

    def __init__(self) -> None:
        require("llama_index.core.tools", "llamaindex", type(self).__name__)

    def wrap_tool(self, tool: Tool, execute: ToolExecutor) -> object:
        tools = require("llama_index.core.tools", "llamaindex", type(self).__name__)
        pydantic = require("pydantic", "llamaindex", type(self).__name__)
        slug = tool.slug

        class Arguments(pydantic.BaseModel):  # type: ignore[misc, name-defined]
            """The tool's arguments, described by its own JSON Schema."""

            model_config = pydantic.ConfigDict(extra="allow")

            @classmethod
            def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
                return tool_parameters(tool)

        Arguments.__name__ = Arguments.__qualname__ = f"{slug}_arguments"

        def run(**arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            return arguments, execute.run(slug, arguments)

        async def arun(**arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            return arguments, await execute.arun(slug, arguments)

        def output(ran: tuple[dict[str, Any], dict[str, Any]]) -> Any:
            arguments, outcome = ran
            content, is_error = outcome_text(outcome)
            return tools.ToolOutput(
                content=content,
                tool_name=slug,
                raw_input={"args": (), "kwargs": arguments},
                raw_output=outcome,
                is_error=is_error,
            )

        async def aoutput(ran: tuple[dict[str, Any], dict[str, Any]]) -> Any:
            return output(ran)

        return tools.FunctionTool.from_defaults(
            fn=run,
            async_fn=arun,
            name=slug,
            description=tool.description or tool.name or slug,
            fn_schema=Arguments,
            callback=output,
            async_callback=aoutput,
        )
