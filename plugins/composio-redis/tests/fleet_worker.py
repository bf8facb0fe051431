"""One worker process of a test fleet: makes calls, reports each one, then a summary.

Run as ``python fleet_worker.py '<json config>'``. Config: ``api`` (base URL), ``api_key``,
``client`` (``sync``/``async``), ``calls`` (how many; with ``until`` a maximum), ``until`` (a
file whose existence ends the run), ``redis`` (URL or null), ``budget`` / ``limiter`` (the
keyword arguments of ``RedisRetryBudget`` / ``RedisRateLimiter``, or null), ``env`` (``true``:
register through the entry point from ``COMPOSIO_REDIS_URL`` instead), ``max_retries``,
``timeout``. Prints ``ok <monotonic time>`` or ``err <class>`` per call, then ``RESULT
<json>`` with the counts and the ``composio.redis`` log lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from typing import Any


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelname, record.getMessage()))


def plugins(cfg: dict[str, Any]) -> list[object]:
    if cfg.get("env") or not cfg.get("redis"):
        return []
    from composio_redis import RedisRateLimiter, RedisRetryBudget

    out: list[object] = []
    if cfg.get("budget") is not None:
        out.append(RedisRetryBudget(cfg["redis"], **cfg["budget"]))
    if cfg.get("limiter") is not None:
        out.append(RedisRateLimiter(cfg["redis"], **cfg["limiter"]))
    return out


def done(cfg: dict[str, Any], n: int) -> bool:
    until = cfg.get("until")
    return n >= cfg["calls"] or (until is not None and os.path.exists(until))


def tally(counts: dict[str, int], outcome: str) -> None:
    """Count one call's outcome and print it (``ok <monotonic time>`` or ``err <class>``)."""
    counts[outcome] = counts.get(outcome, 0) + 1
    print(f"ok {time.monotonic():.6f}" if outcome == "ok" else f"err {outcome}", flush=True)


def run_sync(cfg: dict[str, Any], counts: dict[str, int]) -> None:
    from composio import Composio, ComposioError

    with Composio(
        api_key=cfg["api_key"],
        base_url=cfg["api"],
        max_retries=cfg.get("max_retries", 2),
        timeout=cfg.get("timeout", 30),
        plugins=plugins(cfg),
    ) as client:
        n = 0
        while not done(cfg, n):
            n += 1
            try:
                client.tools.list()
            except ComposioError as exc:
                tally(counts, type(exc).__name__)
            else:
                tally(counts, "ok")


async def run_async(cfg: dict[str, Any], counts: dict[str, int]) -> None:
    from composio import AsyncComposio, ComposioError

    async with AsyncComposio(
        api_key=cfg["api_key"],
        base_url=cfg["api"],
        max_retries=cfg.get("max_retries", 2),
        timeout=cfg.get("timeout", 30),
        plugins=plugins(cfg),
    ) as client:
        n = 0
        while not done(cfg, n):
            n += 1
            try:
                await client.tools.list()
            except ComposioError as exc:
                tally(counts, type(exc).__name__)
            else:
                tally(counts, "ok")


def main() -> None:
    cfg = json.loads(sys.argv[1])
    handler = Collect()
    log = logging.getLogger("composio.redis")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    counts: dict[str, int] = {}
    if cfg["client"] == "async":
        asyncio.run(run_async(cfg, counts))
    else:
        run_sync(cfg, counts)
    print("RESULT " + json.dumps({"counts": counts, "log": handler.lines}), flush=True)


if __name__ == "__main__":
    main()
