"""Usage telemetry (SPEC §7).

One event per SDK operation, handed to a :class:`TelemetryTransport` by a background thread
(:mod:`composio.telemetry._queue`), so a slow, failing or hanging transport never adds
latency to a call. The default transport POSTs JSON batches to ``COMPOSIO_TELEMETRY_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_TELEMETRY_URL",
    "EVENT_FIELDS",
    "TELEMETRY_URL_ENV",
    "TelemetryTransport",
]

DEFAULT_TELEMETRY_URL = "https://telemetry.composio.dev/v1/metrics/invocations"
TELEMETRY_URL_ENV = "COMPOSIO_TELEMETRY_URL"
#: Every field of an event, and nothing else (no arguments, headers, keys, user ids, hosts).
EVENT_FIELDS = (
    "functionName",
    "durationMs",
    "timestamp",
    "status",
    "attempts",
    "sdkVersion",
    "source",
    "provider",
)


@runtime_checkable
class TelemetryTransport(Protocol):
    """Receives batches of events on the telemetry thread, never on a caller's thread.

    ``flush(timeout)`` is optional; ``close()`` is required. Exceptions are swallowed.
    """

    def send(self, events: list[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...
