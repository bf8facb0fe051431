"""CPU-time measurement: the calling thread only, variants interleaved, medians.

On a small shared machine the noise comes in bursts (another process wakes up, the CPU
frequency moves). Running variant A then B in short alternating rounds puts both sides of a
ratio in the same bursts; the median over rounds discards the rounds a burst spoiled.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

__all__ = [
    "cpu_per_call",
    "diff_of_rounds",
    "interleaved",
    "median",
    "ratio_of_medians",
    "spread",
]


def cpu_per_call(fn: Callable[[], object], n: int) -> float:
    """Seconds of this thread's CPU per call of ``fn``, over ``n`` calls."""
    clock = time.thread_time
    start = clock()
    for _ in range(n):
        fn()
    return (clock() - start) / n


def interleaved(
    variants: Mapping[str, Callable[[], object]], rounds: int, per_round: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Per-call CPU of every variant for each round; variants alternate order every round."""
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            out[name].append(cpu_per_call(variants[name], per_round))
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio_of_medians(samples: Mapping[str, list[float]], num: str, den: str) -> float:
    """Median over rounds of the per-round ratio: both sides of each ratio share a round."""
    return statistics.median(a / b for a, b in zip(samples[num], samples[den], strict=True))


def spread(samples: Mapping[str, list[float]], num: str, den: str) -> tuple[float, float]:
    """First and third quartile of the per-round ratios: how much the rounds disagreed."""
    ratios = sorted(a / b for a, b in zip(samples[num], samples[den], strict=True))
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    q = statistics.quantiles(ratios, n=4)
    return q[0], q[2]


def diff_of_rounds(samples: Mapping[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of ``a - b`` (seconds per call)."""
    return statistics.median(x - y for x, y in zip(samples[a], samples[b], strict=True))
