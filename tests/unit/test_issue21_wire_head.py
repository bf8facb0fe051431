"""The fast exchange's two head readers agree (``composio._async_wire``): ``_plain_head``
reads a head written the common way in whole-head passes and gives up (None) on anything
else, which ``Exchange._careful_head`` reads line by line or refuses. Wherever the plain one
answers, the careful one must give the very same status line and fields."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from composio._async_wire import Exchange, WireFailure, _plain_head

# Mostly what servers write (so the plain reader answers often), sometimes anything.
_NAME = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,8}", fullmatch=True),
    st.text(alphabet="abcXYZ-_!~09 :(\t", min_size=0, max_size=8),
)
_VALUE = st.one_of(
    st.text(alphabet='ab \t:é,;=/"', max_size=12),
    st.text(alphabet="ab \t:é\x00\r\n,;=", max_size=10),
)
_END = st.sampled_from(["\r\n"] * 6 + ["\n", "\r\n ", "\r\n\t"])


def _careful(head: bytes) -> object:
    loop = asyncio.new_event_loop()
    try:
        exchange = Exchange(None, loop.create_future(), False)
        return exchange._careful_head(head)
    except WireFailure as failure:
        return failure
    finally:
        loop.close()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_NAME, _VALUE, _END), max_size=6), st.sampled_from(["200 OK", "204 x"]))
def test_issue21_plain_and_careful_head_readers_agree(
    fields: list[tuple[str, str, str]], status: str
) -> None:
    text = f"HTTP/1.1 {status}"
    for name, value, end in fields:
        text += f"{end}{name}:{value}"
    head = text.encode("utf-8")
    plain = _plain_head(head)
    if plain is not None:
        assert plain == _careful(head)


def test_issue21_plain_head_reads_a_common_head() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A:  1 \r\nSet-Cookie: a"
    assert _plain_head(head) == (
        "HTTP/1.1 200 OK",
        [("Content-Type", "application/json"), ("X-A", "1"), ("Set-Cookie", "a")],
    )
    assert _plain_head(head + b"\r\n folded") is None  # obs-fold: the careful reader's
    assert _plain_head(head.replace(b"\r\n", b"\n")) is None  # bare LF: the careful reader's
