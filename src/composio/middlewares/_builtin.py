"""The built-in plugin: registers the default chain through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from composio._retry_budget import Budget
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
from composio.plugins import PluginError, per_plugin_callers


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
            RetryMiddleware(config, self._hook, self._retry_budget(config), seams=seams),
            TracingMiddleware(config),
        ]

    def _retry_budget(self, config: ClientConfig) -> Budget:
        """The root client's budget, unless a plugin supplies one (``composio_retry_budget``);
        a plugin that raises fails the build with an error naming it."""
        local: Budget = self._runtime.retry_budget
        for name, caller in per_plugin_callers(self._hook, "composio_retry_budget"):
            try:
                supplied = caller(config=config, budget=local)
            except Exception as exc:
                raise PluginError(
                    f"Plugin {name!r} failed in composio_retry_budget: {type(exc).__name__}: {exc}"
                ) from exc
            if supplied is not None:
                return supplied  # type: ignore[no-any-return]
        return local
