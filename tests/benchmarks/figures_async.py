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

    async def sdk_read_items() -> object:
        return (await session.tools.list()).items  # the models built, as a reader pays

    variants: dict[str, AsyncVariant] = {
        "sdk": session.tools.list,
        "sdk_read_items": sdk_read_items,
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
            f"(the SDK checks every item; its Tool models are built on first read, next "
            f"row); per-round ratios' IQR {iqr}",
            raw,
        )
    ]
    r_read = ratio_of_medians(samples, "sdk_read_items", "aiohttp")
    rows.append(
        Figure(
            "  same tools.list, then reading .items (20 Tool models built), vs bare aiohttp",
            f"{r_read:.2f}x",
            "—",
            None,
            f"building the models on first read: "
            f"{(med['sdk_read_items'] - med['sdk']) * US:.1f} µs per page",
            raw,
        )
    )
    r_req = ratio_of_medians(samples, "sdk_request", "aiohttp")
    rows.append(
        Figure(
            "  await session.request('GET', path).json() (no models) vs bare aiohttp",
            f"{r_req:.2f}x",
            "—",
            None,
            f"the chain and transport alone: {med['sdk_request'] * US:.1f} µs; the rest of "
            "tools.list is the page, its checks and objects "
            f"({(med['sdk'] - med['sdk_request']) * US:.0f} µs)",
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


async def _gather_once(
    call: Callable[[int], Awaitable[bool]], n: int, count: Callable[[], int]
) -> tuple[float, float, int, int]:
    """(wall s, p99 loop lag s, peak extra sockets, mismatches) for ``n`` calls gathered."""
    base = count()
    peak = [0]
    stop = asyncio.Event()
    probe = LagProbe()

    async def count_sockets() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], count() - base)
            await asyncio.sleep(0.005)

    counter = asyncio.ensure_future(count_sockets())
    probe.start()
    started = time.perf_counter()
    ok = await asyncio.gather(*(call(i) for i in range(n)))
    wall = time.perf_counter() - started
    await probe.stop()
    stop.set()
    await counter
    return wall, probe.p99(), peak[0], ok.count(False)


async def _gathered(server: ServerProcess, n: int, rounds: int) -> list[Figure]:
    """``n`` sessions, one call each, all awaited at once, vs bare aiohttp gathering the same
    ``n`` calls (the same headers) through a ``TCPConnector`` of the SDK's pool size; the two
    alternate in rounds and the lag and wall ratios are taken per round (SPEC §13 as amended).

    Tracking off so that the sockets counted are the pool's alone (the telemetry thread has
    its own connection).
    """
    import aiohttp

    client = AsyncComposio(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    pool = client._runtime.transport.pool_maxsize
    sessions = [
        client.create_session(headers={"x-user-id": f"user-{i}", "x-tenant-id": f"t-{i % 7}"})
        for i in range(n)
    ]
    echoed = (await sessions[0].request("GET", "/echo")).json()["headers"]
    same = {k: v for k, v in echoed.items() if k not in ("host", "content-length")}
    bare_headers = [
        {**same, "x-user-id": f"user-{i}", "x-tenant-id": f"t-{i % 7}"} for i in range(n)
    ]
    url = server.url + "/echo"
    bare = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=pool), cookie_jar=aiohttp.DummyCookieJar()
    )

    def matches(seen: dict[str, str], i: int) -> bool:
        return seen.get("x-user-id") == f"user-{i}" and seen.get("x-tenant-id") == f"t-{i % 7}"

    async def sdk_one(i: int) -> bool:
        return matches((await sessions[i].request("GET", "/echo")).json()["headers"], i)

    async def bare_one(i: int) -> bool:
        async with bare.get(url, headers=bare_headers[i]) as r:
            return matches((await r.json())["headers"], i)

    sides = {"sdk": sdk_one, "bare": bare_one}
    got: dict[str, list[tuple[float, float, int, int]]] = {"sdk": [], "bare": []}
    cpu: list[float] = []
    try:
        await bare_one(0)
        for r in range(rounds):
            for name in ("sdk", "bare") if r % 2 == 0 else ("bare", "sdk"):
                t0 = time.thread_time()
                got[name].append(await _gather_once(sides[name], n, _sockets))
                if name == "sdk":
                    cpu.append((time.thread_time() - t0) / n)
    finally:
        await bare.close()
        await client.close()
    sdk, base = got["sdk"], got["bare"]
    lag_ratio = median([a[1] / max(b[1], 1e-6) for a, b in zip(sdk, base, strict=True)])
    wall_ratio = median([a[0] / b[0] for a, b in zip(sdk, base, strict=True)])
    crosstalk = sum(a[3] for a in sdk)
    peak = max(a[2] for a in sdk)
    raw = {
        "gather_crosstalk": crosstalk,
        "gather_sockets": peak,
        "gather_p99_lag_ms": median([a[1] for a in sdk]) * 1e3,
        "gather_bare_p99_lag_ms": median([b[1] for b in base]) * 1e3,
        "gather_lag_ratio": lag_ratio,
        "gather_wall_ratio": wall_ratio,
    }
    return [
        Figure(
            f"{n:,} sessions gathered at once: cross-talk / sockets",
            f"{crosstalk} / {peak}",
            f"0 / ≤ {pool} (pool)",
            crosstalk == 0 and peak <= pool,
            f"{rounds} rounds; {median(cpu) * US:.0f} µs loop CPU per call in the gather",
            raw,
        ),
        Figure(
            f"{n:,} gathered: p99 loop lag / wall vs bare aiohttp (connector limit={pool})",
            f"{lag_ratio:.2f}x / {wall_ratio:.2f}x",
            "≤ 1.10x / ≤ 1.10x",
            lag_ratio <= 1.1 and wall_ratio <= 1.1,
            f"SDK p99 lag {raw['gather_p99_lag_ms']:.1f} ms, wall "
            f"{median([a[0] for a in sdk]) * 1e3:.0f} ms; bare aiohttp p99 lag "
            f"{raw['gather_bare_p99_lag_ms']:.1f} ms, wall "
            f"{median([b[0] for b in base]) * 1e3:.0f} ms (medians; ratios paired per round; "
            "lag = lateness of a 1 ms ticker on the same loop)",
            raw,
        ),
    ]


def async_figures(server: ServerProcess, scale: Scale) -> list[Figure]:
    async def run() -> list[Figure]:
        rows = await _cpu_figures(server, scale)
        rows += await _gathered(server, scale.gather_n, scale.gather_rounds)
        return rows

    return asyncio.run(run())
