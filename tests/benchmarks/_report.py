"""The table on the terminal and the ``docs/benchmarks.md`` page."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from tests.benchmarks.figures import Figure

__all__ = ["load_average", "machine_facts", "markdown", "table"]

REPO = Path(__file__).resolve().parents[2]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts(load_before: str = "") -> dict[str, str]:
    return {
        "load": f"{load_before or '?'} at the start, {load_average()} at the end "
        "(1/5/15-minute load averages: other work on the machine adds noise)",
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(
            f"{d} {_version(d)}"
            for d in ("composio-pipeline", "requests", "urllib3", "composio-client", "httpx")
        ),
        "commit": _commit(),
        "command": "python -m tests.benchmarks" + ("".join(f" {a}" for a in sys.argv[1:])),
    }


#: Figures before and after issue 21's work, from the same command on the same machine (kept
#: here so that every regenerated page still shows where the numbers came from).
HISTORY = [
    "## Issue 21: before and after",
    "",
    "`python -m tests.benchmarks` on the same machine (2 cores shared with several other",
    "sessions, load average 6-10 throughout), main at 1a37194 (before) and branch p3-speed",
    "(after):",
    "",
    "| figure | before | after | target |",
    "|---|---|---|---|",
    "| sync tools.list vs requests get().json() | 0.86x | see above | ≤ 0.65x |",
    "| sync request().json() vs requests | 0.68x | see above | ≤ 0.60x |",
    "| 16 threads throughput vs requests | 1.06x | see above | ≥ 1.40x |",
    "| async tools.list vs bare aiohttp | 1.99x | see above | ≤ 1.00x |",
    "| async request().json() vs bare aiohttp | 1.40x | see above | — |",
    "| 1,000 gathered: lag / wall vs bare aiohttp | 0.20x / 1.26x | see above | ≤ 1.10x |",
    "| tools.list vs composio-client (sync / async) | 0.21x / 0.16x | see above | ≤ 0.50x |",
    "| create_session | 1.3 µs, 373 B | see above | ≤ 2 µs, ≤ 512 B |",
    "| SDK CPU without the network: tools.list / json.loads | 218.8 / 73.6 µs | see above | — |",
    "",
]


def table(figures: Sequence[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    rows += [(f.name, f.value, f.target, f.status) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(figures: Sequence[Figure], facts: dict[str, str], seconds: float) -> str:
    out = [
        "# Benchmarks",
        "",
        "SPEC §9's and §19's performance figures, written by the last full run of the",
        "benchmark. Each figure is a ratio or difference from **one run**: CPU time of the",
        "calling thread per request (`time.thread_time()`), the API server",
        "(`LocalServer(record=False)`) in another process on loopback, the compared variants",
        "interleaved in short rounds, each ratio taken per round (both sides of it in the same",
        "round) and the median taken over rounds. The machine these runs come from is shared",
        "and often loaded (see *Load*): the calling thread's CPU time and per-round pairing are",
        "what keep the ratios steady; the two wall-clock figures (16 threads, 1,000 gathered)",
        "are the noisiest.",
        "",
        "```bash",
        f"{facts['command']}        # or: tox -e bench",
        "```",
        "",
        f"- Date: {facts['date']} (the run took {seconds:.0f} s)",
        f"- Machine: {facts['machine']}",
        f"- Python: {facts['python']}",
        f"- Packages: {facts['packages']}",
        f"- Commit: {facts['commit']}",
        f"- Load: {facts['load']}",
        "",
        "| figure | value | target | result |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {_cell(f.name)} | {_cell(f.value)} | {_cell(f.target)} | **{f.status}** |"
        for f in figures
    ]
    out += ["", "## Notes", ""]
    out += [f"- **{_cell(f.name)}**: {f.note}" for f in figures if f.note]
    out += [
        "",
        "## How each figure is measured",
        "",
        "- *tools.list vs requests / vendor*: the SDK call runs the full default chain",
        "  (tracking on, tracing on with no OpenTelemetry SDK configured: the API's no-op",
        "  provider) on a session with the seed's `x-request-id` header. The requests side",
        "  reuses one `requests.Session` and sends the very headers the SDK sent (read back",
        "  from the server's `/echo`), then parses the JSON; the SDK side also checks every",
        "  item's required field and makes the page (its `Tool` models are built on the first",
        '  read of `items`: the row "then reading .items" pays for them, as a caller that reads',
        "  them does). The vendor's `composio-client` calls `/api/v3.1/tools`, mapped to the",
        "  local server's `/api/v3/tools` by an httpx request hook.",
        "- *SDK-added CPU*: `session.request('GET', '/api/v3/tools').json()` minus a bare",
        "  `requests.Session.send(prepared).json()` of the same prepared request, per round.",
        "- *create_session*: CPU per call of `parent.create_session(headers=...)`;",
        "  `tracemalloc` for memory (the callers' header dicts are built before tracing",
        "  starts); `/proc/self/fd`, `threading.active_count()` and live `ssl.SSLContext`",
        "  objects before and after creating sessions of an https client.",
        "- *telemetry*: two clients that differ only in `allow_tracking`, both with a no-op",
        "  `telemetry_transport`, answered in memory by an innermost ATTEMPT middleware so",
        "  that a few microseconds are not lost in the noise of a round trip. The headline",
        "  (SPEC §7: the caller's path) is a client whose telemetry queue drops records vs",
        "  tracking off; the info row below it is tracking on vs off with the real queue and",
        "  its thread running beside the caller, which this no-network loop (tens of",
        "  thousands of calls a second) turns into GIL contention no real workload sees.",
        "- *import*: `time.process_time()` around the import in a fresh interpreter, median",
        "  of several interpreters each, alternating.",
        "- *16 threads*: one client, a session per thread, `tools.list()` in a loop, against",
        "  16 threads each with its own `requests.Session` doing `get().json()` with the same",
        "  headers (requests' best case: no shared pool); calls per second of wall time, the",
        "  two sides alternating in rounds, the ratio per round. **Both sides fetch the page",
        "  from a replay server, not from `LocalServer`**: a one-thread `selectors` loop in its",
        "  own process (`tests/benchmarks/_static_server.py`) that fetched the page once from",
        "  `LocalServer` and answers every tools request with those very bytes (status line,",
        "  headers, JSON body) at ~30 µs of CPU a request. Against `LocalServer` itself (~300 µs",
        "  of Python per request, 16 handler threads on its own GIL) both client processes were",
        "  busy only 0.7 of each wall second, waiting for it the rest: the figure measured the",
        "  server (1.24x) and not the clients (1.5-1.6x with the same SDK code). The note gives",
        "  each side's client-process CPU per wall second (near 1.00: the client is the bound;",
        "  other processes' load lowers it too) and the replay server's CPU per request.",
        "  The SDK's telemetry still posts to `LocalServer`.",
        "- *1,000 gathered*: 1,000 sessions, one `request('GET', '/echo')` each, all",
        "  gathered; against bare aiohttp gathering the same 1,000 calls with the same headers",
        "  through a `TCPConnector(limit=<the SDK's pool size>)`. Lag is the p99 lateness of a",
        "  1 ms ticker on the same loop; wall is the gather's duration; both ratios per round.",
        "",
        *HISTORY,
    ]
    return "\n".join(out)
