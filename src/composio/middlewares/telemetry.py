"""The ``telemetry`` slot (SPEC §7): one event per SDK operation.

It is the outermost middleware, so ``durationMs`` covers every attempt and every retry wait.
The client raises status errors *after* the chain returns, so a 4xx/5xx response is mapped to
the error class the caller will see here, by status (and a 200 ``tools.execute`` answer with
``successful: false`` to ``ToolExecutionError``, which the resource raises). On the caller's
path it records a tuple and enqueues it; formatting and sending happen on the telemetry thread.
Opted out (no sink), it is a plain pass-through.

Inside a public operation (:mod:`composio.telemetry._scope`) the middleware does not emit:
it adds each call's attempts and outcome to the operation's scope, which emits one event
under the public method's name, with the error the caller really got (SPEC §12.11).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from composio.config import ClientConfig
from composio.errors import status_error_class
from composio.pipeline import AsyncCallNext, CallNext, Request, Response, Stage
from composio.telemetry._event import Record, to_event
from composio.telemetry._scope import current_scope

if TYPE_CHECKING:
    import pluggy

__all__ = ["TelemetryMiddleware"]

logger = logging.getLogger("composio")
_perf = time.perf_counter
_wall = time.time


def _tool_failed(response: Response) -> bool:
    """``successful: false`` in a 200 answer to ``tools.execute`` (the JSON is parsed once and
    cached on the response, so the resource's own parse costs nothing more)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("successful") is False


class TelemetryMiddleware:
    name = "telemetry"
    stage = Stage.CALL
    order = -100

    def __init__(self, config: ClientConfig, hook: pluggy.PluginManager | None, sink: Any) -> None:
        self._sink = sink
        self._provider = config.provider.name
        # One pluggy hook caller per implementing plugin, made once, and only if some plugin
        # implements the hook: building the event dict on the caller's thread is then that
        # plugin's price, not everyone's. Each plugin is called on its own so one raising
        # observer does not silence the others; pluggy passes each only what it declares.
        self._observers: tuple[tuple[str, Any], ...] = ()
        if sink is not None and hook is not None:
            from composio.plugins import per_plugin_callers

            self._observers = per_plugin_callers(hook, "composio_telemetry_event")

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        if self._sink is None:
            return call_next(request)
        scope = current_scope()
        if scope is not None and scope.claim(self):
            try:
                response = call_next(request)
            except BaseException as exc:
                scope.note(request.context.attempt + 1, type(exc).__name__)
                raise
            scope.note(request.context.attempt + 1, _outcome(request, response))
            return response
        started = _wall()
        t0 = _perf()
        try:
            response = call_next(request)
        except BaseException as exc:
            self._emit(request, started, t0, type(exc).__name__)
            raise
        self._emit(request, started, t0, _outcome(request, response))
        return response

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        """The same bookkeeping around an awaited call (the scope is a context variable, so
        each task has its own); the enqueue never blocks the loop. A cancelled call reports
        ``CancelledError`` (a ``BaseException``)."""
        if self._sink is None:
            return await call_next(request)
        scope = current_scope()
        if scope is not None and scope.claim(self):
            try:
                response = await call_next(request)
            except BaseException as exc:
                scope.note(request.context.attempt + 1, type(exc).__name__)
                raise
            scope.note(request.context.attempt + 1, _outcome(request, response))
            return response
        started = _wall()
        t0 = _perf()
        try:
            response = await call_next(request)
        except BaseException as exc:
            self._emit(request, started, t0, type(exc).__name__)
            raise
        self._emit(request, started, t0, _outcome(request, response))
        return response

    def emit(self, name: str, started: float, t0: float, status: str, attempts: int) -> None:
        """Report one public operation (called by its scope when it ends)."""
        self._put((name, (_perf() - t0) * 1000.0, started, status, attempts, self._provider))

    def _emit(self, request: Request, started: float, t0: float, status: str) -> None:
        ctx = request.context
        self._put(
            (
                ctx.operation,
                (_perf() - t0) * 1000.0,
                started,
                status,
                ctx.attempt + 1,
                self._provider,
            )
        )

    def _put(self, record: Record) -> None:
        try:
            if self._observers:
                event = to_event(record)
                self._sink.put(event)
                for plugin, observe in self._observers:
                    try:
                        observe(event=dict(event))
                    except Exception as exc:
                        logger.debug(
                            "composio: composio_telemetry_event of plugin %r raised %s",
                            plugin,
                            type(exc).__name__,
                        )
            else:
                self._sink.put(record)
        except Exception as exc:  # telemetry never raises into the caller
            logger.debug("composio: telemetry event dropped (%s)", type(exc).__name__)


def _outcome(request: Request, response: Response) -> str:
    """The error class the caller will see for this response, by status (the client raises
    status errors after the chain returns), or ``ToolExecutionError`` for a 200 answer to
    ``tools.execute`` with ``successful: false`` -- reported even with
    ``raise_on_error=False``: the event says what the tool did, not what the caller chose."""
    status = response.status_code
    if status >= 400:
        return status_error_class(status).__name__
    if request.context.operation == "tools.execute" and _tool_failed(response):
        return "ToolExecutionError"
    return "ok"
