"""``verify_webhook`` (SPEC §14 Webhooks): every check, by property, against an oracle that is
the SPEC's formula written out here -- base64(HMAC-SHA256(key, ``id.timestamp.body``)) --
not the implementation's helpers."""

from __future__ import annotations

import base64
import email.message
import hashlib
import hmac
import json
import math
import pickle
import time
import traceback
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from composio import ValidationError, WebhookVerificationError
from composio.webhooks import FAILURE_REASONS, _verify, sign_webhook, verify_webhook
from tests.unit._webhook_payloads import V3

NOW = 1_764_000_000  # a fixed clock for the tests that use the seam
RAW_SECRET = "raw-SECRET-6b1f0c9e-not-base64!"
KEY_BYTES = bytes(range(7, 39))
WHSEC = "whsec_" + base64.b64encode(KEY_BYTES).decode()

BODY = json.dumps(V3).encode()

FAST = settings(deadline=None, max_examples=100)


def key_of(secret: str) -> bytes:
    """SPEC: the secret's UTF-8 bytes, or base64-decoded after a ``whsec_`` prefix."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[6:])
    return secret.encode()


def oracle(key: bytes, msg_id: str, stamp: str, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def delivery(
    body: bytes = BODY, secret: str = RAW_SECRET, msg_id: str = "msg_1", stamp: int = NOW
) -> dict[str, str]:
    sig = oracle(key_of(secret), msg_id, str(stamp), body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": f"v1,{sig}"}


def failure(
    *args: Any, now: float = NOW, tolerance: float | None = 300
) -> WebhookVerificationError:
    with pytest.raises(WebhookVerificationError) as info:
        _verify(*args, tolerance, now=now)
    assert info.value.reason in FAILURE_REASONS
    return info.value


# --- strategies -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=6,
)  # fmt: skip
json_objects = st.dictionaries(st.text(), json_values, max_size=6)
secrets_ = st.one_of(
    st.text(min_size=1).filter(lambda s: not s.startswith("whsec_")),
    st.binary(min_size=1, max_size=64).map(lambda b: "whsec_" + base64.b64encode(b).decode()),
)
msg_ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@st.composite
def any_case(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c for c, up in zip(name, flips, strict=True))


def json_reason(body: bytes) -> str | None:
    """What the SPEC says a validly signed body is: an object, or not JSON, or not an object."""

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(body, parse_constant=no_constants)
    except (ValueError, RecursionError):
        return "not_json"
    return None if isinstance(value, dict) else "not_object"


# --- round trips ----------------------------------------------------------------------------


@FAST
@given(
    body=st.one_of(
        st.binary(), st.text(), json_objects.map(json.dumps),
        json_objects.map(lambda o: json.dumps(o).encode()),
    ),
    secret=secrets_,
    msg_id=msg_ids,
    names=st.tuples(any_case("webhook-id"), any_case("webhook-timestamp"),
                    any_case("webhook-signature")),
)  # fmt: skip
def test_any_body_any_casing_any_secret_verifies_or_says_why_not(
    body: bytes | str, secret: str, msg_id: str, names: tuple[str, str, str]
) -> None:
    raw_body = body.encode() if isinstance(body, str) else body
    signed = delivery(raw_body, secret, msg_id)
    headers = dict(zip(names, signed.values(), strict=True))
    expected = json_reason(raw_body)
    if expected is None:
        event = _verify(body, headers, secret, 300, now=NOW)
        assert event.id == msg_id
        assert event.raw == json.loads(raw_body)
    else:
        assert failure(body, headers, secret).reason == expected


@FAST
@given(obj=json_objects, secret=secrets_)
def test_sign_webhook_matches_the_formula(obj: dict[str, Any], secret: str) -> None:
    body = json.dumps(obj)
    headers = sign_webhook(body, secret, webhook_id="msg_x", timestamp=NOW)
    assert headers["webhook-signature"] == "v1," + oracle(key_of(secret), "msg_x", str(NOW),
                                                          body.encode())  # fmt: skip
    assert _verify(body.encode(), headers, secret, 300, now=NOW).raw == obj


def test_verify_webhook_uses_the_real_clock() -> None:
    headers = sign_webhook(BODY, RAW_SECRET)
    event = verify_webhook(BODY, headers, RAW_SECRET)
    assert (event.trigger_slug, event.user_id) == ("GITHUB_STAR_ADDED_EVENT", "user-1")
    stale = sign_webhook(BODY, RAW_SECRET, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError) as info:
        verify_webhook(BODY, stale, RAW_SECRET)
    assert info.value.reason == "timestamp_too_old"
    assert verify_webhook(BODY, stale, RAW_SECRET, tolerance=None).id == stale["webhook-id"]


# --- tampering ------------------------------------------------------------------------------

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def mutate(text: str, kind: str, pos: int, char: str) -> str:
    pos %= len(text) + (kind == "insert")
    if kind == "replace":
        return text[:pos] + char + text[pos + 1 :]
    if kind == "delete":
        return text[:pos] + text[pos + 1 :]
    return text[:pos] + char + text[pos:]


@FAST
@given(
    target=st.sampled_from(["body", "webhook-id", "webhook-timestamp", "webhook-signature"]),
    kind=st.sampled_from(["replace", "delete", "insert"]),
    pos=st.integers(0, 10_000),
    char=PRINTABLE,
    secret=secrets_,
)
def test_any_single_tampered_byte_fails_with_the_right_reason(
    target: str, kind: str, pos: int, char: str, secret: str
) -> None:
    headers = delivery(secret=secret, msg_id="msg_2NkL9")
    body = BODY.decode()
    if target == "body":
        body = mutate(body, kind, pos, char)
        assume(body != BODY.decode())
        expected = "no_valid_signature"
    else:
        value = mutate(headers[target], kind, pos, char)
        assume(value != headers[target])
        headers[target] = value
        expected = "no_valid_signature"
        if not value:
            expected = "missing_header"
        elif target == "webhook-timestamp":
            if not (value.isdigit() and len(value) <= 12):
                expected = "bad_timestamp"
            elif NOW - int(value) > 300:
                expected = "timestamp_too_old"
            elif int(value) - NOW > 300:
                expected = "timestamp_too_new"
    assert failure(body.encode(), headers, secret).reason == expected


@FAST
@given(
    junk=st.lists(
        st.one_of(
            st.binary(min_size=32, max_size=32).map(lambda b: "v1," + base64.b64encode(b).decode()),
            st.binary(min_size=1, max_size=40).map(lambda b: "v2," + base64.b64encode(b).decode()),
            st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
        ),
        max_size=6,
    ),
    at=st.integers(0, 6),
)
def test_one_valid_v1_among_many_entries_passes(junk: list[str], at: int) -> None:
    good = delivery()
    entries = list(junk)
    entries.insert(at % (len(entries) + 1), good["webhook-signature"])
    headers = {**good, "webhook-signature": " ".join(entries)}
    assert _verify(BODY, headers, RAW_SECRET, 300, now=NOW).trigger_id == "ti_123"
    headers["webhook-signature"] = " ".join(junk) or "v2,abc"
    assert failure(BODY, headers, RAW_SECRET).reason == "no_valid_signature"


def test_signature_variants_that_decode_to_the_same_bytes_are_refused() -> None:
    """The base64 text is compared: no spare-bit or ignored-character variants."""
    sig = delivery()["webhook-signature"][3:]
    last = sig[-2]  # 32 bytes -> 43 characters + "=", the 43rd carries 2 spare bits
    twin = sig[:-2] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(last) ^ 1)
    ] + "="  # fmt: skip
    assert base64.b64decode(twin) == base64.b64decode(sig) and twin != sig
    for variant in (twin, sig.rstrip("="), sig[:10] + "!" + sig[10:]):
        headers = {**delivery(), "webhook-signature": f"v1,{variant}"}
        assert failure(BODY, headers, RAW_SECRET).reason == "no_valid_signature"


# --- timestamps -----------------------------------------------------------------------------


#: Stamps with tolerances of at most a quarter of them, so that ``now - stamp`` is exact in
#: floating point one ulp past the boundary (both sides).
stamps_and_tolerances = st.integers(4, 10**11).flatmap(
    lambda stamp: st.tuples(st.just(stamp), st.integers(0, stamp // 4))
)


@FAST
@given(case=stamps_and_tolerances)
def test_timestamp_boundaries_on_both_sides(case: tuple[int, int]) -> None:
    stamp, tolerance = case
    headers = delivery(stamp=stamp)
    for now in (stamp + tolerance, stamp - tolerance, stamp):
        assert _verify(BODY, headers, RAW_SECRET, tolerance, now=float(now)).id == "msg_1"
    just_late = math.nextafter(float(stamp + tolerance), math.inf)
    just_early = math.nextafter(float(stamp - tolerance), -math.inf)
    assert failure(BODY, headers, RAW_SECRET, now=just_late, tolerance=tolerance).reason == (
        "timestamp_too_old"
    )
    assert failure(BODY, headers, RAW_SECRET, now=just_early, tolerance=tolerance).reason == (
        "timestamp_too_new"
    )
    assert _verify(BODY, headers, RAW_SECRET, None, now=just_early - 1e9).id == "msg_1"


@pytest.mark.parametrize("tolerance", [0.25, 2.5, 0.0])
def test_fractional_tolerance(tolerance: float) -> None:
    headers = delivery()
    assert _verify(BODY, headers, RAW_SECRET, tolerance, now=NOW + tolerance).id == "msg_1"
    err = failure(BODY, headers, RAW_SECRET, now=NOW + tolerance + 0.125, tolerance=tolerance)
    assert err.reason == "timestamp_too_old" and err.header == "webhook-timestamp"


@pytest.mark.parametrize(
    "stamp", ["", "-1", "+1764000000", " 1764000000", "1764000000.0", "1.764e9", "0x10",
              "١٧٦٤٠٠٠٠٠٠", "9" * 13, "abc"],
)  # fmt: skip
def test_a_timestamp_that_is_not_whole_seconds_is_bad(stamp: str) -> None:
    headers = {**delivery(), "webhook-timestamp": stamp}
    expected = "missing_header" if stamp == "" else "bad_timestamp"
    assert failure(BODY, headers, RAW_SECRET).reason == expected
    assert failure(BODY, headers, RAW_SECRET, tolerance=None).reason == expected


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_a_missing_header_is_named(name: str, how: str) -> None:
    headers = delivery()
    if how == "absent":
        del headers[name]
    else:
        headers[name] = ""
    err = failure(BODY, headers, RAW_SECRET)
    assert (err.reason, err.header) == ("missing_header", name)
    assert name in str(err)


def test_header_forms_pairs_bytes_and_message_objects() -> None:
    signed = delivery()
    pairs = [(k.title(), v) for k, v in signed.items()] + [("Content-Type", "application/json")]
    asgi = [(k.encode(), v.encode()) for k, v in signed.items()]
    message = email.message.Message()
    for k, v in signed.items():
        message[k.upper()] = v
    for headers in (pairs, asgi, message, tuple(pairs)):
        assert _verify(BODY, headers, RAW_SECRET, 300, now=NOW).id == "msg_1"  # type: ignore[arg-type]


def test_framework_header_objects() -> None:
    werkzeug = pytest.importorskip("werkzeug.datastructures")
    signed = delivery()
    assert _verify(BODY, werkzeug.Headers(signed), RAW_SECRET, 300, now=NOW).id == "msg_1"
    environ = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()}
    env_headers = werkzeug.EnvironHeaders(environ)
    assert _verify(BODY, env_headers, RAW_SECRET, 300, now=NOW).id == "msg_1"


def test_a_header_given_twice_must_agree() -> None:
    signed = delivery()
    same = [*signed.items(), ("Webhook-Id", "msg_1")]
    assert _verify(BODY, same, RAW_SECRET, 300, now=NOW).id == "msg_1"
    other = [*signed.items(), ("WEBHOOK-ID", "msg_other")]
    err = failure(BODY, other, RAW_SECRET)
    assert (err.reason, err.header) == ("duplicate_header", "webhook-id")


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "not_json"), (b"not json", "not_json"), (b"\xff\xfe{", "not_json"),
     (b"NaN", "not_json"), (b'{"a": Infinity}', "not_json"), (b"[1, 2]", "not_object"),
     (b'"text"', "not_object"), (b"null", "not_object"), (b"[" * 100_000, "not_json")],
)  # fmt: skip
def test_a_validly_signed_body_that_is_not_a_json_object(body: bytes, reason: str) -> None:
    err = failure(body, delivery(body), RAW_SECRET)
    assert (err.reason, err.header) == (reason, None)
    assert "signed" in str(err)


def test_str_and_bytes_bodies_are_the_same_delivery() -> None:
    text = json.dumps({"emoji": "\N{SNAKE}", "data": {}}, ensure_ascii=False)
    headers = delivery(text.encode())
    assert _verify(text, headers, RAW_SECRET, 300, now=NOW) == _verify(
        bytearray(text.encode()), headers, RAW_SECRET, 300, now=NOW
    )


def test_reserialised_json_does_not_verify() -> None:
    """Why receivers must pass the raw body: the same object, other bytes."""
    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert failure(reserialised, delivery(), RAW_SECRET).reason == "no_valid_signature"


# --- secrets --------------------------------------------------------------------------------


def test_whsec_secrets_are_base64_keys_with_or_without_padding() -> None:
    key = b"\x00\xffkey-with-odd-length!"
    padded = "whsec_" + base64.b64encode(key).decode()
    assert padded.endswith("=")
    headers = {**delivery(), "webhook-signature": "v1," + oracle(key, "msg_1", str(NOW), BODY)}
    for secret in (padded, padded.rstrip("=")):
        assert _verify(BODY, headers, secret, 300, now=NOW).id == "msg_1"
    # The same text without the prefix is a raw secret: another key.
    assert failure(BODY, headers, padded[6:]).reason == "no_valid_signature"


SENTINEL = "whsec_" + base64.b64encode(b"SENTINEL-KEY-" + bytes(19)).decode()


@pytest.mark.parametrize(
    "secret", ["whsec_!!!!", "whsec_", "whsec_a", "whsec_ünïcode", SENTINEL + "*", "", "whsec_===="]
)
def test_an_unusable_secret_is_a_validation_error_that_does_not_echo_it(secret: str) -> None:
    with pytest.raises(ValidationError) as info:
        _verify(BODY, delivery(), secret, 300, now=NOW)
    text = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert "secret" in str(info.value)
    if len(secret) > 12:
        assert secret not in text and secret[6:] not in text
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert pickle.loads(pickle.dumps(info.value)).message == info.value.message


@pytest.mark.parametrize("secret", [None, b"raw-bytes", 42])
def test_a_secret_that_is_not_str_is_a_validation_error(secret: Any) -> None:
    with pytest.raises(ValidationError, match="secret must be a str"):
        _verify(BODY, delivery(), secret, 300, now=NOW)


def every_failure(secret: str) -> list[tuple[WebhookVerificationError, str]]:
    """One delivery per reason, each carrying the secret where an attacker could echo it;
    with each, the signature the verifier computed (which must not leak either)."""
    key = key_of(secret)
    signed = delivery(secret=secret)
    echo = json.dumps({"secret": secret, "key": key.hex()}).encode()
    cases: list[tuple[bytes, Any]] = [
        (BODY, {k: v for k, v in signed.items() if k != "webhook-id"}),
        (BODY, [*signed.items(), ("webhook-id", secret)]),
        (BODY, {**signed, "webhook-timestamp": "x" + secret}),
        (BODY, delivery(secret=secret, stamp=NOW - 10_000)),
        (BODY, delivery(secret=secret, stamp=NOW + 10_000)),
        (echo, {**signed, "webhook-id": secret}),
        (b"[" + echo, delivery(b"[" + echo, secret)),
        (b"[" + echo + b"]", delivery(b"[" + echo + b"]", secret)),
    ]
    out = []
    for body, headers in cases:
        items = dict(headers)
        expected = oracle(key, items.get("webhook-id", ""), str(NOW), body)
        out.append((failure(body, headers, secret), expected))
    return out


#: Arbitrary secrets, made distinctive by a character no source line or message contains (a
#: traceback quotes source lines, so the secret "TriggerEvent" would be "found" in one).
distinct_secrets = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF), min_size=11).map(
        lambda s: "\N{SNOWMAN}" + s
    ),
    st.binary(min_size=16, max_size=48).map(lambda b: "whsec_" + base64.b64encode(b).decode()),
)


@settings(deadline=None, max_examples=40)
@given(secret=distinct_secrets)
def test_no_error_echoes_the_secret_or_the_expected_signature(secret: str) -> None:
    failures = every_failure(secret)
    assert sorted({e.reason for e, _ in failures}) == sorted(FAILURE_REASONS)
    key = key_of(secret)
    for err, expected in failures:
        clone = pickle.loads(pickle.dumps(err))
        assert (clone.reason, clone.header, str(clone)) == (err.reason, err.header, str(err))
        surfaces = [str(err), repr(err), repr(err.args), repr(vars(err))]
        surfaces += ["".join(traceback.format_exception(err))]
        blob = pickle.dumps(err)
        for value in (secret, secret.removeprefix("whsec_"), expected, key.hex()):
            assert all(value not in s for s in surfaces)
            assert value.encode() not in blob


# --- caller errors --------------------------------------------------------------------------


@pytest.mark.parametrize("tolerance", [-1, -0.001, float("nan"), "300", True, [300]])
def test_a_bad_tolerance_is_a_validation_error(tolerance: Any) -> None:
    with pytest.raises(ValidationError, match="tolerance must be a number of seconds >= 0"):
        verify_webhook(BODY, delivery(), RAW_SECRET, tolerance=tolerance)


@pytest.mark.parametrize("payload", [V3, None, 42, ["a"]])
def test_a_parsed_body_is_refused_with_how_to_get_the_raw_one(payload: Any) -> None:
    with pytest.raises(ValidationError, match="raw request body") as info:
        verify_webhook(payload, delivery(), RAW_SECRET)
    assert "request.get_data()" in str(info.value) and "request.body()" in str(info.value)


@pytest.mark.parametrize("headers", [None, "webhook-id: x", b"x", 42, [("only-one",)]])
def test_headers_that_are_not_headers_are_a_validation_error(headers: Any) -> None:
    with pytest.raises(ValidationError, match="headers"):
        verify_webhook(BODY, headers, RAW_SECRET)


def test_header_values_of_the_wrong_type_are_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="str or bytes, got list"):
        verify_webhook(BODY, {**delivery(), "webhook-id": ["msg_1"]}, RAW_SECRET)


def test_caller_errors_win_over_delivery_errors() -> None:
    """A misconfigured receiver fails loudly even on garbage deliveries."""
    with pytest.raises(ValidationError):
        verify_webhook(b"junk", {}, "whsec_***")
    with pytest.raises(ValidationError):
        verify_webhook(b"junk", {}, RAW_SECRET, tolerance=-5)


def test_sign_webhook_validates_its_arguments() -> None:
    with pytest.raises(ValidationError):
        sign_webhook(BODY, RAW_SECRET, timestamp=-1)
    with pytest.raises(ValidationError):
        sign_webhook(BODY, RAW_SECRET, timestamp=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        sign_webhook(BODY, RAW_SECRET, webhook_id="")
    assert sign_webhook(BODY, RAW_SECRET)["webhook-id"].startswith("msg_")
