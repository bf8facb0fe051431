"""The built-in plugin: registers the default chain through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from composio.config import ClientConfig
from composio.headers import Layer, fold_layers
from composio.hookspecs import hookimpl
from composio.middlewares.headers import (
    AuthMiddleware,
    CallHeadersMiddleware,
    DefaultHeadersMiddleware,
    IdentityMiddleware,
    SessionHeadersMiddleware,
)
from composio.middlewares.retry import DEFAULT_SEAMS, RetryMiddleware, RetrySeams
from composio.middlewares.telemetry import TelemetryMiddleware
from composio.middlewares.tracing import TracingMiddleware
from composio.pipeline import Middleware


class BuiltinPlugin:
    """Holds what the built-in middlewares need beyond the config: the folded metadata, the
    build's plugin manager, and the root client's shared runtime (retry budget, telemetry sink)."""

    def __init__(self, metadata: Layer, hook: Any, runtime: Any) -> None:
        self._metadata = metadata
        self._hook = hook
        self._runtime = runtime

    @hookimpl
    def composio_middlewares(self, config: ClientConfig) -> Sequence[Middleware]:
        defaults = fold_layers(self._metadata, config.default_headers)
        seams = next(
            (p for p in reversed(config.plugins) if isinstance(p, RetrySeams)), DEFAULT_SEAMS
        )
        return [
            TelemetryMiddleware(config, self._hook, self._runtime.telemetry_sink(config)),
            AuthMiddleware(config.api_key),
            IdentityMiddleware(config.provider.name, "x-request-id" in defaults),
            DefaultHeadersMiddleware(defaults),
            SessionHeadersMiddleware(),
            CallHeadersMiddleware(),
            RetryMiddleware(config, self._hook, self._runtime.retry_budget, seams=seams),
            TracingMiddleware(config),
        ]
