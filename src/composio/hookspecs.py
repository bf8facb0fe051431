"""The hooks a ``composio`` plugin may implement (SPEC §3, and §15 for the tool hooks).

A plugin is any object or module with functions marked ``@composio.hookimpl``; it is found
through the ``composio`` entry-point group, or passed as ``Composio(plugins=[...])``.

The pipeline's generic HTTP hooks are defined here; the tool hooks
(``composio_before_execute``, ``composio_after_execute``, ``composio_tool_schema``) beside the
tool layer, in ``composio._tool_hookspecs``, and re-exported here: this module is every hook a
plugin implements, and what the plugin manager registers (``pm.add_hookspecs(hookspecs)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from composio._tool_hookspecs import (
    composio_after_execute,
    composio_before_execute,
    composio_tool_schema,
)

if TYPE_CHECKING:
    from composio._retry_budget import Budget
    from composio.config import ClientConfig
    from composio.pipeline import Middleware, Request, Response
    from composio.retry_decision import RetryDecision

__all__ = [
    "PROJECT_NAME",
    "composio_after_execute",
    "composio_before_execute",
    "composio_middlewares",
    "composio_request_metadata",
    "composio_retry_budget",
    "composio_retry_decision",
    "composio_telemetry_event",
    "composio_tool_schema",
    "hookimpl",
    "hookspec",
]

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
