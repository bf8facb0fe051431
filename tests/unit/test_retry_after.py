"""``parse_retry_after``: never raises, never negative/NaN/inf, a past date means 0."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio._wire import parse_retry_after

NOW = 1_700_000_000.0


def now() -> float:
    return NOW


def _date(offset: float) -> str:
    when = datetime.fromtimestamp(NOW, timezone.utc) + timedelta(seconds=offset)
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": " 1.5 "}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "3600"}, 3600.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "1e999"}, None),
        ({"retry-after": "1_0"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "9" * 100}, None),
        ({"retry-after": _date(30)}, 30.0),
        ({"retry-after": _date(-30)}, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 -0000"}, 0.0),
        ({"retry-after": "Mon, 99 Foo 2015 07:28:00 GMT"}, None),
    ],
)
def test_examples(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, now=now)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_zoneless_date_is_read_as_gmt() -> None:
    when = datetime.fromtimestamp(NOW + 20, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S")
    assert parse_retry_after({"retry-after": when}, now=now) == pytest.approx(20.0)


def _check(value: float | None) -> None:
    if value is not None:
        assert isinstance(value, float)
        assert math.isfinite(value)
        assert value >= 0


header_text = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A[ ]?[-+]?[0-9]{0,12}(\.[0-9]{0,6})?([eE][-+]?[0-9]{1,4})?[ ]?\Z"),
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.just(timezone.utc),
    ).map(lambda d: format_datetime(d, usegmt=True)),
    st.sampled_from(["nan", "-inf", "Infinity", "1e308", "-0", "0x10", "١٢", "Wed, 31 Feb 2024"]),
)


@settings(max_examples=500, deadline=None)
@given(seconds=header_text, ms=st.one_of(st.none(), header_text))
def test_never_raises_never_negative_nan_or_inf(seconds: str, ms: str | None) -> None:
    headers = {"retry-after": seconds}
    if ms is not None:
        headers["retry-after-ms"] = ms
    _check(parse_retry_after(headers, now=now))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2023, 11, 14),
        timezones=st.just(timezone.utc),
    )
)
def test_a_date_in_the_past_means_now(when: datetime) -> None:
    assert parse_retry_after({"retry-after": format_datetime(when, usegmt=True)}, now=now) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_a_future_date_is_the_seconds_until_it(offset: int) -> None:
    got = parse_retry_after({"retry-after": _date(offset)}, now=now)
    assert got == pytest.approx(float(offset))
