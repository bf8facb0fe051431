"""A retry budget and a rate limit shared by a fleet of processes through Redis (SPEC §16).

Why: each client keeps its own retry budget (SPEC §5), so during an API incident 100 workers
each retry on their own and the storm is multiplied by 100. With :class:`RedisRetryBudget`
every process draws retries from one budget -- at most ``ratio`` of the fleet's first attempts
in the last ``window`` seconds, plus ``min_per_second`` -- and with :class:`RedisRateLimiter`
the fleet shares one token bucket per API key.

* Each decision is one atomic Lua script (``EVALSHA``; reloaded on ``NOSCRIPT``): one round
  trip per attempt, on Redis's clock (the workers' clocks may disagree).
* Key names hold a SHA-256 digest of the API key, never the key; every key has a TTL.
* Both clients: ``Composio`` uses ``redis``, ``AsyncComposio`` awaits ``redis.asyncio``.
* Fail open: Redis down, slow (50 ms per round trip) or erroring, the call goes on under the
  process-local budget/limiter, with one WARNING per outage and the OpenTelemetry counter
  ``composio.redis.fail_open``; when Redis answers again it is used again.

Use: set ``COMPOSIO_REDIS_URL`` (the entry point registers the budget, and the limiter when
``COMPOSIO_REDIS_RATE`` is set too), or pass ``plugins=[RedisRetryBudget(url),
RedisRateLimiter(url, rate=50)]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from composio import (
    ClientConfig,
    Middleware,
    RateLimitError,
    Request,
    Response,
    Stage,
    ValidationError,
    hookimpl,
)
from composio_redis._link import Link, link_for
from composio_redis._scripts import BUDGET, LIMITER

__all__ = [
    "BURST_ENV",
    "KEY_PREFIX_ENV",
    "RATE_ENV",
    "URL_ENV",
    "LocalBucket",
    "RedisRateLimiter",
    "RedisRetryBudget",
    "from_env",
    "key_digest",
]

URL_ENV = "COMPOSIO_REDIS_URL"
RATE_ENV = "COMPOSIO_REDIS_RATE"
BURST_ENV = "COMPOSIO_REDIS_BURST"
KEY_PREFIX_ENV = "COMPOSIO_REDIS_KEY_PREFIX"
DEFAULT_PREFIX = "composio"
#: The longest wait the limiter considers when a call has no deadline left to measure.
_MAX_WAIT = 3600.0


def key_digest(api_key: str | None) -> str:
    """What stands for an API key in Redis key names: a salted SHA-256, 32 hex digits."""
    raw = (api_key or "").encode()
    return hashlib.sha256(b"composio-redis\0" + raw).hexdigest()[:32]


def _positive(value: object, name: str, *, zero: bool = False) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and (value >= 0 if zero else value > 0)
    )
    if not ok:
        raise ValidationError(
            f"composio-redis: {name} must be a finite number "
            f"{'>= 0' if zero else '> 0'}, not {value!r:.40}."
        )
    return float(value)  # type: ignore[arg-type]


def _prefix(value: object) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValidationError(
            "composio-redis: key_prefix must be a non-empty str without whitespace."
        )
    return value


class _SharedBudget:
    """One client build's budget: the fleet's (in Redis), else the client's own.

    The client's own budget counts every first attempt too, so that on an outage it starts
    with this process's recent history instead of an empty window.
    """

    __slots__ = ("_args", "_key", "_link", "_local")

    def __init__(self, link: Link, key: str, args: tuple[object, ...], local: Any) -> None:
        self._link = link
        self._key = key
        self._args = args
        self._local = local

    def record_request(self) -> None:
        self._local.record_request()
        self._link.run(BUDGET, self._key, ("r", *self._args), "retry_budget")

    def try_spend(self) -> bool:
        granted = self._link.run(BUDGET, self._key, ("s", *self._args), "retry_budget")
        return bool(self._local.try_spend() if granted is None else int(granted))

    async def arecord_request(self) -> None:
        self._local.record_request()
        await self._link.arun(BUDGET, self._key, ("r", *self._args), "retry_budget")

    async def atry_spend(self) -> bool:
        granted = await self._link.arun(BUDGET, self._key, ("s", *self._args), "retry_budget")
        return bool(self._local.try_spend() if granted is None else int(granted))


class RedisRetryBudget:
    """The plugin: SPEC §5's retry budget, shared by every process using the same Redis.

    ``url_or_client``: a ``redis://`` URL (both clients, 50 ms timeouts), or a ``redis.Redis``
    / ``redis.asyncio.Redis`` used as given (the other kind is made from its host, port, db,
    username and password). One budget per API key (its digest is in the key name).
    """

    composio_plugin_name = "composio-redis-budget"

    def __init__(
        self,
        url_or_client: object,
        *,
        ratio: float = 0.2,
        min_per_second: float = 10,
        key_prefix: str = DEFAULT_PREFIX,
        window: int = 10,
    ) -> None:
        self.ratio = _positive(ratio, "ratio", zero=True)
        self.min_per_second = _positive(min_per_second, "min_per_second", zero=True)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValidationError("composio-redis: window must be an int >= 1 (seconds).")
        self.window = window
        self.key_prefix = _prefix(key_prefix)
        self.link = link_for(url_or_client)

    def key(self, api_key: str | None) -> str:
        """The Redis key of ``api_key``'s budget (``{digest}`` is a cluster hash tag)."""
        return f"{self.key_prefix}:{{{key_digest(api_key)}}}:retry-budget"

    @hookimpl
    def composio_retry_budget(self, config: ClientConfig, budget: Any) -> Any:
        args = (repr(self.ratio), repr(self.min_per_second), str(self.window))
        return _SharedBudget(self.link, self.key(config.api_key), args, budget)

    def __repr__(self) -> str:
        return (
            f"RedisRetryBudget({self.link.where!r}, ratio={self.ratio:g}, "
            f"min_per_second={self.min_per_second:g}, key_prefix={self.key_prefix!r})"
        )


class LocalBucket:
    """The process-local token bucket: the same reservations as the Lua script, on this
    process's monotonic clock (what the limiter uses while Redis is unavailable)."""

    __slots__ = ("_lock", "_tokens", "_ts", "burst", "clock", "rate")

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens = burst
        self._ts = clock()

    def reserve(self, max_wait: float) -> tuple[bool, float]:
        """``(granted, wait)``: take a token to be used after ``wait`` seconds, or nothing
        when the wait would exceed ``max_wait``."""
        with self._lock:
            now = self.clock()
            if now > self._ts:
                self._tokens = min(self.burst, self._tokens + (now - self._ts) * self.rate)
                self._ts = now
            wait = (1 - self._tokens) / self.rate if self._tokens < 1 else 0.0
            if wait > max_wait:
                return False, wait
            self._tokens -= 1
            return True, wait


class RedisRateLimitMiddleware:
    """ATTEMPT stage, order -200 (before the circuit breaker and ``tracing``): every physical
    attempt takes a token; a refused attempt sends nothing and makes no span."""

    stage = Stage.ATTEMPT
    order = -200
    __slots__ = ("_args", "_key", "_link", "_local", "_rate", "name")

    def __init__(self, link: Link, key: str, rate: float, burst: float, local: LocalBucket):
        self.name = "redis-rate-limit"
        self._link = link
        self._key = key
        self._rate = rate
        self._args = (repr(rate), repr(burst))
        self._local = local

    @staticmethod
    def _budget(request: Request) -> float:
        left = request.context.deadline - time.monotonic()
        return max(0.0, min(left, _MAX_WAIT)) if math.isfinite(left) else _MAX_WAIT

    def _verdict(self, request: Request, answer: Any, max_wait: float) -> float:
        if answer is None:
            granted, wait = self._local.reserve(max_wait)
        else:
            granted, wait = bool(int(answer[0])), float(answer[1])
        if not granted:
            raise RateLimitError(
                f"composio-redis: {request.context.operation} would wait {wait:.3f}s for the "
                f"fleet's rate limit ({self._rate:g}/s per API key), more than the "
                f"{max_wait:.3f}s left before its deadline; it was not sent. Retry later, "
                "raise the call's timeout, or the limit.",
                request=None,
                status_code=429,
                retry_after=wait,
            )
        return wait

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        max_wait = self._budget(request)
        answer = self._link.run(LIMITER, self._key, (*self._args, repr(max_wait)), "rate_limiter")
        wait = self._verdict(request, answer, max_wait)
        if wait > 0:
            time.sleep(wait)
        return call_next(request)

    async def acall(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        max_wait = self._budget(request)
        answer = await self._link.arun(
            LIMITER, self._key, (*self._args, repr(max_wait)), "rate_limiter"
        )
        wait = self._verdict(request, answer, max_wait)
        if wait > 0:
            await asyncio.sleep(wait)
        return await call_next(request)


class RedisRateLimiter:
    """The plugin: one token bucket per API key for the whole fleet (``rate`` requests per
    second, up to ``burst`` at once). A call waits for its token within its deadline, or
    raises :class:`~composio.RateLimitError` (``retry_after`` set) without sending."""

    composio_plugin_name = "composio-redis-rate-limit"

    def __init__(
        self,
        url_or_client: object,
        *,
        rate: float = 10.0,
        burst: float | None = None,
        key_prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self.rate = _positive(rate, "rate")
        self.burst = max(1.0, self.rate) if burst is None else _positive(burst, "burst")
        if self.burst < 1:
            raise ValidationError("composio-redis: burst must be >= 1 (one call at least).")
        self.key_prefix = _prefix(key_prefix)
        self.link = link_for(url_or_client)
        self._locals: dict[str, LocalBucket] = {}
        self._lock = threading.Lock()

    def key(self, api_key: str | None) -> str:
        return f"{self.key_prefix}:{{{key_digest(api_key)}}}:rate-limit"

    @hookimpl
    def composio_middlewares(self, config: ClientConfig) -> Sequence[Middleware]:
        key = self.key(config.api_key)
        with self._lock:
            local = self._locals.setdefault(key, LocalBucket(self.rate, self.burst))
        return [RedisRateLimitMiddleware(self.link, key, self.rate, self.burst, local)]

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter({self.link.where!r}, rate={self.rate:g}, burst={self.burst:g}, "
            f"key_prefix={self.key_prefix!r})"
        )


class _FromEnv:
    """The entry point: the budget when ``COMPOSIO_REDIS_URL`` is set, the limiter when
    ``COMPOSIO_REDIS_RATE`` is set too; nothing otherwise. Read at each client build; one
    pair of objects per distinct setting."""

    composio_plugin_name = "composio-redis"

    def __init__(self) -> None:
        self._made: dict[tuple[str, ...], tuple[RedisRetryBudget, RedisRateLimiter | None]] = {}
        self._lock = threading.Lock()

    def _plugins(self) -> tuple[RedisRetryBudget, RedisRateLimiter | None] | None:
        url = os.environ.get(URL_ENV, "").strip()
        if not url:
            return None
        rate = os.environ.get(RATE_ENV, "").strip()
        burst = os.environ.get(BURST_ENV, "").strip()
        prefix = os.environ.get(KEY_PREFIX_ENV, "").strip() or DEFAULT_PREFIX
        setting = (url, rate, burst, prefix)
        with self._lock:
            made = self._made.get(setting)
            if made is None:
                limiter = None
                if rate:
                    limiter = RedisRateLimiter(
                        url,
                        rate=_number(rate, RATE_ENV),
                        burst=_number(burst, BURST_ENV) if burst else None,
                        key_prefix=prefix,
                    )
                made = self._made[setting] = (RedisRetryBudget(url, key_prefix=prefix), limiter)
        return made

    @hookimpl
    def composio_retry_budget(self, config: ClientConfig, budget: Any) -> Any:
        made = self._plugins()
        return None if made is None else made[0].composio_retry_budget(config, budget)

    @hookimpl
    def composio_middlewares(self, config: ClientConfig) -> Sequence[Middleware]:
        made = self._plugins()
        if made is None or made[1] is None:
            return []
        return made[1].composio_middlewares(config)


def _number(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"{name}={raw!r:.20} is not a number.") from None


#: What the entry point registers (as ``composio-redis``).
from_env = _FromEnv()
