"""The I/O-free steps of ``tools.handle_tool_calls`` (SPEC §15), for the sync and async client.

``composio._ops.tool_calls`` assembles them into one flow per tool call (the clients only
drive the flows); the steps are public-ish so an application can run the loop by hand::

    calls = provider.parse_tool_calls(response)
    results = []
    for call in calls:                       # or up to MAX_PARALLEL at once, order kept
        toolkit = <the tool's toolkit: custom tool, cache, or GET /tools/{slug}>
        step = prepare(call, toolkit, user_id=user_id, hooks=hooks, modifiers=modifiers)
        if isinstance(step, ToolExecution):  # bad arguments, or a before-hook/modifier failed
            results.append(step); continue
        result = <execute call.slug with step (raise_on_error=False), or the custom tool>
        results.append(finish(call, toolkit, result, hooks=hooks, modifiers=modifiers))
    return provider.format_results(calls, results)

Every failure that belongs to one call becomes that call's error result, for the model to
read; the other calls still run. The client's own loop does not use these steps but the one
execution path, ``composio._ops.execution.run_tool``; the steps apply the same checks
(arguments on the way in, the result on the way out) and the same order (the call's
modifiers, then plugins), so a loop written by hand is as safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composio._ops import execution
from composio.errors import ComposioError
from composio.models import ToolExecution
from composio.modifiers import ExecuteRequest, Modifier, apply_after, apply_before
from composio.providers._calls import ToolCall

if TYPE_CHECKING:
    from composio.modifiers import ToolHooks

__all__ = ["MAX_PARALLEL", "error_result", "finish", "prepare", "unknown_tool"]

#: SPEC §15: ``parallel=True`` runs at most this many calls at once.
MAX_PARALLEL = 8


error_result = execution.error_result


def unknown_tool(call: ToolCall) -> ToolExecution:
    """The answer to a call naming a tool that does not exist (or was not offered)."""
    return execution.unknown_tool(call.slug)


def prepare(
    call: ToolCall,
    toolkit: str,
    *,
    user_id: str | None,
    connected_account_id: str | None = None,
    version: str | None = None,
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
) -> ExecuteRequest | ToolExecution:
    """What to execute for ``call``, or the error result that answers it instead.

    A call whose arguments are not a JSON object of plain JSON values (``composio._untrusted``)
    is never executed (and no hook or modifier sees it). Otherwise the ``before_execute``
    modifiers then plugins' ``composio_before_execute`` run; if one raises, the call is
    answered with that error.
    """
    if call.error is not None:
        return error_result(call.error)
    try:
        arguments = execution.check_arguments(call.arguments, f"tool call {call.slug!r}")
    except ComposioError as exc:
        return error_result(exc.message)
    request = ExecuteRequest(
        arguments=arguments,
        user_id=user_id,
        connected_account_id=connected_account_id,
        version=version,
    )
    try:
        return apply_before(hooks, modifiers, call.slug, toolkit, request)
    except ComposioError as exc:
        return error_result(exc.message)


def finish(
    call: ToolCall,
    toolkit: str,
    result: ToolExecution,
    *,
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
) -> ToolExecution:
    """``result`` checked, then after the ``after_execute`` modifiers and plugins'
    ``composio_after_execute``.

    A result that cannot be read is the tool's failure; if a modifier or hook raises, the
    call is answered with that error instead (the tool did run).
    """
    result = execution.exit_check(call.slug, result)
    try:
        return apply_after(hooks, modifiers, call.slug, toolkit, result)
    except ComposioError as exc:
        return error_result(exc.message)
