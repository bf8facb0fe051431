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
read; the other calls still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composio.errors import ComposioError
from composio.models import ToolExecution
from composio.modifiers import ExecuteRequest, Modifier, apply_after, apply_before
from composio.providers._calls import ToolCall

if TYPE_CHECKING:
    from composio.modifiers import ToolHooks

__all__ = ["MAX_PARALLEL", "error_result", "finish", "prepare", "unknown_tool"]

#: SPEC §15: ``parallel=True`` runs at most this many calls at once.
MAX_PARALLEL = 8


def error_result(why: str) -> ToolExecution:
    """A failed result carrying ``why``; providers send it as ``{"successful": false, ...}``."""
    return ToolExecution(successful=False, error=why)


def unknown_tool(call: ToolCall) -> ToolExecution:
    """The answer to a call naming a tool that does not exist (or was not offered)."""
    return error_result(
        f"unknown tool {call.slug!r}: no tool of that name is available; call one of the "
        "tools you were given"
    )


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

    A call whose arguments are not a JSON object is never executed (and no hook or modifier
    sees it). Otherwise plugins' ``composio_before_execute`` then the ``before_execute``
    modifiers run; if one raises, the call is answered with that error.
    """
    if call.error is not None:
        return error_result(call.error)
    request = ExecuteRequest(
        arguments=dict(call.arguments),
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
    """``result`` after plugins' ``composio_after_execute`` and the ``after_execute`` modifiers.

    If one raises, the call is answered with that error instead (the tool did run).
    """
    try:
        return apply_after(hooks, modifiers, call.slug, toolkit, result)
    except ComposioError as exc:
        return error_result(exc.message)
