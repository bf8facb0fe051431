"""Regressions found by the break2 review of composio-redis, against a real redis-server.

Redis's clock can go back (a failover to a replica whose clock is behind, data restored into a
restarted server): the state it holds may carry times from its future. And a
``redis.asyncio.Redis`` given by hand meets a second event loop as soon as an application runs
two ``asyncio.run``s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
from composio_redis import RedisRateLimiter, RedisRetryBudget
from test_fleet import SENTINEL, TOOLS, evalsha_calls, prepare_stats

from composio import AsyncComposio, Composio, InternalServerError
from composio.testing import Fault, LocalServer
from conftest import RedisServer


@pytest.fixture
def api() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL) as server:
        yield server


def _now(r: redis.Redis) -> int:
    return int(r.time()[0])


async def _acall(client: AsyncComposio) -> None:
    async with client:
        await client.request("GET", "/echo")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_break2_a_bucket_stamped_in_redis_future_refills_from_now(
    redis_server: RedisServer, api: LocalServer, kind: str
) -> None:
    """A bucket written on a clock 300 s ahead of Redis's: the call re-stamps it with Redis's
    now. It kept the future stamp, so it refilled nothing for 300 s and every call of the
    fleet waited longer than the one before, then was refused."""
    r = redis_server.client()
    limiter = RedisRateLimiter(redis_server.url, rate=100, burst=5)
    key = limiter.key(api.api_key)
    r.hset(key, mapping={"tokens": "0", "ts": str(_now(r) + 300)})
    kw = {"api_key": api.api_key, "base_url": api.url, "allow_tracking": False}
    if kind == "sync":
        with Composio(**kw, plugins=[limiter]) as client:
            client.request("GET", "/echo")
    else:
        asyncio.run(_acall(AsyncComposio(**kw, plugins=[limiter])))
    assert float(r.hget(key, "ts")) <= _now(r) + 1  # not the planted future
    assert limiter.link.fail_opens == 0


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_break2_budget_fields_from_redis_future_do_not_count(
    redis_server: RedisServer, api: LocalServer, kind: str
) -> None:
    """1,000 retries recorded at a second 300 s ahead of Redis's clock are outside the
    window: with ``ratio=1`` a call's one retry is granted by its own first attempt. They
    counted until Redis's clock passed them, refusing every retry of the fleet."""
    r = redis_server.client()
    budget = RedisRetryBudget(redis_server.url, ratio=1.0, min_per_second=0)
    r.hset(budget.key(api.api_key), f"{_now(r) + 300}:r", 1000)
    api.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})] * 2)
    kw = {"api_key": api.api_key, "base_url": api.url, "allow_tracking": False, "max_retries": 1}
    with pytest.raises(InternalServerError):
        if kind == "sync":
            with Composio(**kw, plugins=[budget]) as client:
                client.tools.list()
        else:

            async def run() -> None:
                async with AsyncComposio(**kw, plugins=[budget]) as client:
                    await client.tools.list()

            asyncio.run(run())
    assert len(api.requests_to(TOOLS)) == 2  # the first attempt and its granted retry
    assert budget.link.fail_opens == 0


def test_break2_a_given_async_redis_client_serves_a_second_event_loop(
    redis_server: RedisServer, api: LocalServer
) -> None:
    """A ``redis.asyncio.Redis`` passed by hand, used by clients in two ``asyncio.run``s: the
    second loop gets its own connection to the same Redis and the fleet's state is used there
    too (the given client raised ``RuntimeError: Event loop is closed`` out of the call)."""
    r = redis_server.client()
    given = redis.asyncio.Redis(host="127.0.0.1", port=redis_server.port)
    plugins = [RedisRetryBudget(given), RedisRateLimiter(given, rate=1000)]
    prepare_stats(r)
    kw = {"api_key": api.api_key, "base_url": api.url, "allow_tracking": False}
    for _ in range(2):
        asyncio.run(_acall(AsyncComposio(**kw, plugins=plugins)))
    assert len(api.requests_to("/echo")) == 2
    assert plugins[0].link.fail_opens == plugins[1].link.fail_opens == 0
    assert evalsha_calls(r) == 4  # budget and limiter, once per call, on each loop
