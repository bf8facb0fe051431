"""``composio._wire.query_string`` is ``urlencode`` exactly (issue 21): the shortcut for pairs
that need no escaping must give the very same query, and anything else the very same answer
or error ``urlencode`` gives."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio._wire import query_string

# Mostly what needs no escaping (so the shortcut answers often), sometimes anything.
_TEXT = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.~-]{0,10}", fullmatch=True),
    st.text(alphabet="aZ09_.~- +&=/?#%é\x00[]", max_size=10),
)
_VALUE: Any = st.one_of(_TEXT, _TEXT, st.integers(), st.booleans(), st.none())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_TEXT, _VALUE), max_size=5))
def test_issue21_query_string_is_urlencode(pairs: list[tuple[str, Any]]) -> None:
    assert query_string(pairs) == urlencode(pairs)


@pytest.mark.parametrize(
    "params",
    [{"a": "1", "b": "x y"}, [("a", "1", "extra")], [["a", "1"]], ["ab"]],
    ids=["a dict", "a triple", "a list pair", "a bare string"],
)
def test_issue21_query_string_gives_what_urlencode_gives_for_odd_params(params: Any) -> None:
    try:
        expected: object = urlencode(params)
    except Exception as exc:  # whichever error urlencode raises
        expected = type(exc)
    try:
        got: object = query_string(params)
    except Exception as exc:
        got = type(exc)
    assert got == expected
