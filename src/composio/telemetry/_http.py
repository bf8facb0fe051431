"""The default telemetry transport: JSON batches POSTed to ``COMPOSIO_TELEMETRY_URL``.

Its own small ``requests`` session (one pooled connection, no retries, short timeouts) and
never the client's chain: telemetry must not show up in the client's retries, spans,
connection pool or telemetry. It only ever runs on the telemetry thread.

Each POST has a total deadline (connect + read timeouts), enforced on every socket read as
for API calls (:mod:`composio._deadline_http`): a collector trickling its answer would
otherwise hold the telemetry thread forever. Once closed it stays closed: a late ``send``
raises instead of opening a new session.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import requests

from composio._deadline_http import DeadlineAdapter, read_limits
from composio.errors import ClientClosedError
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
        self._closed = False

    def _get_session(self) -> requests.Session:
        if self._closed:
            raise ClientClosedError(
                "The telemetry transport was closed (its client was closed); the batch is "
                "dropped, not sent over a reopened connection."
            )
        if self._session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._session = session
        return self._session

    def send(self, events: list[Mapping[str, Any]]) -> None:
        session = self._get_session()
        connect, read = self._timeout
        limits = read_limits.set((time.monotonic() + connect + read, read))
        try:
            response = session.post(
                self.url,
                json=[dict(e) for e in events],
                timeout=self._timeout,
                allow_redirects=False,
            )
        finally:
            read_limits.reset(limits)
        response.close()
        response.raise_for_status()

    def flush(self, timeout: float) -> None:
        """Every ``send`` is synchronous: nothing is buffered here."""

    def close(self) -> None:
        self._closed = True
        if self._session is not None:
            self._session.close()
            self._session = None
