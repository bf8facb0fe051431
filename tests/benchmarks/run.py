"""Entry point: run every figure once, print the table, write ``docs/benchmarks.md``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from tests.benchmarks import figures as F
from tests.benchmarks._report import REPO, load_average, machine_facts, markdown, table
from tests.benchmarks._server import ServerProcess

__all__ = ["main", "run"]

DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
#: Settings of the developer's shell that would change what is measured.
_CLEARED_ENV = (
    "COMPOSIO_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
    "COMPOSIO_API_KEY",
    "COMPOSIO_BASE_URL",
    "OTEL_SDK_DISABLED",
    "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
)


#: ``--only`` groups: a quicker loop while working on one part (a full run is the record).
GROUPS = ("sync", "threads", "telemetry", "async", "sessions", "import")


def run(scale: F.Scale, log: bool = True, only: Sequence[str] = GROUPS) -> list[F.Figure]:
    """Measure every figure (or the ``only`` groups); one server process for the whole run."""
    for name in _CLEARED_ENV:
        os.environ.pop(name, None)
    results: list[F.Figure] = []

    last = [time.monotonic()]

    def step(label: str) -> None:
        now = time.monotonic()
        if log:
            print(f"… {label} (previous step: {now - last[0]:.1f} s)", flush=True)
        last[0] = now

    with ServerProcess() as server:
        # The default telemetry transport posts here rather than to the internet.
        os.environ["COMPOSIO_TELEMETRY_URL"] = server.url + "/v1/metrics/invocations"
        if "sync" in only:
            step("tools.list vs requests / vendor client, SDK-added CPU")
            results += F.http_figures(server, scale)
        if "threads" in only:
            step("16 threads")
            results += F.threads_figure(server, scale)
        if "telemetry" in only:
            step("telemetry on the caller's path")
            results += F.telemetry_figure(server, scale)
            step("tracing per attempt")
            results += F.tracing_figure(server, scale)
        if "async" in only:
            step("async client (SPEC §13)")
            results += _async_figures(server, scale)
    if "sessions" in only:
        step("create_session")
        results += F.create_session_figures(scale)
    if "import" in only:
        step("import time")
        results += F.import_figure(scale)
    step("done")
    return results


def _async_figures(server: ServerProcess, scale: F.Scale) -> list[F.Figure]:
    try:
        from tests.benchmarks.figures_async import async_figures
    except ImportError:  # aiohttp is the async extra
        return [F.Figure("AsyncComposio figures", "n/a", "—", None, "aiohttp not installed")]
    return async_figures(server, scale)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tiny iteration counts (smoke test; no page)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the markdown page (default: {DEFAULT_OUTPUT} for a full run)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="measure only these groups (repeatable); the page is written by full runs only",
    )
    args = parser.parse_args(argv)
    scale = F.QUICK if args.quick else F.FULL
    partial = args.only is not None
    default = None if args.quick or partial else DEFAULT_OUTPUT
    output = args.output if args.output is not None else default

    load = load_average()
    started = time.monotonic()
    results = run(scale, log=not args.quick, only=args.only or GROUPS)
    seconds = time.monotonic() - started
    print(table(results))
    missed = [f.name for f in results if f.passed is False]
    print(f"\n{len(results) - len(missed)} of {len(results)} rows PASS/info; {seconds:.0f} s")
    if output is not None:
        output.write_text(markdown(results, machine_facts(load), seconds), encoding="utf-8")
        print(f"wrote {output}")
    # A MISS is a finding to report, not a crash: the exit status stays 0.
    return 0
