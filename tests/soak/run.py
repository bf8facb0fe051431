"""Endurance soak (SPEC §19): both clients at full loopback speed, faults injected, resources
sampled; bounded, loopback only, stops by itself.

``python -m tests.soak --minutes 10`` (``tox -e soak``); ``.ci/run`` runs ``--minutes 1``.

* The API is ``LocalServer`` in a child process, so the samples are this process's alone. A
  thread there keeps queueing faults (``fail_next``) on the routes the clients call: TCP
  resets before and in the middle of a body, 503s (retried), bodies trickled a byte at a
  time, slow headers, redirects (some chains longer than §8 allows).
* Here: ``THREADS`` threads of one ``Composio`` (a session each) and ``SESSIONS`` tasks of one
  ``AsyncComposio`` on a loop in its own thread (a session each), every one looping over mixed
  operations until the time is up.
* Every few seconds: RSS, open fds, threads, and the loop's tasks. After the warm-up (the
  first fifth), the median of the last third of the samples must be within 5% (plus a small
  absolute allowance for small counts) of the median of the first third.
* Every call either returns or raises a documented :class:`~composio.ComposioError`, and none
  outlives its total deadline by more than ``HANG_SLACK`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from composio import AsyncComposio, Composio, ComposioError, Timeout

__all__ = ["Report", "growth_of", "main", "not_flat", "soak"]

THREADS = 16
SESSIONS = 1000
#: a call's total deadline, and how far past it a call may end before it counts as hung
#: (scheduling on a loaded 2-core machine; a hang is a call that never ends)
TOTAL = 6.0
HANG_SLACK = 3.0
#: sync: connect and read bounded too; async: 1,000 sessions share a 32-connection pool, so
#: the wait for a slot (bounded by ``connect`` when set, SPEC §13) is left to the total
SYNC_TIMEOUT = Timeout(connect=1.0, read=2.0, total=TOTAL)
ASYNC_TIMEOUT = Timeout(connect=None, read=2.0, total=TOTAL)
#: allowed growth of the last third over the first third of the post-warm-up samples
GROWTH = 0.05
#: RSS's 4 MB: the allocator's steps (a new arena taken at once: 1.7 MB at 121 s of a 3-minute
#: run, 4.4 MB inside a 1-minute one) while Python's own traced memory stays flat; a leak
#: still fails the 10-minute run, where 5% and 4 MB are far less than it would grow
ABS_SLACK = {"rss_mb": 4.0, "fds": 6.0, "threads": 2.0, "tasks": 10.0}

_CHILD = """
import json, random, sys, threading, time
from composio.testing import Fault, LocalServer
server = LocalServer(record=False).start()
rng = random.Random(21)
stop = threading.Event()
PATHS = ("/api/v3/tools", "/echo", "/api/v3/toolkits")
SMALL = {"items": [], "next_cursor": None, "headers": {}}
def faults():
    kinds = [
        lambda p: Fault(action="reset"),
        lambda p: Fault(action="reset_mid_body", status=200, body=SMALL),
        lambda p: Fault(status=503),
        lambda p: Fault(action="trickle", status=200, body=SMALL, interval=0.002),
        lambda p: Fault(status=200, body=SMALL, delay=0.05),
        lambda p: Fault(status=307, headers={"Location": p}),
    ]
    while not stop.wait(0.01):
        path = rng.choice(PATHS)
        server.fail_next(path, [rng.choice(kinds)(path)])
        # every few seconds, a redirect chain longer than the SDK follows
        if rng.random() < 0.01:
            server.fail_next(path, [Fault(status=302, headers={"Location": path})] * 7)
threading.Thread(target=faults, daemon=True).start()
print(json.dumps({"url": server.url, "api_key": server.api_key}), flush=True)
sys.stdin.read()
stop.set()
server.stop()
"""


@dataclass
class Tally:
    """What the calls did; one per client, updated under its lock."""

    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)  #: documented, by class
    undocumented: list[str] = field(default_factory=list)
    hung: list[float] = field(default_factory=list)  #: durations past TOTAL + HANG_SLACK
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float, error: BaseException | None) -> None:
        took = time.monotonic() - started
        with self.lock:
            if error is None:
                self.ok += 1
            elif isinstance(error, ComposioError):
                self.errors[type(error).__name__] += 1
            elif len(self.undocumented) < 20:
                self.undocumented.append(f"{type(error).__name__}: {str(error)[:200]}")
            if took > TOTAL + HANG_SLACK:
                self.hung.append(took)


@dataclass
class Report:
    seconds: float
    samples: list[dict[str, float]]
    sync: Tally
    async_: Tally
    growth: dict[str, tuple[float, float]]  #: name -> (first third, last third) medians
    failures: list[str]

    def text(self) -> str:
        lines = [
            f"soak: {self.seconds:.0f} s, {len(self.samples)} samples",
            f"  sync  ({THREADS} threads): {self.sync.ok} ok, errors {dict(self.sync.errors)}",
            f"  async ({SESSIONS} sessions): {self.async_.ok} ok, "
            f"errors {dict(self.async_.errors)}",
        ]
        for name, (first, last) in self.growth.items():
            lines.append(f"  {name}: {first:.1f} -> {last:.1f} (after warm-up)")
        lines += [f"FAIL: {f}" for f in self.failures] or ["PASS"]
        return "\n".join(lines)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _sync_worker(
    client: Composio, i: int, until: float, tally: Tally, rng: random.Random
) -> Callable[[], None]:
    session = client.create_session(headers={"x-user-id": f"sync-{i}"})
    ops: Sequence[Callable[[], object]] = (
        session.tools.list,
        lambda: session.request("GET", "/echo").json(),
        session.toolkits.list,
        lambda: session.tools.execute("TEXT_UPPERCASE", {"text": "hi"}, user_id=f"u{i}"),
    )

    def run() -> None:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                rng.choice(ops)()
            except BaseException as exc:  # classified, never swallowed silently
                tally.record(started, exc)
            else:
                tally.record(started, None)

    return run


async def _async_side(
    url: str, key: str, until: float, tally: Tally, tasks_seen: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    async with AsyncComposio(api_key=key, base_url=url, timeout=ASYNC_TIMEOUT) as client:

        async def worker(i: int) -> None:
            session = client.create_session(headers={"x-user-id": f"async-{i}"})

            async def echo() -> object:
                return (await session.request("GET", "/echo")).json()

            async def execute() -> object:
                return await session.tools.execute(
                    "TEXT_UPPERCASE", {"text": "hi"}, user_id=f"u{i}"
                )

            ops = (session.tools.list, echo, session.toolkits.list, execute)
            while time.monotonic() < until:
                started = time.monotonic()
                try:
                    await rng.choice(ops)()
                except asyncio.CancelledError:
                    raise
                except BaseException as exc:  # classified
                    tally.record(started, exc)
                else:
                    tally.record(started, None)

        async def count_tasks() -> None:
            while time.monotonic() < until:
                tasks_seen.append(len(asyncio.all_tasks()))
                await asyncio.sleep(0.5)

        await asyncio.gather(count_tasks(), *(worker(i) for i in range(SESSIONS)))


def growth_of(samples: list[dict[str, float]], warmup: float) -> dict[str, tuple[float, float]]:
    steady = [s for s in samples if s["t"] >= warmup]
    third = max(1, len(steady) // 3)
    out = {}
    for name in ABS_SLACK:
        values = [s[name] for s in steady if name in s]
        if len(values) >= 3:
            out[name] = (statistics.median(values[:third]), statistics.median(values[-third:]))
    return out


def not_flat(growth: dict[str, tuple[float, float]]) -> list[str]:
    """What grew by more than ``GROWTH`` (plus its absolute allowance) after the warm-up."""
    return [
        f"{name} grew from {first:.1f} to {last:.1f} after warm-up"
        for name, (first, last) in growth.items()
        if last > first * (1 + GROWTH) + ABS_SLACK[name]
    ]


def soak(seconds: float, every: float = 3.0, check_flat: bool = True) -> Report:
    """Run the soak for ``seconds``; the report says what failed (nothing raised)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    info = json.loads(proc.stdout.readline())
    url, key = info["url"], info["api_key"]
    # telemetry stays on (its thread and queue are part of what must stay flat), to loopback
    os.environ["COMPOSIO_TELEMETRY_URL"] = url + "/v1/metrics/invocations"
    start = time.monotonic()
    until = start + seconds
    sync_tally, async_tally = Tally(), Tally()
    tasks_seen: list[int] = []
    samples: list[dict[str, float]] = []
    client = Composio(api_key=key, base_url=url, timeout=SYNC_TIMEOUT)
    try:
        threads = [
            threading.Thread(
                target=_sync_worker(client, i, until, sync_tally, random.Random(i)),
                name=f"soak-sync-{i}",
            )
            for i in range(THREADS)
        ]
        loop_thread = threading.Thread(
            target=lambda: asyncio.run(
                _async_side(url, key, until, async_tally, tasks_seen, seed=99)
            ),
            name="soak-async",
        )
        for t in [*threads, loop_thread]:
            t.start()
        while time.monotonic() < until:
            time.sleep(min(every, max(0.0, until - time.monotonic())))
            sample = {
                "t": time.monotonic() - start,
                "rss_mb": _rss_mb(),
                "fds": float(_fds()),
                "threads": float(threading.active_count()),
            }
            if tasks_seen:
                sample["tasks"] = float(tasks_seen[-1])
            samples.append(sample)
        # Each worker ends its current call within its deadline, then stops.
        for t in [*threads, loop_thread]:
            t.join(timeout=TOTAL + HANG_SLACK + 30)
        stuck = [t.name for t in [*threads, loop_thread] if t.is_alive()]
    finally:
        client.close()
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
    growth = growth_of(samples, warmup=seconds / 5)
    failures = [f"{name} still running after the end: a hung call" for name in stuck]
    for tally, side in ((sync_tally, "sync"), (async_tally, "async")):
        if tally.undocumented:
            failures.append(f"{side}: undocumented errors {tally.undocumented[:5]}")
        if tally.hung:
            failures.append(f"{side}: {len(tally.hung)} calls outlived their deadline")
        if tally.ok == 0:
            failures.append(f"{side}: no call succeeded")
    if check_flat:
        failures += not_flat(growth)
    return Report(time.monotonic() - start, samples, sync_tally, async_tally, growth, failures)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args(argv)
    report = soak(args.minutes * 60)
    print(report.text())
    return 1 if report.failures else 0
