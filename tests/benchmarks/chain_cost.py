"""The chain's fixed cost per call, in memory (issue 21): no socket, no transport.

    python -m tests.benchmarks.chain_cost [--tracing none|sdk] [--server-id] [--profile NAME]

An innermost ATTEMPT middleware (``order=1_000_000``) answers every call from memory, so what
is measured is the SDK's own CPU around the transport: the resource method, the operation,
the middleware chain (telemetry with a counting transport, auth and header layers, retry,
tracing) and the response's way back. Caller-thread CPU (``time.thread_time``) per call, best
of 15 interleaved rounds of 2,000 calls, for sync and async ``request("GET", ...)`` and
``session.tools.list()`` of an empty page. ``--tracing sdk`` passes a real OpenTelemetry SDK
``TracerProvider`` (no exporter); the default is no SDK at all (the API's no-op tracer).
``--server-id``: answers carry an ``x-request-id`` of their own, which the SDK scrubs.
``--profile NAME`` prints a cProfile of 20,000 calls of one variant instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

from composio import AsyncComposio, Composio
from composio.pipeline import Request, Response, Stage
from tests.benchmarks.figures import _NoopTelemetryTransport

BODY = json.dumps({"items": [], "next_cursor": None}).encode()
CALLS, ROUNDS = 2000, 15


class _Answer:
    """Innermost middleware of both chains: a 200 with ``BODY``, never the transport."""

    name = "bench-answer"
    stage = Stage.ATTEMPT
    order = 1_000_000

    def __init__(self, server_id: bool) -> None:
        self._headers = {"Content-Type": "application/json"}
        if server_id:
            self._headers["x-request-id"] = "bench"

    def _response(self, request: Request) -> Response:
        return Response(request, None, BODY, 0.0, status_code=200, headers=self._headers)

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        return self._response(request)

    async def acall(self, request: Request, call_next: Any) -> Response:
        return self._response(request)


def _clients(tracing: str, server_id: bool) -> tuple[Composio, AsyncComposio]:
    provider = None
    if tracing == "sdk":
        from opentelemetry.sdk.trace import TracerProvider

        provider = TracerProvider()
    kw: dict[str, Any] = {
        "api_key": "bench-key",
        "base_url": "https://api.bench.invalid",
        "telemetry_transport": _NoopTelemetryTransport(),
        "tracer_provider": provider,
        "middlewares": [_Answer(server_id)],
    }
    return Composio(**kw), AsyncComposio(**kw)


async def _main(args: argparse.Namespace) -> None:
    sync, aclient = _clients(args.tracing, args.server_id)
    session, asession = (
        sync.create_session(headers={"x-user-id": "a"}),
        aclient.create_session(headers={"x-user-id": "a"}),
    )
    plain: dict[str, Callable[[], object]] = {
        "sync request": lambda: sync.request("GET", "/api/v3/tools"),
        "sync tools.list": lambda: session.tools.list(),
    }
    awaited: dict[str, Callable[[], Awaitable[object]]] = {
        "async request": lambda: aclient.request("GET", "/api/v3/tools"),
        "async tools.list": lambda: asession.tools.list(),
    }
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20_000):
            if args.profile in awaited:
                await awaited[args.profile]()
            else:
                plain[args.profile]()
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    best = dict.fromkeys([*plain, *awaited], float("inf"))
    for n in range(ROUNDS + 1):  # round 0 warms up
        for name, fn in plain.items():
            t = time.thread_time()
            for _ in range(CALLS):
                fn()
            if n:
                best[name] = min(best[name], (time.thread_time() - t) / CALLS * 1e6)
        for name, afn in awaited.items():
            t = time.thread_time()
            for _ in range(CALLS):
                await afn()
            if n:
                best[name] = min(best[name], (time.thread_time() - t) / CALLS * 1e6)
    sync.close()
    await aclient.close()
    label = f"tracing={args.tracing}" + (" server-id" if args.server_id else "")
    print(label, "  ".join(f"{k}={v:.2f}µs" for k, v in best.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tracing", choices=["none", "sdk"], default="none")
    parser.add_argument("--server-id", action="store_true")
    parser.add_argument("--profile", default=None)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
