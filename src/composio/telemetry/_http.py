"""The default telemetry transport: JSON batches POSTed to ``COMPOSIO_TELEMETRY_URL``.

Its own small ``requests`` session (one pooled connection, no retries, short timeouts) and
never the client's chain: telemetry must not show up in the client's retries, spans,
connection pool or telemetry. It only ever runs on the telemetry thread.

Each POST has a total deadline (connect + read timeouts), enforced on every socket read as
for API calls (:mod:`composio._deadline_http`): a collector trickling its answer would
otherwise hold the telemetry thread forever. Once closed it stays closed: a late ``send``
raises instead of opening a new session.

Each POST goes through :meth:`DeadlineAdapter.open` (the urllib3 pool below ``send``), with the
proxy, CA bundle and headers resolved when the session is made, as the API transport does
(SPEC §3, §19). Why: ``Session.post`` re-read the environment (proxies, ``.netrc``, CA bundle),
merged cookies and built a ``requests.Response`` for every batch -- ~540 µs of the telemetry
thread's CPU per POST, a tenth of a call's CPU at 2,000 calls a second, taken from the callers
by the GIL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import requests
import requests.utils

from composio._deadline_http import DeadlineAdapter, read_limits
from composio._external import EnvProxies
from composio.errors import ClientClosedError
from composio.telemetry import DEFAULT_TELEMETRY_URL, TELEMETRY_URL_ENV

__all__ = ["HttpTelemetryTransport", "telemetry_url"]

_TIMEOUT = (1.0, 2.0)  # (connect, read) seconds
#: A collector's answer is read (so the connection can be reused) up to this size; past it
#: the connection is closed instead.
_ANSWER_LIMIT = 65536


class TelemetryRefused(Exception):
    """The collector answered the batch with an error status (the queue counts it failed)."""


def telemetry_url() -> str:
    """Read when a client's telemetry is set up, not at import (tests point it elsewhere)."""
    return os.environ.get(TELEMETRY_URL_ENV, "").strip() or DEFAULT_TELEMETRY_URL


def _basic_auth(url: str) -> str | None:
    """The ``Authorization`` a ``Session.post`` to ``url`` would send, resolved once: Basic
    credentials from the URL's ``user:pass@``, else from ``~/.netrc`` (requests' rules, its
    own helpers), so a collector behind Basic auth keeps working on the faster path."""
    import requests.auth

    user, password = requests.utils.get_auth_from_url(url)
    if not (user or password):
        found = requests.utils.get_netrc_auth(url)
        if not found:
            return None
        user, password = found
    return requests.auth._basic_auth_str(user, password)


class HttpTelemetryTransport:
    """Sends each batch as one POST; raises on failure (the queue counts and drops it)."""

    def __init__(self, url: str, *, timeout: tuple[float, float] = _TIMEOUT) -> None:
        self.url = url
        self._timeout = timeout
        self._session: requests.Session | None = None
        self._adapter: DeadlineAdapter | None = None
        #: (proxy, verify, cert, headers), resolved with the session
        self._route: tuple[str | None, bool | str, Any, dict[str, str]] | None = None
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
            env = session.merge_environment_settings(self.url, {}, False, True, None)
            verify = env.get("verify")
            headers = dict(requests.utils.default_headers())
            headers["Content-Type"] = "application/json"
            auth = _basic_auth(self.url)
            if auth is not None:
                headers["Authorization"] = auth
            proxy = EnvProxies().for_url(self.url)
            self._route = (proxy, True if verify is None else verify, env.get("cert"), headers)
            self._session, self._adapter = session, adapter
        return self._session

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self._get_session()
        adapter, route = self._adapter, self._route
        assert adapter is not None and route is not None
        proxy, verify, cert, headers = route
        body = json.dumps([dict(e) for e in events], allow_nan=False).encode()
        prepared = requests.PreparedRequest()
        prepared.method = "POST"
        prepared.url = self.url
        prepared.headers = {**headers, "Content-Length": str(len(body))}  # type: ignore[assignment]
        prepared.body = body
        connect, read = self._timeout
        limits = read_limits.set((time.monotonic() + connect + read, read))
        try:
            answer = adapter.open(prepared, self._timeout, verify, cert, proxy)
            whole = False
            try:
                # read, not closed: the connection goes back to the pool for the next batch
                # (a half-read answer raises here: a failed batch)
                whole = len(answer.read(_ANSWER_LIMIT + 1)) <= _ANSWER_LIMIT
            finally:
                if not whole:
                    answer.close()
                answer.release_conn()
        finally:
            read_limits.reset(limits)
        if answer.status >= 400:
            raise TelemetryRefused(f"the telemetry collector answered {answer.status}")

    def flush(self, timeout: float) -> None:
        """Every ``send`` is synchronous: nothing is buffered here."""

    def close(self) -> None:
        self._closed = True
        if self._session is not None:
            self._session.close()
            self._session = None
