"""The §7 event: recorded as a tuple on the caller's path, turned into a dict off it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, TypeAlias

from composio._version import __version__

__all__ = ["Record", "to_event"]

_SOURCE = "PYTHON_SDK"


#: What the middleware captures per operation, on the caller's thread: ``(function name,
#: duration in ms, time.time() at the start, status, attempts, provider)``. A plain tuple,
#: not a NamedTuple: a display (``tuple``) costs a tenth of a NamedTuple's ``__new__``, and
#: only :func:`to_event`, on the telemetry thread, reads it.
Record: TypeAlias = tuple[str, float, float, str, int, str]


def to_event(record: Record) -> dict[str, Any]:
    """Exactly the fields of ``composio.telemetry.EVENT_FIELDS``."""
    function_name, duration_ms, started, status, attempts, provider = record
    stamp = datetime.fromtimestamp(started, timezone.utc)
    return {
        "functionName": function_name,
        "durationMs": round(duration_ms, 3),
        "timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": status,
        "attempts": attempts,
        "sdkVersion": __version__,
        "source": _SOURCE,
        "provider": provider,
    }
