"""``composio._json_read.read_json`` is ``json.loads`` of the body, exactly (issue 21): the
same value for every body, and the same error type and message for every body it refuses --
including what its shortcut for ``{``/``[`` bodies must hand back to ``json.loads``."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio._json_read import read_json

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _outcome(body: bytes) -> object:
    try:
        value = json.loads(body)
    except Exception as exc:  # whichever error json.loads raises
        expected: object = (type(exc), str(exc))
    else:
        expected = ("value", json.dumps(value, sort_keys=True))
    try:
        got_value = read_json(body)
    except Exception as exc:
        got: object = (type(exc), str(exc))
    else:
        got = ("value", json.dumps(got_value, sort_keys=True))
    assert got == expected
    return got


@settings(max_examples=300, deadline=None)
@given(_JSON, st.sampled_from(["", " ", "\n", "\r\n\t ", "x", " 1", "\x0b", "\u00a0"]))
def test_issue21_read_json_is_json_loads_on_what_servers_send(value: object, tail: str) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        _outcome((text + tail).encode())
        _outcome((tail + text).encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=24))
def test_issue21_read_json_is_json_loads_on_any_bytes(prefix: bytes) -> None:
    for body in (prefix, b"{" + prefix, b"[" + prefix, b'{"a": ' + prefix):
        _outcome(body)


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b"[]",
        b"{",
        b"[1,]",
        b'{"a": NaN}',
        b"[Infinity]",
        b'{"a": 1}{"b": 2}',
        b'\xef\xbb\xbf{"bom": 1}',
        '{"utf16": 1}'.encode("utf-16-le"),
        '["utf32"]'.encode("utf-32-be"),
        b'{"bad": "\xff"}',
        b'["\xed\xa0\x80"]',  # a lone surrogate, UTF-8 encoded: surrogatepass keeps it
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the scanner can go
    ],
)
def test_issue21_read_json_edge_bodies(body: bytes) -> None:
    try:
        _outcome(body)
    except RecursionError:
        with pytest.raises(RecursionError):
            read_json(body)


def test_issue21_read_json_keeps_non_finite_numbers_as_json_loads_does() -> None:
    assert math.isnan(read_json(b"[NaN]")[0])
