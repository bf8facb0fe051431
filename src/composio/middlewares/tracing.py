"""The ``tracing`` slot (SPEC §6). First cut: pass-through; spans land with the tracing issue."""

from __future__ import annotations

from composio.config import ClientConfig
from composio.pipeline import CallNext, Request, Response, Stage


class TracingMiddleware:
    name = "tracing"
    stage = Stage.ATTEMPT
    order = 0

    def __init__(self, config: ClientConfig) -> None:
        self._enabled = config.allow_tracing

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        return call_next(request)
