"""The figures of SPEC §13 for ``AsyncComposio`` (``tox -e bench``, beside the sync ones).

* CPU per ``await session.tools.list()`` on one loop, vs the vendor's
  ``composio_client.AsyncComposio().tools.list()`` and vs bare aiohttp
  ``session.get(url, headers=same)`` + ``.json()`` (the chosen library's own floor);
* 1,000 sessions gathered at once: zero cross-talk (each answer echoes exactly its session's
  headers), at most pool-size sockets, p99 event-loop lag.

CPU is the loop thread's (``time.thread_time``); variants alternate in rounds as in the sync
figures, and the server runs in another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from composio import AsyncComposio
from tests.benchmarks._measure import median, ratio_of_medians, spread
from tests.benchmarks._server import ServerProcess
from tests.benchmarks.async_transports import LagProbe, _sockets
from tests.benchmarks.figures import SEED_HEADERS, US, Figure, Scale

__all__ = ["async_figures"]

AsyncVariant = Callable[[], Awaitable[object]]


async def _cpu_per_call(fn: AsyncVariant, n: int) -> float:
    clock = time.thread_time
    start = clock()
    for _ in range(n):
        await fn()
    return (clock() - start) / n


async def _interleaved(
    variants: dict[str, AsyncVariant], rounds: int, per_round: int, warmup: int = 3
) -> dict[str, list[float]]:
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            await variants[name]()
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out[name].append(await _cpu_per_call(variants[name], per_round))
    return out


def _vendor_async(url: str, api_key: str) -> Any:
    """The vendor's async client, its v3.1 paths mapped onto the local server's v3 ones."""
    import composio_client
    import httpx

    async def rewrite(request: httpx.Request) -> None:
        path = request.url.raw_path
        if path.startswith(b"/api/v3.1/"):
            request.url = request.url.copy_with(raw_path=b"/api/v3/" + path[len(b"/api/v3.1/") :])

    http = httpx.AsyncClient(event_hooks={"request": [rewrite]})
    return composio_client.AsyncComposio(api_key=api_key, base_url=url, http_client=http)


async def _cpu_figures(server: ServerProcess, scale: Scale) -> list[Figure]:
    import aiohttp

    client = AsyncComposio(api_key=server.api_key, base_url=server.url)
    session = client.create_session(headers=SEED_HEADERS)
    echoed = (await session.request("GET", "/echo")).json()["headers"]
    same = {k: v for k, v in echoed.items() if k not in ("host", "content-length", "connection")}
    url = server.url + "/api/v3/tools"
    bare = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    try:
        vendor: Any = _vendor_async(server.url, server.api_key)
    except ImportError:
        vendor = None

    async def bare_get() -> object:
        async with bare.get(url, headers=same) as r:
            return await r.json()

    async def sdk_request() -> object:
        return (await session.request("GET", "/api/v3/tools")).json()

    variants: dict[str, AsyncVariant] = {
        "sdk": session.tools.list,
        "sdk_request": sdk_request,
        "aiohttp": bare_get,
    }
    if vendor is not None:
        variants["vendor"] = vendor.tools.list
        assert len((await vendor.tools.list()).items) == len((await session.tools.list()).items)
    try:
        samples = await _interleaved(variants, scale.http_rounds, scale.http_per_round)
    finally:
        await bare.close()
        if vendor is not None:
            await vendor.close()
        await client.close()
    med = {k: median(v) for k, v in samples.items()}
    r_bare = ratio_of_medians(samples, "sdk", "aiohttp")
    iqr = "{:.2f}-{:.2f}".format(*spread(samples, "sdk", "aiohttp"))
    raw = {f"async_{k}_us": v * US for k, v in med.items()}
    rows = [
        Figure(
            "await session.tools.list() vs bare aiohttp get(url, headers=same).json()",
            f"{r_bare:.2f}x",
            "≤ 1.00x",
            r_bare <= 1.0,
            f"SDK {med['sdk'] * US:.1f} µs, aiohttp {med['aiohttp'] * US:.1f} µs CPU per call "
            f"(the SDK parses Tool models too); per-round ratios' IQR {iqr}",
            raw,
        )
    ]
    r_req = ratio_of_medians(samples, "sdk_request", "aiohttp")
    rows.append(
        Figure(
            "  await session.request('GET', path).json() (no models) vs bare aiohttp",
            f"{r_req:.2f}x",
            "—",
            None,
            f"the chain and transport alone: {med['sdk_request'] * US:.1f} µs; the rest of "
            f"tools.list is the 20 Tool models ({(med['sdk'] - med['sdk_request']) * US:.0f} µs)",
            raw,
        )
    )
    name = "await session.tools.list() vs composio-client AsyncComposio().tools.list()"
    if vendor is None:
        rows.append(Figure(name, "n/a", "≤ 0.50x", None, "composio-client not installed", raw))
    else:
        r_vendor = ratio_of_medians(samples, "sdk", "vendor")
        rows.append(
            Figure(
                name,
                f"{r_vendor:.2f}x",
                "≤ 0.50x",
                r_vendor <= 0.5,
                f"vendor {med['vendor'] * US:.1f} µs CPU per call (httpx)",
                raw,
            )
        )
    return rows


async def _gathered(server: ServerProcess, n: int) -> Figure:
    """``n`` sessions, one call each, all awaited at once; tracking off so that the sockets
    counted are the pool's alone (the telemetry thread has its own connection)."""
    client = AsyncComposio(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    pool = client._runtime.transport.pool_maxsize
    sessions = [
        client.create_session(headers={"x-user-id": f"user-{i}", "x-tenant-id": f"t-{i % 7}"})
        for i in range(n)
    ]
    await sessions[0].request("GET", "/echo")  # the pool exists; its first socket is open
    base = _sockets() - 1
    peak = [0]
    probe = LagProbe()
    stop = asyncio.Event()

    async def count_sockets() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _sockets() - base)
            await asyncio.sleep(0.005)

    async def one(i: int) -> bool:
        seen = (await sessions[i].request("GET", "/echo")).json()["headers"]
        return seen.get("x-user-id") == f"user-{i}" and seen.get("x-tenant-id") == f"t-{i % 7}"

    counter = asyncio.ensure_future(count_sockets())
    probe.start()
    started = time.thread_time()
    ok = await asyncio.gather(*(one(i) for i in range(n)))
    cpu = (time.thread_time() - started) / n
    await probe.stop()
    stop.set()
    await counter
    await client.close()
    crosstalk = ok.count(False)
    p99 = probe.p99()
    passed = crosstalk == 0 and peak[0] <= pool and p99 <= 0.005
    return Figure(
        f"{n:,} sessions gathered at once: cross-talk / sockets / p99 loop lag",
        f"{crosstalk} / {peak[0]} / {p99 * 1e3:.1f} ms",
        f"0 / ≤ {pool} (pool) / ≤ 5 ms",
        passed,
        f"{cpu * US:.0f} µs CPU per call in the gather; lag = lateness of a 1 ms ticker on the "
        f"same loop ({len(probe.lags)} wake-ups, max {max(probe.lags, default=0) * 1e3:.1f} ms)",
        {"gather_crosstalk": crosstalk, "gather_sockets": peak[0], "gather_p99_lag_ms": p99 * 1e3},
    )


def async_figures(server: ServerProcess, scale: Scale) -> list[Figure]:
    async def run() -> list[Figure]:
        rows = await _cpu_figures(server, scale)
        n = 1000 if scale.http_rounds > 4 else 50
        rows.append(await _gathered(server, n))
        return rows

    return asyncio.run(run())
