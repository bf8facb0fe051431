"""The default telemetry transport: JSON batches POSTed to ``COMPOSIO_TELEMETRY_URL``.

Its own small ``requests`` session (one pooled connection, no retries, short timeouts) and
never the client's chain: telemetry must not show up in the client's retries, spans,
connection pool or telemetry. It only ever runs on the telemetry thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
import requests.adapters

from composio.telemetry import DEFAULT_TELEMETRY_URL, TELEMETRY_URL_ENV

__all__ = ["HttpTelemetryTransport", "telemetry_url"]

_TIMEOUT = (1.0, 2.0)  # (connect, read) seconds


def telemetry_url() -> str:
    """Read when a client's telemetry is set up, not at import (tests point it elsewhere)."""
    return os.environ.get(TELEMETRY_URL_ENV, "").strip() or DEFAULT_TELEMETRY_URL


class HttpTelemetryTransport:
    """Sends each batch as one POST; raises on failure (the queue counts and drops it)."""

    def __init__(self, url: str, *, timeout: tuple[float, float] = _TIMEOUT) -> None:
        self.url = url
        self._timeout = timeout
        self._session: requests.Session | None = None

    def _get_session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=1, pool_maxsize=1, max_retries=0
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._session = session
        return self._session

    def send(self, events: list[Mapping[str, Any]]) -> None:
        response = self._get_session().post(
            self.url,
            json=[dict(e) for e in events],
            timeout=self._timeout,
            allow_redirects=False,
        )
        response.close()
        response.raise_for_status()

    def flush(self, timeout: float) -> None:
        """Every ``send`` is synchronous: nothing is buffered here."""

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
