"""Which asyncio HTTP library the async transport is built on (SPEC §13: choose by measurement).

``python -m tests.benchmarks.async_transports``: bare ``aiohttp`` vs bare ``httpx`` against
``LocalServer`` in another process, CPU of the event loop's thread per call:

* sequential ``await get(url).json()`` on one loop, keep-alive (the per-call floor);
* 200 calls gathered at once with a 100-connection pool (CPU per call, sockets opened, and the
  p99 lag of a 1 ms ticker running on the same loop: how long the loop was unavailable).

No SDK code is involved: this decides the library, the SDK figures are in ``figures_async``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.benchmarks._server import ServerProcess

__all__ = ["LagProbe", "main", "measure_library"]

US = 1e6


class LagProbe:
    """A task that asks to wake every ``interval`` s and records how late each wake-up was."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def p99(self) -> float:
        if len(self.lags) < 2:
            return max(self.lags, default=0.0)
        return statistics.quantiles(self.lags, n=100)[98]


def _sockets() -> int:
    n = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
        except OSError:
            continue
    return n


async def _cpu_per_call(fn: Callable[[], Awaitable[object]], n: int) -> float:
    start = time.thread_time()
    for _ in range(n):
        await fn()
    return (time.thread_time() - start) / n


async def _gathered(fn: Callable[[], Awaitable[object]], n: int) -> tuple[float, float, int]:
    """(CPU per call, p99 loop lag, max sockets seen) for ``n`` calls gathered at once."""
    probe = LagProbe()
    probe.start()
    peak = [0]

    async def one() -> object:
        result = await fn()
        peak[0] = max(peak[0], _sockets()) if len(probe.lags) % 16 == 0 else peak[0]
        return result

    start = time.thread_time()
    await asyncio.gather(*(one() for _ in range(n)))
    cpu = (time.thread_time() - start) / n
    await probe.stop()
    return cpu, probe.p99(), max(peak[0], _sockets())


async def measure_library(
    name: str, url: str, headers: dict[str, str], rounds: int, per_round: int, fan: int
) -> dict[str, float]:
    """One library's figures (medians over rounds)."""
    client: Any
    if name == "aiohttp":
        import aiohttp

        client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

        async def call() -> object:
            async with client.get(url, headers=headers) as r:
                return await r.json()

        close: Callable[[], Awaitable[None]] = client.close
    else:
        import httpx

        client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)
        )

        async def call() -> object:
            return (await client.get(url, headers=headers)).json()

        close = client.aclose
    try:
        for _ in range(5):
            await call()
        seq = [await _cpu_per_call(call, per_round) for _ in range(rounds)]
        sockets0 = _sockets()
        fans = [await _gathered(call, fan) for _ in range(max(1, rounds // 4))]
    finally:
        await close()
    return {
        "seq_cpu_us": statistics.median(seq) * US,
        "gather_cpu_us": statistics.median(f[0] for f in fans) * US,
        "gather_p99_lag_ms": statistics.median(f[1] for f in fans) * 1e3,
        "gather_sockets": max(f[2] for f in fans) - sockets0,
    }


def main(rounds: int = 12, per_round: int = 200, fan: int = 200) -> dict[str, dict[str, float]]:
    with ServerProcess() as server:
        url = server.url + "/api/v3/tools"
        headers = {"x-api-key": server.api_key}
        out: dict[str, dict[str, float]] = {}
        # Alternate the libraries so both see the same machine noise.
        for lib in ("aiohttp", "httpx", "aiohttp", "httpx"):
            got = asyncio.run(measure_library(lib, url, headers, rounds // 2, per_round, fan))
            prev = out.get(lib)
            out[lib] = got if prev is None else {k: min(prev[k], got[k]) for k in got}
    for lib, figures in out.items():
        print(
            f"{lib:8s} sequential {figures['seq_cpu_us']:7.1f} µs CPU/call | "
            f"{fan} gathered: {figures['gather_cpu_us']:7.1f} µs CPU/call, "
            f"p99 loop lag {figures['gather_p99_lag_ms']:6.2f} ms, "
            f"+{figures['gather_sockets']:.0f} sockets"
        )
    return out


if __name__ == "__main__":
    main()
