"""What building a page costs (issue 21): ``tools.list`` minus ``request().json()``, in memory.

``python -m tests.benchmarks.page_cost``: both clients answer from memory (an innermost
middleware returns the 20-tool page ``LocalServer`` serves), so the difference between the two
calls is the page and its models -- the body is parsed once either way. CPU of this thread,
best of interleaved rounds. Not part of ``tox -e bench``' table: it is the figure the page
and model code is tuned by (docs/design-decisions.md, "Page and model cost").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import requests

from composio import AsyncComposio, Composio, Request, Response
from composio.testing import LocalServer
from tests.benchmarks.figures import _NoopTelemetryTransport, _ShortCircuit

US = 1e6


class _BothShortCircuit(_ShortCircuit):
    """:class:`_ShortCircuit` for ``AsyncComposio`` too."""

    async def acall(self, request: Request, call_next: Any) -> Response:
        return self(request, call_next)


def _body() -> bytes:
    with LocalServer(record=False) as server:
        r = requests.get(server.url + "/api/v3/tools", headers={"x-api-key": server.api_key})
        r.raise_for_status()
        return r.content


def _client(cls: Any, body: bytes) -> Any:
    return cls(
        api_key="bench-key",
        base_url="https://api.bench.invalid",
        allow_tracking=False,
        telemetry_transport=_NoopTelemetryTransport(),
        middlewares=[_BothShortCircuit(body)],
    )


def _best(fn: Callable[[], object], n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, (time.thread_time() - start) / n)
    return best


async def _abest(fn: Callable[[], Awaitable[object]], n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(n):
            await fn()
        best = min(best, (time.thread_time() - start) / n)
    return best


def _report(name: str, raw: float, page: float) -> None:
    print(
        f"{name}: request().json() {raw * US:.1f} µs, tools.list {page * US:.1f} µs, "
        f"the page and its models {(page - raw) * US:.1f} µs"
    )


def main(n: int = 1000, rounds: int = 5, repeats: int = 3) -> None:
    body = _body()
    c = _client(Composio, body)
    raw, page = (lambda: c.request("GET", "/api/v3/tools").json()), c.tools.list
    _best(raw, n, 1), _best(page, n, 1)  # warm-up
    r = min(_best(raw, n, rounds) for _ in range(repeats))
    p = min(_best(page, n, rounds) for _ in range(repeats))
    _report("sync", r, p)

    async def run_async() -> None:
        ac = _client(AsyncComposio, body)

        async def araw() -> object:
            return (await ac.request("GET", "/api/v3/tools")).json()

        try:
            await _abest(araw, n, 1), await _abest(ac.tools.list, n, 1)
            r = min([await _abest(araw, n, rounds) for _ in range(repeats)])
            p = min([await _abest(ac.tools.list, n, rounds) for _ in range(repeats)])
        finally:
            await ac.close()
        _report("async", r, p)

    asyncio.run(run_async())


if __name__ == "__main__":
    main()
