"""The §7 event: recorded as a tuple on the caller's path, turned into a dict off it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NamedTuple

from composio._version import __version__

__all__ = ["Record", "to_event"]

_SOURCE = "PYTHON_SDK"


class Record(NamedTuple):
    """What the middleware captures per operation: cheap to build (no formatting)."""

    function_name: str
    duration_ms: float
    started: float  #: ``time.time()`` at the start of the operation
    status: str
    attempts: int
    provider: str


def to_event(record: Record) -> dict[str, Any]:
    """Exactly the fields of ``composio.telemetry.EVENT_FIELDS``."""
    stamp = datetime.fromtimestamp(record.started, timezone.utc)
    return {
        "functionName": record.function_name,
        "durationMs": round(record.duration_ms, 3),
        "timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": record.status,
        "attempts": record.attempts,
        "sdkVersion": __version__,
        "source": _SOURCE,
        "provider": record.provider,
    }
