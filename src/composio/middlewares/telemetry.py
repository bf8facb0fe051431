"""The ``telemetry`` slot (SPEC §7). First cut: pass-through; events land with the telemetry
issue."""

from __future__ import annotations

from typing import Any

from composio.config import ClientConfig
from composio.pipeline import CallNext, Request, Response, Stage


class TelemetryMiddleware:
    name = "telemetry"
    stage = Stage.CALL
    order = -100

    def __init__(self, config: ClientConfig, hook: Any, sink: Any) -> None:
        self._hook = hook
        self._sink = sink

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        return call_next(request)
