"""The one scrubber for server-supplied text (SPEC §8, §12.5): what it removes, and what it
must leave alone so messages stay readable."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from composio._redact import MIN_SCRUB_LENGTH, REDACTED, TOO_DEEP, Scrubber, secret_values

KEY = "sk_live_SENTINEL_9f3b2c71d4e84a0c"
HEADERS = {
    "x-api-key": KEY,
    "X-Tenant-Secret": "tenant/secret+value",
    "x-flag": "a",
    "x-n": "1",
    "User-Agent": "composio-python/1.0",  # allow-listed: shown, so not a secret
    "x-request-id": "req-123456789",
}


def test_secrets_are_the_non_allow_listed_values() -> None:
    assert secret_values(HEADERS) == {KEY, "tenant/secret+value", "a", "1"}


def test_every_spelling_of_a_long_secret_is_removed() -> None:
    scrub = Scrubber.for_headers(HEADERS)
    for form in (
        KEY,
        KEY.upper(),
        quote(KEY, safe=""),
        base64.b64encode(KEY.encode()).decode(),
        quote("tenant/secret+value", safe=""),
        json.dumps("tenant/secret+value")[1:-1],
    ):
        assert scrub.text(f"before {form} after") == f"before {REDACTED} after"


def test_short_values_are_replaced_only_as_whole_values() -> None:
    scrub = Scrubber.for_headers(HEADERS)
    message = "GET http://127.0.0.1:8000/api/v3/tools -> 401: a bad key (1 of 1)"
    assert scrub.text(message) == message
    assert scrub.text("a") == REDACTED and scrub.text("1") == REDACTED
    assert scrub.data({"flag": "a", "n": 1, "list": ["1", "11"]}) == {
        "flag": REDACTED,
        "n": 1,  # a number is not the header's string value
        "list": [REDACTED, "11"],
    }
    assert len("a") < MIN_SCRUB_LENGTH <= len("tenant/secret+value")


def test_allow_listed_values_are_kept() -> None:
    scrub = Scrubber.for_headers(HEADERS)
    assert scrub.text("ua composio-python/1.0 id req-123456789") == (
        "ua composio-python/1.0 id req-123456789"
    )


def test_json_is_scrubbed_at_any_depth_keys_included() -> None:
    scrub = Scrubber.for_headers(HEADERS)
    body = {"error": {"message": f"bad {KEY}", "echo": [{KEY: "x"}]}, "n": 3, "ok": True}
    assert scrub.data(body) == {
        "error": {"message": f"bad {REDACTED}", "echo": [{REDACTED: "x"}]},
        "n": 3,
        "ok": True,
    }


def test_an_excerpt_is_scrubbed_before_it_is_cut() -> None:
    """A secret straddling the excerpt's end must not leave its first characters behind."""
    scrub = Scrubber.for_headers(HEADERS)
    for at in range(180, 201):
        content = ("x" * at + KEY + " tail").encode()
        excerpt = scrub.excerpt(content, limit=200)
        assert KEY[:4] not in excerpt and excerpt.startswith("x" * 100)


def test_too_deep_json_falls_back_to_scrubbed_text() -> None:
    scrub = Scrubber.for_headers(HEADERS)
    deep: object = KEY
    for _ in range(5000):
        deep = [deep]
    assert scrub.data(deep) == TOO_DEEP


@given(
    secret=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E),
        min_size=MIN_SCRUB_LENGTH,
        max_size=40,
    ),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_any_long_visible_ascii_secret_never_survives(secret: str, before: str, after: str) -> None:
    scrub = Scrubber([secret])
    assert secret not in scrub.text(before + secret + after)
    assert secret not in json.dumps(scrub.data({"k": [before + secret + after]}))
