"""A telemetry transport that keeps what it is sent (``telemetry_transport=`` in tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class RecordingTransport:
    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.events.extend(events)

    def close(self) -> None:
        pass
