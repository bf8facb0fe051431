"""Per-root-client telemetry state. Stub: the telemetry issue fills it in."""

from __future__ import annotations

from typing import Any

__all__ = ["TelemetryHub"]


class TelemetryHub:
    """Owns the (lazily started) telemetry transport of one root client."""

    def sink_for(self, config: Any) -> Any:
        """What the ``telemetry`` middleware of a build should emit events to (None = off)."""
        return None

    def close(self, timeout: float = 1.0) -> None:
        """Flush (bounded) and stop the transport."""

    def after_fork_in_child(self) -> None:
        """Drop the parent's thread and queue; start afresh on next use."""
