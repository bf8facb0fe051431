"""Query and path serialisation helpers: the exact strings the spec expects."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composio import ValidationError
from composio._ops._encode import params, q_bool, q_limit, q_list, q_str, slug_path


def test_q_bool_is_the_specs_string_enum() -> None:
    assert q_bool(True, "important") == "true"
    assert q_bool(False, "important") == "false"
    assert q_bool(None, "important") is None
    for bad in ("true", 1, 0, "yes"):
        with pytest.raises(ValidationError, match="important"):
            q_bool(bad, "important")


def test_q_list_takes_a_string_or_a_concrete_sequence() -> None:
    assert q_list("a", "tags") == ["a"]
    assert q_list(["a", "b"], "tags") == ["a", "b"]
    assert q_list(("a",), "tags") == ["a"]
    assert q_list([], "tags") == []
    assert q_list(None, "tags") is None
    for bad in (iter(["a"]), [""], ["a", 1], 5, b"ab", {"a": 1}):
        with pytest.raises(ValidationError, match="tags"):
            q_list(bad, "tags")


def test_q_limit_is_a_positive_whole_number() -> None:
    assert q_limit(1) == "1"
    assert q_limit(1000) == "1000"
    assert q_limit(None) is None
    for bad in (0, -1, True, 2.5, "5"):
        with pytest.raises(ValidationError, match="limit"):
            q_limit(bad)


def test_q_str_rejects_empty_and_non_strings() -> None:
    assert q_str("x", "search") == "x"
    assert q_str(None, "search") is None
    for bad in ("", 5, ["x"]):
        with pytest.raises(ValidationError, match="search"):
            q_str(bad, "search")


def test_params_drops_none_and_repeats_lists_in_order() -> None:
    assert params(("a", "1"), ("b", None), ("tags", ["x", "y"]), ("c", "2")) == [
        ("a", "1"),
        ("tags", "x"),
        ("tags", "y"),
        ("c", "2"),
    ]


@pytest.mark.parametrize(
    ("slug", "segment"),
    [
        ("GITHUB_CREATE_ISSUE", "GITHUB_CREATE_ISSUE"),
        ("a/b", "a%2Fb"),
        ("a b", "a%20b"),
        ("q?x", "q%3Fx"),
        ("h#y", "h%23y"),
        ("ü", "%C3%BC"),
        ("%2F", "%252F"),
        (".", "%2E"),
        ("..", "%2E%2E"),
        ("a.b", "a.b"),
    ],
)
def test_slug_path_encodes_everything_that_could_leave_the_segment(slug: str, segment: str) -> None:
    assert slug_path(slug, "slug") == segment


@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_slug_path_round_trips_and_stays_one_segment(slug: str) -> None:
    segment = slug_path(slug, "slug")
    assert unquote(segment) == slug
    assert not set(segment) & set("/?# \t\r\n")
    assert segment not in (".", "..")


@pytest.mark.parametrize("bad", ["", "   ", None, 5, b"x"])
def test_slug_path_rejects_what_is_not_a_slug(bad: object) -> None:
    with pytest.raises(ValidationError, match="slug"):
        slug_path(bad, "slug")
