"""Usage telemetry (SPEC §7): the transport protocol; the batching transport and the
middleware land with the telemetry issue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["TelemetryTransport"]


@runtime_checkable
class TelemetryTransport(Protocol):
    """Receives batches of events. ``flush(timeout)`` is optional; ``close()`` is required."""

    def send(self, events: list[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...
