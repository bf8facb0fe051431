"""The transport's own response-header parse gives exactly what http.client's email-based
``parse_headers`` gives, for any header block (SPEC §19: the parse is the floor's next step)."""

from __future__ import annotations

import http.client
import io

from hypothesis import given
from hypothesis import strategies as st

from composio._deadline_http import parse_headers

_NAME = st.text(alphabet="aZ09-_.:;@ \t\x7f\x80é", max_size=6).map(lambda s: s.encode("latin-1"))
_VALUE = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b""))
_LINE = st.tuples(
    st.sampled_from([b"", b"", b"", b" ", b"\t", b"From "]),
    _NAME,
    st.sampled_from([b":", b": ", b":\t ", b" :", b"", b"::"]),
    _VALUE,
    st.sampled_from([b"\r\n", b"\r\n", b"\n", b"\r\r\n", b" \r\n"]),
).map(b"".join)


@given(st.lists(_LINE, max_size=6), st.sampled_from([b"\r\n", b"\n", b""]))
def test_own_header_parse_matches_the_email_parser(lines: list[bytes], end: bytes) -> None:
    block = b"".join(lines) + end
    ours = parse_headers(io.BytesIO(block))
    theirs = http.client.parse_headers(io.BytesIO(block))
    assert ours.items() == theirs.items()
    assert [ours.get_all(k) for k in theirs] == [theirs.get_all(k) for k in theirs]
    assert [repr(d) for d in ours.defects] == [repr(d) for d in theirs.defects]


def test_plain_lines_take_the_fast_path_and_keep_their_spelling() -> None:
    block = b"Content-Type: application/json\r\nX-Request-Id:  abc  \r\nSet-Cookie: a=1\r\n"
    msg = parse_headers(io.BytesIO(block + b"Set-Cookie: b=2\r\n\r\nBODY"))
    assert msg.items() == [
        ("Content-Type", "application/json"),
        ("X-Request-Id", "abc  "),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert msg["x-request-id"] == "abc  "
    assert msg.get_all("set-cookie") == ["a=1", "b=2"]
