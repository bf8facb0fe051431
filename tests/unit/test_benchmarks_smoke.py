"""The benchmark harness still runs end to end (tiny counts; no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks import _measure
from tests.benchmarks.figures import Figure
from tests.benchmarks.run import main


def test_quick_run_produces_every_figure_and_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "benchmarks.md"
    assert main(["--quick", "--output", str(page)]) == 0
    out = capsys.readouterr().out
    for figure in (
        "vs requests.Session().get",
        "vs composio-client tools.list()",
        "SDK-added CPU per request",
        "create_session(headers=...) CPU per call",
        "retained memory per session",
        "sockets / fds / threads / SSL contexts",
        "memory flat",
        "telemetry on the caller's path",
        "tracing per attempt",
        "import composio vs import requests",
        "await session.tools.list() vs bare aiohttp",
        "AsyncComposio().tools.list()",
        "sessions gathered at once: cross-talk / sockets",
        "gathered: p99 loop lag / wall vs bare aiohttp",
        "16 threads: session.tools.list() throughput",
        "session.request('GET', path).json() vs requests",
    ):
        assert figure in out, figure
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert "| figure | value | target | result |" in text
    assert "python -m tests.benchmarks" in text
    # Docs pages are executed by tests/docs: the page must not carry a python block.
    assert "```python" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "**" in line]
    assert len(rows) >= 10
    assert all(("**PASS**" in r) or ("**MISS**" in r) or ("**info**" in r) for r in rows)


def test_resource_counts_are_measured_not_assumed(capsys: pytest.CaptureFixture[str]) -> None:
    """The 0-sockets figure must be able to fail: a socket opened in between is seen."""
    import socket

    from tests.benchmarks.figures import _fd_kinds

    fds0, socks0 = _fd_kinds()
    with socket.socket() as s:
        assert s.fileno() >= 0
        fds1, socks1 = _fd_kinds()
    assert (fds1 - fds0, socks1 - socks0) == (1, 1)


def test_ratios_pair_samples_from_the_same_round() -> None:
    samples = {"a": [2.0, 30.0, 4.0], "b": [1.0, 10.0, 4.0]}
    assert _measure.ratio_of_medians(samples, "a", "b") == 2.0
    assert _measure.diff_of_rounds(samples, "a", "b") == 1.0
    low, high = _measure.spread(samples, "a", "b")
    assert 1.0 <= low <= 2.0 <= high <= 3.0
    calls: list[str] = []
    out = _measure.interleaved(
        {"x": lambda: calls.append("x"), "y": lambda: calls.append("y")},
        rounds=2,
        per_round=1,
        warmup=0,
    )
    assert calls == ["x", "y", "y", "x"]  # alternating order, so drift hits both sides
    assert {k: len(v) for k, v in out.items()} == {"x": 2, "y": 2}


def test_figure_status() -> None:
    assert Figure("f", "1", "≤ 2", True).status == "PASS"
    assert Figure("f", "3", "≤ 2", False).status == "MISS"
    assert Figure("f", "3", "—", None).status == "info"
