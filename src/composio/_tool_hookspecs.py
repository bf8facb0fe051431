"""The tool hooks a ``composio`` plugin may implement (SPEC §15), beside the tool layer.

They run on every tool execution (the one execution path, ``composio._ops.execution``)
and on ``tools.get``'s schemas, through ``composio.modifiers.ToolHooks``, after the call's
modifiers (SPEC §15 as amended in Part III: policy nearest the boundary). Each plugin is
called on its own (pluggy's subset_hook_caller, so pluggy passes only the arguments an
implementation declares), in pluggy's order (last registered first, tryfirst/trylast
respected), handed the previous one's output, so that plugins chain. Return the new value, or
None to leave it unchanged. Wrappers are refused when the client is built, as for every
composio hook. What one raises (or a value of the wrong type) fails that one execution, or
the tools.get call for the schema hook, with a ComposioError naming the plugin.

The pipeline's generic HTTP hooks are in :mod:`composio.hookspecs`, which re-exports these
three: plugins import every hook from there, and the plugin manager registers that module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from composio.models import Tool, ToolExecution
    from composio.modifiers import ExecuteRequest

__all__ = ["composio_after_execute", "composio_before_execute", "composio_tool_schema"]

#: marks the same hooks as ``composio.hookspecs.hookspec``: pluggy matches a marker by its
#: project name (that module imports this one, so it cannot lend its marker)
hookspec = pluggy.HookspecMarker("composio")


@hookspec
def composio_before_execute(
    tool: str, toolkit: str, params: ExecuteRequest
) -> ExecuteRequest | None:
    """Change a tool execution before it is sent; runs after the call's ``before_execute``
    modifiers, so it sees the arguments that are sent.

    ``tool``: the tool slug; ``toolkit``: its toolkit slug (``""`` if unknown);
    ``params``: the :class:`~composio.modifiers.ExecuteRequest` (arguments, user_id,
    connected_account_id, version) -- return ``dataclasses.replace(params, ...)`` or ``None``.
    """
    raise NotImplementedError


@hookspec
def composio_after_execute(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution | None:
    """Change a tool's result; runs after the call's ``after_execute`` modifiers, so it sees
    the result the model reads.

    ``tool``, ``toolkit``: as for :func:`composio_before_execute`; ``result``: the
    :class:`~composio.models.ToolExecution` (failed ones too) -- return a new one or ``None``.
    """
    raise NotImplementedError


@hookspec
def composio_tool_schema(tool: str, toolkit: str, schema: Tool) -> Tool | None:
    """Change a tool before the provider wraps it (per tool, on ``tools.get``).

    ``tool``, ``toolkit``: as above; ``schema``: the :class:`~composio.models.Tool` -- return
    ``dataclasses.replace(schema, description=..., input_parameters=...)`` (same slug) or
    ``None``. Runs after the call's ``schema_modifier`` modifiers.
    """
    raise NotImplementedError
