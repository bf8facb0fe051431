"""composio-redis against a real redis-server, with fleets of real processes (SPEC §16).

Every fleet test starts worker *processes* (``fleet_worker.py``) against a LocalServer over
loopback; assertions are on counts (requests the server recorded, Redis's own command
statistics), never on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from composio_redis import RedisRateLimiter, RedisRetryBudget, key_digest

from composio import AsyncComposio, Composio, InternalServerError, RateLimitError
from composio.testing import Fault, LocalServer
from conftest import RedisServer, free_port

WORKER = Path(__file__).with_name("fleet_worker.py")
TOOLS = "/api/v3/tools"
#: A planted API key: it must never appear in a Redis key name or value.
SENTINEL = f"sk_SENTINEL_{uuid.uuid4().hex}"
FLEET = ("sync", "async", "sync", "async")


@pytest.fixture
def api() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL) as server:
        yield server


def storm(server: LocalServer) -> None:
    """Every request to tools.list answers 503 (retry-after-ms: 0: retries wait nothing)."""
    server.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})] * 100_000)


class Worker:
    """A worker process whose output lines are collected by a thread as they arrive."""

    def __init__(self, cfg: dict[str, Any], env: dict[str, str] | None = None) -> None:
        # Round trips may take up to 1 s here: on a loaded CI machine a 50 ms timeout would
        # send a worker to its local budget now and then, and the counts below are about
        # sharing (test_slow_redis_fails_open covers the 50 ms default).
        full = dict(os.environ, COMPOSIO_DISABLE_TELEMETRY="1", COMPOSIO_REDIS_TIMEOUT_MS="1000")
        full.pop("COMPOSIO_REDIS_URL", None)
        if not cfg.get("env"):
            full["COMPOSIO_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        full.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("EOF")
            self.changed.notify_all()

    def oks(self) -> int:
        return sum(1 for line in self.lines if line.startswith("ok "))

    def wait_for(self, predicate: Any, timeout: float = 60) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate() or "EOF" in self.lines, timeout)
        assert "EOF" not in self.lines or predicate(), self.stderr()

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""

    def result(self, timeout: float = 120) -> dict[str, Any]:
        self.proc.wait(timeout)
        self._reader.join(timeout)
        assert self.proc.returncode == 0, self.proc.stderr.read() if self.proc.stderr else ""
        last = [line for line in self.lines if line.startswith("RESULT ")]
        assert last, self.lines[-5:]
        out: dict[str, Any] = json.loads(last[0][len("RESULT ") :])
        out["lines"] = self.lines
        return out


def fleet(cfgs: list[dict[str, Any]], env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    workers = [Worker(cfg, env) for cfg in cfgs]
    return [w.result() for w in workers]


def prepare_stats(r: redis.Redis) -> None:
    """Load the scripts (so no NOSCRIPT round trip is counted) and zero the statistics."""
    from composio_redis._scripts import BUDGET, LIMITER

    r.script_load(BUDGET.source)
    r.script_load(LIMITER.source)
    r.config_resetstat()


def evalsha_calls(r: redis.Redis) -> int:
    stats = r.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


def assert_keys_clean(r: redis.Redis) -> list[str]:
    """Every key has a TTL; no key name or value holds the planted API key."""
    keys = sorted(r.scan_iter("*"))
    for key in keys:
        assert r.ttl(key) > 0, f"{key} has no TTL"
        assert SENTINEL not in key
        assert SENTINEL not in json.dumps(r.hgetall(key))
        assert key_digest(SENTINEL) in key
    return keys


def test_storm_fleet_retries_stay_within_ratio_of_first_attempts(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    r = redis_server.client()
    prepare_stats(r)
    per_worker = 50
    base = {"api_key": SENTINEL, "calls": per_worker, "max_retries": 2}
    with LocalServer(api_key=SENTINEL) as shared:
        storm(shared)
        budget = {"ratio": 0.2, "min_per_second": 0}
        results = fleet(
            [dict(base, api=shared.url, client=c, redis=redis_server.url, budget=budget)
             for c in FLEET]
        )  # fmt: skip
        attempts = shared.requests_to(TOOLS)
    with LocalServer(api_key=SENTINEL) as alone:
        storm(alone)
        fleet([dict(base, api=alone.url, client=c) for c in FLEET])
        attempts_alone = alone.requests_to(TOOLS)

    first = sum(1 for a in attempts if a.header("x-retry-count") == "0")
    first_alone = sum(1 for a in attempts_alone if a.header("x-retry-count") == "0")
    with capsys.disabled():
        print(
            f"\n503 storm, {len(FLEET)} processes x {per_worker} calls, max_retries=2: "
            f"with composio-redis {len(attempts)} attempts for {first} first attempts "
            f"({len(attempts) / first:.2f}x); each process on its own {len(attempts_alone)} "
            f"for {first_alone} ({len(attempts_alone) / first_alone:.2f}x)"
        )
    assert first == first_alone == len(FLEET) * per_worker
    assert all(res["counts"] == {"InternalServerError": per_worker} for res in results)
    assert len(attempts) <= 1.2 * first
    # Without it every process has its own floor of 10 retries a second: more than 1.2x.
    assert len(attempts_alone) > 1.2 * first_alone

    # One round trip per attempt: the first attempt counts itself, each retry asks for its
    # token; a call that stopped before max_retries asked once more and was refused.
    per_call = Counter(a.header("x-request-id") for a in attempts)
    expected = sum(n + (1 if n < 3 else 0) for n in per_call.values())
    assert evalsha_calls(r) == expected
    keys = assert_keys_clean(r)
    assert keys == [f"composio:{{{key_digest(SENTINEL)}}}:retry-budget"]


def test_limiter_holds_the_fleet_to_its_rate(
    redis_server: RedisServer, api: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    r = redis_server.client()
    prepare_stats(r)
    rate, burst, per_worker, clients = 20.0, 5.0, 15, ("sync", "async", "sync")
    base = {"api": api.url, "api_key": SENTINEL, "calls": per_worker}
    limiter = {"rate": rate, "burst": burst}
    results = fleet(
        [dict(base, client=c, redis=redis_server.url, limiter=limiter) for c in clients]
    )
    done = sorted(
        float(line.split()[1]) for res in results for line in res["lines"] if line[:3] == "ok "
    )
    total = len(clients) * per_worker
    assert len(done) == total == len(api.requests_to(TOOLS))
    # The bucket lets `burst` through at once and then `rate` per second, whoever asks: the
    # last call cannot complete sooner than (total - burst) / rate after the first. (A slow
    # machine only lengthens it; 0.3 s covers the spread of the calls' own round trips.)
    least = (total - burst) / rate
    span = done[-1] - done[0]
    assert evalsha_calls(r) == total  # one round trip per attempt
    assert assert_keys_clean(r) == [f"composio:{{{key_digest(SENTINEL)}}}:rate-limit"]
    alone = sorted(
        float(line.split()[1])
        for res in fleet([dict(base, client=c) for c in clients])
        for line in res["lines"]
        if line[:3] == "ok "
    )
    with capsys.disabled():
        print(
            f"\nrate limit {rate:g}/s burst {burst:g}, {len(clients)} processes x "
            f"{per_worker} calls: {span:.2f}s from first to last (at least {least:.2f}s "
            f"allowed); without the limiter {alone[-1] - alone[0]:.2f}s"
        )
    assert span >= least - 0.3


def test_redis_killed_and_restarted_loses_no_call_and_sharing_resumes(
    redis_server: RedisServer, api: LocalServer, tmp_path: Path
) -> None:
    """Registered by the entry point from COMPOSIO_REDIS_URL (and COMPOSIO_REDIS_RATE)."""
    until = tmp_path / "stop"
    env = {"COMPOSIO_REDIS_URL": redis_server.url, "COMPOSIO_REDIS_RATE": "100000"}
    cfg = {"api": api.url, "api_key": SENTINEL, "calls": 1_000_000, "until": str(until)}
    workers = [Worker(dict(cfg, client=c, env=True), env) for c in ("sync", "async")]
    budget_key = f"composio:{{{key_digest(SENTINEL)}}}:retry-budget"
    limit_key = f"composio:{{{key_digest(SENTINEL)}}}:rate-limit"
    try:
        for w in workers:
            w.wait_for(lambda w=w: w.oks() >= 20)
        assert redis_server.client().exists(budget_key, limit_key) == 2  # shared state in use
        redis_server.kill()
        marks = [w.oks() for w in workers]
        for w, mark in zip(workers, marks, strict=True):
            w.wait_for(lambda w=w, mark=mark: w.oks() >= mark + 30)  # calls go on, Redis down
        redis_server.start()  # empty: no persistence
        r = redis_server.client()
        for w in workers:
            # Resumed: the new Redis receives this worker's first attempts again (its calls
            # are the events we wait on; Redis is asked again within the probe interval).
            w.wait_for(lambda: r.exists(budget_key, limit_key) == 2, timeout=30)
        resumed = [w.oks() for w in workers]
        for w, mark in zip(workers, resumed, strict=True):
            w.wait_for(lambda w=w, mark=mark: w.oks() >= mark + 20)
    finally:
        until.touch()
    results = [w.result() for w in workers]
    made = sum(res["counts"].get("ok", 0) for res in results)
    assert all(set(res["counts"]) == {"ok"} for res in results)  # no call failed
    assert made == len(api.requests_to(TOOLS))  # and every one reached the server once
    for res in results:
        warnings = [msg for level, msg in res["log"] if level == "WARNING"]
        assert len(warnings) == 2, warnings  # one when the outage began, one when it ended
        assert "is unreachable" in warnings[0] and "answers again" in warnings[1]
        assert SENTINEL not in json.dumps(res["log"])
    assert_keys_clean(redis_server.client())


# -- one process, both clients: fail open, NOSCRIPT, the deadline -------------------------


def call(kind: str, server: LocalServer, plugins: list[object], **kw: Any) -> Any:
    if kind == "sync":
        with Composio(api_key=SENTINEL, base_url=server.url, plugins=plugins, **kw) as c:
            return c.tools.list()

    async def main() -> Any:
        async with AsyncComposio(api_key=SENTINEL, base_url=server.url, plugins=plugins, **kw) as c:
            return await c.tools.list()

    return asyncio.run(main())


BOTH = pytest.mark.parametrize("kind", ["sync", "async"])


@pytest.fixture
def redis_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="composio.redis")
    return caplog


@BOTH
def test_unreachable_redis_fails_open_with_one_warning(
    kind: str, api: LocalServer, redis_log: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:{SENTINEL}@127.0.0.1:{free_port()}/0"  # nothing listens; a password
    budget = RedisRetryBudget(url, key_prefix=f"t{uuid.uuid4().hex}")
    for _ in range(3):
        api.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})] * 2)
        call(kind, api, [budget])  # retried twice under the client's own budget, then 200
    warnings = [r for r in redis_log.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "is unreachable" in warnings[0].getMessage()
    assert SENTINEL not in redis_log.text
    assert budget.link.fail_opens >= 9  # 3 calls x (1 first attempt + 2 retries)


@BOTH
def test_redis_answering_errors_fails_open(
    kind: str, redis_server: RedisServer, api: LocalServer, redis_log: pytest.LogCaptureFixture
) -> None:
    prefix = f"t{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(redis_server.url, rate=1000, key_prefix=prefix)
    redis_server.client().set(limiter.key(SENTINEL), "not a hash", ex=60)  # WRONGTYPE
    call(kind, api, [limiter])
    assert limiter.link.fail_opens == 1
    assert "is error (ResponseError)" in redis_log.text


@BOTH
def test_slow_redis_fails_open(
    kind: str, redis_server: RedisServer, api: LocalServer, redis_log: pytest.LogCaptureFixture
) -> None:
    budget = RedisRetryBudget(redis_server.url, key_prefix=f"t{uuid.uuid4().hex}")
    redis_server.client().execute_command("CLIENT", "PAUSE", "2000", "ALL")
    call(kind, api, [budget])  # the first attempt's round trip times out after 50 ms
    assert budget.link.fail_opens == 1
    assert "is slow (TimeoutError)" in redis_log.text
    redis_server.client().execute_command("CLIENT", "UNPAUSE")


@BOTH
def test_evicted_script_is_reloaded_without_failing_open(
    kind: str, redis_server: RedisServer, api: LocalServer
) -> None:
    r = redis_server.client()
    budget = RedisRetryBudget(redis_server.url, key_prefix=f"t{uuid.uuid4().hex}")
    call(kind, api, [budget])
    r.script_flush()
    r.config_resetstat()
    call(kind, api, [budget])
    stats = r.info("commandstats")
    assert int(stats["cmdstat_script|load"]["calls"]) == 1
    assert budget.link.fail_opens == 0
    assert sum(map(int, r.hgetall(budget.key(SENTINEL)).values())) == 2  # both counted


@BOTH
def test_limiter_raises_rate_limit_error_when_the_wait_passes_the_deadline(
    kind: str, redis_server: RedisServer, api: LocalServer
) -> None:
    limiter = RedisRateLimiter(
        redis_server.url, rate=0.5, burst=1, key_prefix=f"t{uuid.uuid4().hex}"
    )
    call(kind, api, [limiter], timeout=1.0)
    with pytest.raises(RateLimitError) as info:
        call(kind, api, [limiter], timeout=1.0)  # the next token is 2 s away
    assert 1.0 < info.value.retry_after <= 2.0
    assert "not sent" in str(info.value) and SENTINEL not in str(info.value)
    assert len(api.requests_to(TOOLS)) == 1


def test_fail_opens_are_counted_in_opentelemetry(api: LocalServer) -> None:
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    budget = RedisRetryBudget(f"redis://127.0.0.1:{free_port()}/0", key_prefix="otel")
    with pytest.raises(InternalServerError):
        api.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})] * 3)
        call("sync", api, [budget])
    data = reader.get_metrics_data()
    points = [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "composio.redis.fail_open"
        for p in m.data.data_points
    ]
    assert sum(p.value for p in points) == budget.link.fail_opens == 3
    assert {p.attributes["component"] for p in points} == {"retry_budget"}
