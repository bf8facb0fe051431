"""The soak's verdicts can fail (SPEC §19): a resource that keeps growing after the warm-up is
flagged, a flat one is not, and an error outside ComposioError is counted as undocumented."""

from __future__ import annotations

import time

from composio import APIConnectionError
from tests.soak.run import Tally, growth_of, not_flat


def _samples(rss: list[float]) -> list[dict[str, float]]:
    return [{"t": float(i), "rss_mb": v, "fds": 40.0} for i, v in enumerate(rss)]


def test_growth_after_warm_up_is_flagged_and_warm_up_is_not() -> None:
    warming = _samples([10, 50, 80, 100, 100, 101, 100, 100, 101, 100])
    assert not_flat(growth_of(warming, warmup=3)) == []
    leaking = _samples([100, 100, 100, 104, 108, 112, 116, 120, 124, 128])
    assert not_flat(growth_of(leaking, warmup=3)) == [
        "rss_mb grew from 106.0 to 126.0 after warm-up"
    ]


def test_tally_separates_documented_from_undocumented_errors() -> None:
    tally = Tally()
    now = time.monotonic()
    tally.record(now, None)
    tally.record(now, APIConnectionError("reset", request=None, kind="reset", sent=True))
    tally.record(now, KeyError("boom"))
    assert tally.ok == 1
    assert dict(tally.errors) == {"APIConnectionError": 1}
    assert tally.undocumented == ["KeyError: 'boom'"]
    tally.record(now - 100, None)  # a call that took 100 s: far past any deadline
    assert len(tally.hung) == 1
