"""The hooks a ``composio`` plugin may implement (SPEC §3, and §15 for the tool hooks).

A plugin is any object or module with functions marked ``@composio.hookimpl``; it is found
through the ``composio`` entry-point group, or passed as ``Composio(plugins=[...])``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from composio._retry_budget import Budget
    from composio.config import ClientConfig
    from composio.models import Tool, ToolExecution
    from composio.modifiers import ExecuteRequest
    from composio.pipeline import Middleware, Request, Response
    from composio.retry_decision import RetryDecision

PROJECT_NAME = "composio"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def composio_middlewares(config: ClientConfig) -> Sequence[Middleware]:
    """Middlewares to add to the chain of a client being built (called once per build)."""
    raise NotImplementedError


@hookspec
def composio_request_metadata(config: ClientConfig) -> Mapping[str, str]:
    """Headers to send on every request; merged once at build time, below default headers."""
    raise NotImplementedError


@hookspec(firstresult=True)
def composio_retry_decision(
    request: Request,
    response: Response | None,
    error: BaseException | None,
    attempt: int,
) -> RetryDecision | None:
    """Force, veto or delay a retry; ``None`` defers to the next plugin and the built-in rules.

    Consulted after every failed attempt (error or status >= 400), before the built-in rules.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def composio_retry_budget(config: ClientConfig, budget: Budget) -> Budget | None:
    """A retry budget to use instead of ``budget``, the root client's own (SPEC §5, §16).

    Called once per client build; the first plugin to return one wins. ``budget`` is the
    process-local budget the client would use (shared by its sessions, reset after a fork):
    a shared budget (``composio-redis``) falls back to it when its store is unreachable. The
    returned object has ``record_request()`` (each operation's first attempt),
    ``try_spend() -> bool`` (one retry) and their coroutine twins ``arecord_request()`` and
    ``atry_spend()``, awaited by ``AsyncComposio``. It must not raise: a ``False`` from
    ``try_spend`` surfaces the failed attempt's outcome at once.
    """
    raise NotImplementedError


@hookspec
def composio_telemetry_event(event: Mapping[str, Any]) -> None:
    """Observe each telemetry event (read-only); called on the caller's thread, keep it cheap."""
    raise NotImplementedError


# -- The tool hooks (SPEC §15). They run on every tool execution (the one execution path,
# ``composio._ops.execution``), after the call's modifiers (SPEC §15 as amended in Part III:
# policy nearest the boundary). Each plugin is called on its own (pluggy's subset_hook_caller,
# so pluggy passes only the arguments an implementation declares), in pluggy's order (last
# registered first, tryfirst/trylast respected), handed the previous one's output, so that
# plugins chain. Return the new value, or None to leave it unchanged. Wrappers are refused
# when the client is built, as for every composio hook. What one raises (or a value of the
# wrong type) fails that one execution, or the tools.get call for the schema hook, with a
# ComposioError naming the plugin.


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
