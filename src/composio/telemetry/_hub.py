"""Per-root-client telemetry state (SPEC §7).

One :class:`TelemetryHub` per root client, shared by its sessions and ``with_options`` copies.
It keeps one :class:`~composio.telemetry._queue.EventQueue` per transport (the default HTTP
one, or each distinct ``telemetry_transport=``), created on first build and started on first
event. A build with tracking off gets no queue at all: no thread, no socket, no event.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from composio.telemetry._http import HttpTelemetryTransport, telemetry_url
from composio.telemetry._queue import EventQueue

__all__ = ["TelemetryHub"]


class TelemetryHub:
    """Owns the (lazily started) telemetry queues of one root client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # keyed by id(transport) (0 = the default); the transport is kept alive by the queue's
        # factory, so an id is never reused while its entry exists.
        self._queues: dict[int, EventQueue] = {}
        self._closed = False

    def sink_for(self, config: Any) -> EventQueue | None:
        """What the ``telemetry`` middleware of a build emits to; ``None`` when opted out."""
        if not config.allow_tracking:
            return None
        transport = config.telemetry_transport
        key = 0 if transport is None else id(transport)
        with self._lock:
            if self._closed:
                return None  # a closed client's copies start no queue (and no thread)
            sink = self._queues.get(key)
            if sink is None:
                if transport is None:
                    url = telemetry_url()
                    sink = EventQueue(
                        lambda: HttpTelemetryTransport(url), owns_transport_state=True
                    )
                else:
                    sink = EventQueue(lambda: transport, owns_transport_state=False)
                self._queues[key] = sink
            return sink

    @property
    def sinks(self) -> tuple[EventQueue, ...]:
        with self._lock:
            return tuple(self._queues.values())

    def flush(self, timeout: float = 1.0) -> bool:
        deadline = time.monotonic() + timeout
        ok = True
        for sink in self.sinks:
            ok = sink.flush(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def close(self, timeout: float = 1.0) -> None:
        """Flush and stop every queue, all within ``timeout`` seconds."""
        with self._lock:
            self._closed = True
        deadline = time.monotonic() + timeout
        for sink in self.sinks:
            sink.close(max(0.0, deadline - time.monotonic()))

    def after_fork_in_child(self) -> None:
        """Drop the parent's threads and queues; start afresh on next use."""
        self._lock = threading.Lock()
        for sink in self._queues.values():
            sink.after_fork_in_child()
