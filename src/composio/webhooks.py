"""Verify Composio webhook deliveries and parse them into :class:`TriggerEvent` (SPEC §14).

Composio signs deliveries as `Standard Webhooks`_ do: headers ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (space-separated
``v1,<base64>`` entries), the signature being base64(HMAC-SHA256(key, ``id.timestamp.body``))
over the *raw* body bytes. Verification is pure (no I/O, no client), so it runs the same in
any web framework, in a queue worker, or in ``composio triggers listen``.

Who is to blame decides the exception: a problem with what the *caller* passed (a parsed dict
instead of the raw body, an unusable secret, a negative tolerance) is a
:class:`~composio.errors.ValidationError`, a programming error that should fail loudly (HTTP
500) rather than reject every delivery quietly; anything wrong with the *delivery* is a
:class:`~composio.errors.WebhookVerificationError` whose ``.reason`` names the check (answer
4xx).

.. _Standard Webhooks: https://github.com/standard-webhooks/standard-webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from composio._webhook_secret import webhook_key
from composio.errors import ValidationError, WebhookVerificationError

__all__ = [
    "FAILURE_REASONS",
    "HeadersInput",
    "SupportsItems",
    "TriggerEvent",
    "sign_webhook",
    "verify_webhook",
]

#: Every ``WebhookVerificationError.reason``, in the order the checks run.
FAILURE_REASONS: Final = (
    "duplicate_header",
    "missing_header",
    "bad_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "no_valid_signature",
    "not_json",
    "not_object",
)


class SupportsItems(Protocol):
    """What header objects that are not ``Mapping`` subclasses offer (``HTTPMessage``)."""

    def items(self) -> Iterable[tuple[str, str]]: ...


#: Headers as a mapping (``dict``, Starlette's or Werkzeug's ``Headers``, ``HTTPMessage``:
#: anything with ``items()``) or as ``(name, value)`` pairs (ASGI's ``scope["headers"]``);
#: names match case-insensitively, ``bytes`` are decoded as Latin-1 as HTTP does.
HeadersInput = Mapping[str, str] | SupportsItems | Iterable[tuple[str | bytes, str | bytes]]


_ID, _TIMESTAMP, _SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"
_WANTED: Final = (_ID, _TIMESTAMP, _SIGNATURE)
#: Digits in a timestamp: 12 reach the year 33658; longer is garbage, and bounding it keeps
#: ``int()`` cheap on hostile input.
_MAX_TIMESTAMP_DIGITS: Final = 12
_V3_TYPE: Final = "composio.trigger.message"


def verify_webhook(
    payload: bytes | str,
    headers: HeadersInput,
    secret: str,
    *,
    tolerance: float | None = 300,
) -> TriggerEvent:
    """Check a delivery's signature and freshness; return it as a :class:`TriggerEvent`.

    ``payload`` is the raw request body exactly as received (``bytes``; a ``str`` is encoded
    as UTF-8): JSON re-serialised by a framework has other bytes and never verifies.
    ``secret`` is the webhook secret: used as its UTF-8 bytes, or base64-decoded after the
    prefix when it starts with ``whsec_``. ``tolerance`` bounds, in seconds, how far the
    ``webhook-timestamp`` may be from now in either direction (replays and clock skew);
    ``None`` disables that check. A delivery is accepted when ANY ``v1`` entry of
    ``webhook-signature`` matches (senders list several while rotating secrets); entries of
    other versions are ignored. Comparisons are constant-time.

    Raises :class:`~composio.errors.WebhookVerificationError` (``.reason`` in
    :data:`FAILURE_REASONS`) for a delivery that fails a check, and
    :class:`~composio.errors.ValidationError` for bad arguments.
    """
    return _verify(payload, headers, secret, tolerance, now=time.time())


def sign_webhook(
    payload: bytes | str,
    secret: str,
    *,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three signature headers for ``payload``, signed as Composio signs a delivery.

    For testing receivers (``LocalServer`` and the docs use it); ``webhook_id`` defaults to a
    random ``msg_...`` and ``timestamp`` to now. The result verifies with
    :func:`verify_webhook` and with the ``standardwebhooks`` reference library.
    """
    key = webhook_key(secret)
    body = _body(payload)
    if webhook_id is None:
        webhook_id = "msg_" + secrets.token_hex(12)
    elif not isinstance(webhook_id, str) or not webhook_id:
        raise ValidationError("webhook_id must be a non-empty str.")
    if timestamp is None:
        timestamp = int(time.time())
    elif isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValidationError(
            f"timestamp must be a non-negative int of Unix seconds, got {type(timestamp).__name__}."
        )
    stamp = str(timestamp)
    signature = _signature(key, webhook_id, stamp, body).decode("ascii")
    return {_ID: webhook_id, _TIMESTAMP: stamp, _SIGNATURE: f"v1,{signature}"}


# --- the checks -------------------------------------------------------------------------


def _verify(
    payload: bytes | str,
    headers: HeadersInput,
    secret: str,
    tolerance: float | None,
    *,
    now: float,
) -> TriggerEvent:
    """:func:`verify_webhook` with the clock as an argument (the tests' seam for boundaries)."""
    # The caller's arguments first: their errors must not depend on what a delivery holds.
    body = _body(payload)
    key = webhook_key(secret)
    _check_tolerance(tolerance)
    found = _read_headers(headers)

    for name in _WANTED:
        if not found.get(name):
            raise WebhookVerificationError(
                f"Webhook verification failed: the {name!r} header is missing or empty; pass "
                "the request's headers as received (Standard Webhooks sends webhook-id, "
                "webhook-timestamp and webhook-signature).",
                reason="missing_header",
                header=name,
            )
    webhook_id, stamp, signature_header = found[_ID], found[_TIMESTAMP], found[_SIGNATURE]

    _check_timestamp(stamp, tolerance, now)
    _check_signature(key, webhook_id, stamp, body, signature_header)
    return TriggerEvent.from_dict(_parse_json(body), id=webhook_id)


def _body(payload: object) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        try:
            # surrogateescape gives back the original bytes of a body that was decoded with
            # it (as os and some frameworks do for undecodable input).
            return payload.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raise ValidationError(
                "payload is a str that cannot be encoded as UTF-8 (it holds lone surrogates); "
                "pass the raw request body as bytes."
            ) from None
    raise ValidationError(
        f"payload must be the raw request body as bytes or str, got {type(payload).__name__}; "
        "a parsed or re-serialised body does not have the bytes that were signed (in "
        "Flask use request.get_data(), in FastAPI/Starlette await request.body())."
    )


def _check_tolerance(tolerance: object) -> None:
    if tolerance is None:
        return
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        raise ValidationError(
            f"tolerance must be a number of seconds >= 0 (or None to skip the timestamp "
            f"check), got {type(tolerance).__name__}."
        )
    if not tolerance >= 0:  # also refuses NaN
        raise ValidationError(
            f"tolerance must be a number of seconds >= 0 (or None to skip the timestamp "
            f"check), got {tolerance!r}."
        )


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    raise ValidationError(
        f"headers: each {what} must be a str or bytes, got {type(value).__name__}; pass the "
        "request's headers mapping (or its (name, value) pairs) as the framework gives them."
    )


def _read_headers(headers: object) -> dict[str, str]:
    """The three webhook headers, by lower-case name; a name given twice must agree."""
    if headers is None or isinstance(headers, (str, bytes, bytearray)):
        raise ValidationError(
            f"headers must be a mapping of the request's headers (or (name, value) pairs), "
            f"got {type(headers).__name__}."
        )
    items = getattr(headers, "items", None)
    pairs: Any = items() if callable(items) else headers
    found: dict[str, str] = {}
    try:
        for pair in pairs:
            name, value = pair
            lower = _text(name, "name").lower()
            if lower not in _WANTED:
                continue
            text = _text(value, "value")
            if found.setdefault(lower, text) != text:
                raise WebhookVerificationError(
                    f"Webhook verification failed: the {lower!r} header was given twice with "
                    "different values; a delivery carries it once.",
                    reason="duplicate_header",
                    header=lower,
                )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(
            f"headers must be a mapping of the request's headers (or (name, value) pairs), "
            f"got {type(headers).__name__} whose items are not pairs."
        ) from None
    return found


def _check_timestamp(stamp: str, tolerance: float | None, now: float) -> None:
    # Digits only: the value is signed as sent, so "+17", " 17" or "1.7e9" would be other
    # bytes than the sender's integer, and Standard Webhooks defines integer seconds.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_TIMESTAMP_DIGITS):
        raise WebhookVerificationError(
            f"Webhook verification failed: the 'webhook-timestamp' header is not a Unix time "
            f"in whole seconds ({len(stamp)} characters, expected up to "
            f"{_MAX_TIMESTAMP_DIGITS} digits).",
            reason="bad_timestamp",
            header=_TIMESTAMP,
        )
    if tolerance is None:
        return
    skew = now - int(stamp)
    if skew > tolerance:
        raise WebhookVerificationError(
            f"Webhook verification failed: the delivery's timestamp is {skew:.0f} s old, more "
            f"than the tolerance of {tolerance:g} s (a replay, or a delivery held up); check "
            "this machine's clock if every delivery fails so.",
            reason="timestamp_too_old",
            header=_TIMESTAMP,
        )
    if -skew > tolerance:
        raise WebhookVerificationError(
            f"Webhook verification failed: the delivery's timestamp is {-skew:.0f} s in the "
            f"future, more than the tolerance of {tolerance:g} s; check this machine's clock.",
            reason="timestamp_too_new",
            header=_TIMESTAMP,
        )


def _signature(key: bytes, webhook_id: str, stamp: str, body: bytes) -> bytes:
    """base64(HMAC-SHA256(key, ``id.timestamp.body``)), without copying the body."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(webhook_id.encode("utf-8", "surrogatepass"))
    mac.update(b".")
    mac.update(stamp.encode("ascii"))
    mac.update(b".")
    mac.update(body)
    return base64.b64encode(mac.digest())


def _check_signature(key: bytes, webhook_id: str, stamp: str, body: bytes, header: str) -> None:
    # The base64 text is compared, not the decoded bytes: lenient decoding would accept
    # variants of a signature (ignored characters, the final character's spare bits), and
    # Composio and Standard Webhooks both send canonical padded base64.
    given = [
        sig.encode("utf-8", "surrogatepass")
        for version, sep, sig in (entry.partition(",") for entry in header.split())
        if sep and version == "v1"
    ]
    if not given:
        raise WebhookVerificationError(
            "Webhook verification failed: the 'webhook-signature' header has no 'v1,<base64>' "
            "entry.",
            reason="no_valid_signature",
            header=_SIGNATURE,
        )
    expected = _signature(key, webhook_id, stamp, body)
    matched = False
    for sig in given:  # no early exit: the time taken says nothing about which entry matched
        matched |= hmac.compare_digest(sig, expected)
    if not matched:
        raise WebhookVerificationError(
            f"Webhook verification failed: none of the {len(given)} v1 signature(s) matches "
            "the body, id and timestamp under this secret (a wrong secret, or a body that was "
            "modified or re-serialised before verification).",
            reason="no_valid_signature",
            header=_SIGNATURE,
        )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise WebhookVerificationError(
            "Webhook verification failed: the body is correctly signed but is not JSON.",
            reason="not_json",
        ) from None
    if not isinstance(raw, dict):
        raise WebhookVerificationError(
            f"Webhook verification failed: the body is correctly signed JSON but a "
            f"{type(raw).__name__}, not an object; a trigger event is an object.",
            reason="not_object",
        )
    return raw


# --- the event ----------------------------------------------------------------------------


def _str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def _dict(mapping: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = mapping.get(key)
    return value if isinstance(value, dict) else None


#: The V2 ``data`` keys that identify the delivery rather than carry the trigger's payload.
_V2_ID_KEYS: Final = frozenset(
    {"connection_id", "connection_nano_id", "trigger_nano_id", "trigger_id", "user_id"}
)


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """One verified trigger delivery, the same whatever payload version Composio sent.

    ``id`` is the ``webhook-id`` header, which Standard Webhooks keep across retries, so
    it is the key to deduplicate on. ``raw`` is the whole parsed body; ``data`` the trigger's
    own payload. The other fields are ``None`` when the payload version does not carry them or
    carries a value of the wrong JSON type (tolerant parsing, as in :mod:`composio.models`).
    ``version`` is ``"V3"``, ``"V2"``, ``"V1"`` or ``None`` for a shape none of them has.

    Shapes, as the vendor SDKs define them (``python/composio/core/models/triggers.py``
    ``WebhookPayloadV1/V2/V3`` and ``ts/packages/core/src/types/triggers.types.ts``
    ``WebhookPayloadV*Schema`` in ComposioHQ/composio, read at 3e989ec of January 2026):

    - V3 (current): ``{"id", "timestamp", "type": "composio.trigger.message", "metadata":
      {"log_id", "trigger_slug", "trigger_id", "connected_account_id", "auth_config_id",
      "user_id"}, "data": {...}}``.
    - V2: ``{"type": "<trigger slug, lower case>", "timestamp", "log_id", "data":
      {"connection_id", "connection_nano_id", "trigger_nano_id", "trigger_id", "user_id",
      ...payload}}``: the slug is ``type`` upper-cased, the ids are the nano ids (the ones the
      API uses) when present, and ``data`` is the payload without those five keys -- as the
      vendor SDKs normalise it.
    - V1: ``{"trigger_name", "connection_id", "trigger_id", "payload", "log_id"}``: no type,
      no user.
    """

    id: str
    type: str | None
    trigger_slug: str | None
    trigger_id: str | None
    user_id: str | None
    connected_account_id: str | None
    # Bodies can be large and hold personal data: repr shows who and what, not the payload.
    data: Mapping[str, Any] | None = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)
    version: str | None = None

    def __hash__(self) -> int:
        # The JSON fields are dicts; equal events have equal ids, which is what sets of
        # delivered events are keyed by anyway.
        return hash(self.id)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, id: str) -> TriggerEvent:
        """Normalise a parsed payload of any known version; unknown shapes keep ``raw`` only."""
        if not isinstance(raw, Mapping):
            raise ValidationError(f"a trigger event is a JSON object, got {type(raw).__name__}")
        raw = raw if isinstance(raw, dict) else dict(raw)
        kind = _str(raw, "type")
        metadata = _dict(raw, "metadata")
        if kind == _V3_TYPE or metadata is not None:
            meta = metadata or {}
            return cls(
                id=id,
                type=kind,
                trigger_slug=_str(meta, "trigger_slug"),
                trigger_id=_str(meta, "trigger_id"),
                user_id=_str(meta, "user_id"),
                connected_account_id=_str(meta, "connected_account_id"),
                data=_dict(raw, "data"),
                raw=raw,
                version="V3",
            )
        if "trigger_name" in raw:
            return cls(
                id=id,
                type=None,
                trigger_slug=_str(raw, "trigger_name"),
                trigger_id=_str(raw, "trigger_id"),
                user_id=None,
                connected_account_id=_str(raw, "connection_id"),
                data=_dict(raw, "payload"),
                raw=raw,
                version="V1",
            )
        inner = _dict(raw, "data")
        if kind is not None and inner is not None and _V2_ID_KEYS & inner.keys():
            return cls(
                id=id,
                type=kind,
                trigger_slug=kind.upper(),
                trigger_id=_str(inner, "trigger_nano_id") or _str(inner, "trigger_id"),
                user_id=_str(inner, "user_id"),
                connected_account_id=(
                    _str(inner, "connection_nano_id") or _str(inner, "connection_id")
                ),
                data={k: v for k, v in inner.items() if k not in _V2_ID_KEYS},
                raw=raw,
                version="V2",
            )
        return cls(
            id=id,
            type=kind,
            trigger_slug=None,
            trigger_id=None,
            user_id=None,
            connected_account_id=None,
            data=inner,
            raw=raw,
            version=None,
        )
