"""The four hooks a ``composio`` plugin may implement (SPEC §3).

A plugin is any object or module with functions marked ``@composio.hookimpl``; it is found
through the ``composio`` entry-point group, or passed as ``Composio(plugins=[...])``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from composio.config import ClientConfig
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


@hookspec
def composio_telemetry_event(event: Mapping[str, Any]) -> None:
    """Observe each telemetry event (read-only); called on the caller's thread, keep it cheap."""
    raise NotImplementedError
