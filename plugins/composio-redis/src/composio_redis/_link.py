"""One Redis endpoint as the plugin uses it: its clients, the script round trip, fail-open.

Why fail open: Redis is a coordination aid, not a dependency of the API call. When it is
down, slow (a socket timeout of 50 ms on connect and on each read of a round trip, for the
clients made from a URL; a client passed by hand keeps its own) or answering errors, the call
goes on under the process-local budget or limiter; the outage is logged once (a WARNING when it
starts, one line when Redis answers again), every call that fell back is counted (the
OpenTelemetry counter ``composio.redis.fail_open`` and :attr:`Link.fail_opens`), and while
it lasts Redis is asked again at most once per ``probe_interval``, so a dead host costs one
connect timeout per second, not one per call.

Why no retries inside redis-py: its default ``Retry`` re-sends a command after a timeout,
which would turn a 50 ms budget into seconds and could run a script twice. A round trip is
made exactly once; ``NOSCRIPT`` (the script cache was flushed, or Redis restarted) loads the
script and runs it once more.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.backoff import NoBackoff

from composio import ValidationError
from composio_redis._scripts import Script

__all__ = ["Link", "link_for"]

logger = logging.getLogger("composio.redis")

DEFAULT_TIMEOUT = 0.05
#: Milliseconds per Redis round trip (socket connect and each read/write), default 50: for a
#: Redis further away than the same data centre, or a test on a loaded machine.
TIMEOUT_ENV = "COMPOSIO_REDIS_TIMEOUT_MS"
PROBE_INTERVAL = 1.0
#: The connection settings carried over when a client of one kind (sync/async) is given and
#: the other kind is needed.
_CARRIED = ("host", "port", "db", "username", "password")

_counter: Any = None


def _fail_open_counter() -> Any:
    """The OpenTelemetry counter, made on first use (the API's meter is a proxy until the
    application installs a MeterProvider, so a provider set later still receives it)."""
    global _counter
    if _counter is None:
        from opentelemetry import metrics

        _counter = metrics.get_meter("composio-redis").create_counter(
            "composio.redis.fail_open",
            unit="{call}",
            description="Calls that used the process-local budget or limiter because Redis "
            "was unreachable, slow or answering errors",
        )
    return _counter


def _where(url: str) -> str:
    """``host:port/db`` of a Redis URL: what logs name (never the password in it)."""
    parts = urlsplit(url)
    db = parts.path.strip("/") or "0"
    try:
        port = parts.port or 6379
    except ValueError:
        port = "?"
    return f"{parts.hostname or parts.path}:{port}/{db}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, redis.exceptions.TimeoutError):
        return "slow"
    if isinstance(exc, (redis.exceptions.ConnectionError, OSError)):
        return "unreachable"
    return "error"


class Link:
    """Clients for one Redis endpoint and the state of its current outage (thread-safe)."""

    def __init__(
        self,
        target: object,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        probe_interval: float = PROBE_INTERVAL,
    ) -> None:
        self.timeout = timeout
        self.probe_interval = probe_interval
        self._url: str | None = None
        self._sync: Any = None
        self._async_given: Any = None
        self._given_taken = False  #: the given async client serves a loop already
        if isinstance(target, str):
            if not target.startswith(("redis://", "rediss://", "unix://")):
                raise ValidationError(
                    "composio-redis: the Redis URL must start with redis://, rediss:// or "
                    "unix:// (e.g. redis://localhost:6379/0)."
                )
            self._url = target
            self.where = _where(target)
        elif isinstance(target, redis.asyncio.Redis):
            self._async_given = target
            self.where = self._describe(target)
        elif isinstance(target, redis.Redis):
            self._sync = target
            self.where = self._describe(target)
        else:
            raise ValidationError(
                f"composio-redis: expected a Redis URL (str), a redis.Redis or a "
                f"redis.asyncio.Redis, not {type(target).__name__}."
            )
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._down = False  #: in an outage (warned once)
        self._retry_at = 0.0  #: monotonic time before which Redis is not asked again
        self.fail_opens = 0  #: calls that fell back to the process-local state

    @staticmethod
    def _describe(client: Any) -> str:
        kw = client.connection_pool.connection_kwargs
        return f"{kw.get('host', kw.get('path', '?'))}:{kw.get('port', '')}/{kw.get('db', 0)}"

    # -- clients -------------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        return {"socket_timeout": self.timeout, "socket_connect_timeout": self.timeout}

    def sync_client(self) -> Any:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    if self._url is not None:
                        self._sync = redis.Redis.from_url(
                            self._url, retry=redis.retry.Retry(NoBackoff(), 0), **self._options()
                        )
                    else:
                        self._sync = redis.Redis(
                            **self._carried(self._async_given),
                            retry=redis.retry.Retry(NoBackoff(), 0),
                            **self._options(),
                        )
                client = self._sync
        return client

    def async_client(self) -> Any:
        """``redis.asyncio`` connections belong to one event loop: one client per loop. A
        client given by hand serves the first loop it is used on; another loop (a second
        ``asyncio.run``) gets one made from its host, port, db and credentials -- the given
        one there raised ``RuntimeError: Event loop is closed`` out of every call."""
        loop = asyncio.get_running_loop()
        client = self._loops.get(loop)
        if client is None:
            with self._lock:
                client = self._loops.get(loop)
                if client is None:
                    client = self._loops[loop] = self._new_async_client()
        return client

    def _new_async_client(self) -> Any:
        from redis.asyncio.retry import Retry

        if self._async_given is not None and not self._given_taken:
            self._given_taken = True
            return self._async_given
        if self._url is not None:
            return redis.asyncio.Redis.from_url(
                self._url, retry=Retry(NoBackoff(), 0), **self._options()
            )
        return redis.asyncio.Redis(
            **self._carried(self._sync or self._async_given),
            retry=Retry(NoBackoff(), 0),
            **self._options(),
        )

    @staticmethod
    def _carried(client: Any) -> dict[str, Any]:
        kw = client.connection_pool.connection_kwargs
        return {k: kw[k] for k in _CARRIED if k in kw}

    # -- the round trip --------------------------------------------------------------------
    def run(self, script: Script, key: str, args: Sequence[object], component: str) -> Any:
        """The script's result, or ``None``: use the process-local state (fail open)."""
        if self._skipping(component):
            return None
        try:
            client = self.sync_client()
            try:
                result = client.evalsha(script.sha, 1, key, *args)
            except redis.exceptions.NoScriptError:
                client.script_load(script.source)
                result = client.evalsha(script.sha, 1, key, *args)
        except Exception as exc:  # Redis is an aid: nothing from it may fail a call
            self._failed(component, _reason(exc), type(exc).__name__)
            return None
        return self._answered(result)

    async def arun(self, script: Script, key: str, args: Sequence[object], component: str) -> Any:
        """:meth:`run` on ``redis.asyncio`` (the event loop is never blocked by Redis)."""
        if self._skipping(component):
            return None
        try:
            client = self.async_client()
            try:
                result = await client.evalsha(script.sha, 1, key, *args)
            except redis.exceptions.NoScriptError:
                await client.script_load(script.source)
                result = await client.evalsha(script.sha, 1, key, *args)
        except Exception as exc:  # Redis is an aid: nothing from it may fail a call
            self._failed(component, _reason(exc), type(exc).__name__)
            return None
        return self._answered(result)

    # -- the outage state --------------------------------------------------------------------
    def _skipping(self, component: str) -> bool:
        if self._down and time.monotonic() < self._retry_at:
            self._count(component, "outage")
            return True
        return False

    def _answered(self, result: Any) -> Any:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning(
                    "composio-redis: Redis at %s answers again; the fleet's shared retry "
                    "budget and rate limit are used again",
                    self.where,
                )
        return result

    def _failed(self, component: str, reason: str, what: str) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + self.probe_interval
        self._count(component, reason)
        if first:
            logger.warning(
                "composio-redis: Redis at %s is %s (%s); calls use the process-local retry "
                "budget and rate limit until it answers again (asked again every %gs)",
                self.where,
                reason,
                what,
                self.probe_interval,
            )

    def _count(self, component: str, reason: str) -> None:
        with self._lock:
            self.fail_opens += 1
        _fail_open_counter().add(1, {"component": component, "reason": reason})


_links: dict[tuple[str, float], Link] = {}
_links_lock = threading.Lock()


def _timeout() -> float:
    import os

    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw) / 1000.0
    except ValueError:
        value = -1.0
    if not 0 < value < 3600:
        raise ValidationError(f"{TIMEOUT_ENV}={raw!r:.20} must be a positive number of ms.")
    return value


def link_for(target: object) -> Link:
    """One :class:`Link` per URL in a process, so a budget and a limiter on the same Redis
    share its connections and report one outage once; a client object gets its own (and is
    used with its own timeouts)."""
    timeout = _timeout()
    if not isinstance(target, str):
        return Link(target, timeout=timeout)
    with _links_lock:
        found = _links.get((target, timeout))
        if found is None:
            found = _links[(target, timeout)] = Link(target, timeout=timeout)
        return found
