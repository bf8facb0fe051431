"""The receiving side: check a signed request, its clock skew and that it is not a replay.

The order of the checks matters: the nonce is remembered only *after* the signature is found
valid, so that nobody without the key can fill the replay cache; and the signature is
compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

from composio import ComposioError, ValidationError
from composio_request_signing._canonical import (
    CONTENT_HEADER,
    KEY_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    SIGNED_HEADERS_HEADER,
    TIMESTAMP_HEADER,
    canonical_query,
    signature,
    string_to_sign,
)
from composio_request_signing._key import parse_key

__all__ = ["NonceCache", "SignatureError", "Verifier", "verify"]

_SIG = re.compile(r"^v1=[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9a-z]+$")

Query = str | Mapping[str, Sequence[str]] | Iterable[tuple[str, str]]
Keys = bytes | str | Mapping[str, bytes | str]


class SignatureError(ComposioError):
    """A request failed verification. ``reason`` is one of ``missing``, ``malformed``,
    ``unknown_key``, ``skew``, ``body_digest``, ``mismatch``, ``unsigned_header``, ``replay``,
    ``capacity``. The message never contains the key or the signature."""

    reason: str

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"request signature rejected ({reason}): {message}")
        self.reason = reason


class NonceCache:
    """The nonces seen inside the replay window, bounded to ``capacity`` entries.

    Each nonce is kept until its request's timestamp leaves the skew window (after which the
    timestamp check refuses it anyway), so memory is bounded by the request rate times the
    window. When the cache is full of live nonces, new requests are *refused* (reason
    ``capacity``) rather than evicting a live nonce, which would re-open a replay hole: size it
    above your peak requests per ``2 * max_skew`` seconds. Thread-safe.
    """

    __slots__ = ("_expiry", "_lock", "_seen", "capacity")

    def __init__(self, capacity: int = 100_000) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValidationError("NonceCache(capacity=...) must be an int >= 1.")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._expiry: list[tuple[float, str]] = []  #: a heap of (forget after, nonce)

    def add(self, nonce: str, keep_until: float, now: float) -> str | None:
        """Remember ``nonce``; ``None`` if it is new, else ``"replay"`` or ``"capacity"``."""
        with self._lock:
            expiry, seen = self._expiry, self._seen
            while expiry and expiry[0][0] < now:
                seen.discard(heapq.heappop(expiry)[1])
            if nonce in seen:
                return "replay"
            if len(seen) >= self.capacity:
                return "capacity"
            seen.add(nonce)
            heapq.heappush(expiry, (keep_until, nonce))
            return None

    def __len__(self) -> int:
        return len(self._seen)


def _pairs(query: Query) -> list[tuple[str, str]]:
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, Mapping):
        return [(k, v) for k, values in query.items() for v in values]
    return list(query)


def _keys(keys: Keys) -> dict[str, bytes] | bytes:
    if isinstance(keys, Mapping):
        if not keys:
            raise ValidationError("verify: the key mapping is empty.")
        return {str(kid): parse_key(k, f"verify key {kid!r}") for kid, k in keys.items()}
    return parse_key(keys, "verify(key=...)")


def _verify(
    keys: dict[str, bytes] | bytes,
    nonces: NonceCache | None,
    max_skew: float,
    now: float,
    method: str,
    path: str,
    query: Query,
    body: bytes,
    headers: Mapping[str, str],
    required: Collection[str],
) -> None:
    h = {k.lower(): v for k, v in headers.items()}
    sig, ts, nonce = h.get(SIGNATURE_HEADER), h.get(TIMESTAMP_HEADER), h.get(NONCE_HEADER)
    missing = [
        n
        for n, v in ((SIGNATURE_HEADER, sig), (TIMESTAMP_HEADER, ts), (NONCE_HEADER, nonce))
        if not v
    ]
    if missing:
        raise SignatureError("missing", f"no {', '.join(missing)} header.")
    assert sig is not None and ts is not None and nonce is not None
    if not _SIG.match(sig) or not _TIMESTAMP.match(ts) or not _NONCE.match(nonce):
        raise SignatureError(
            "malformed",
            "expected 'v1=<64 hex>' signature, integer seconds timestamp, 32-hex nonce.",
        )
    key_id = h.get(KEY_ID_HEADER, "")
    if isinstance(keys, dict):
        found = keys.get(key_id)
        if found is None:
            raise SignatureError("unknown_key", f"key id {key_id[:40]!r} is not configured.")
        key = found
    else:
        key = keys
    skew = now - int(ts)
    if abs(skew) > max_skew:
        raise SignatureError(
            "skew",
            f"timestamp is {abs(skew):.0f}s {'old' if skew > 0 else 'in the future'}; at most "
            f"{max_skew:g}s is accepted (check both clocks).",
        )
    digest = hashlib.sha256(body).hexdigest()
    claimed = h.get(CONTENT_HEADER)
    if claimed is not None and not hmac.compare_digest(claimed, digest):
        raise SignatureError("body_digest", "the body does not match its SHA-256 header.")
    names_raw = h.get(SIGNED_HEADERS_HEADER, "")
    names = names_raw.split(";") if names_raw else []
    if any(not _NAME.match(n) for n in names):
        raise SignatureError("malformed", "the signed-headers list is not lower-case names.")
    message = string_to_sign(
        method,
        path.split("?", 1)[0],
        canonical_query(_pairs(query)),
        digest,
        ts,
        nonce,
        key_id,
        [(n, h.get(n) or "") for n in names],
    )
    if not hmac.compare_digest(signature(key, message), sig):
        raise SignatureError(
            "mismatch", "the signature does not match the request (tampered, or the wrong key)."
        )
    absent = [n for n in required if n.lower() not in names]
    if absent:
        raise SignatureError("unsigned_header", f"headers {absent} must be signed.")
    if nonces is not None:
        problem = nonces.add(nonce, int(ts) + max_skew, now)
        if problem == "replay":
            raise SignatureError("replay", "this nonce was already used inside the window.")
        if problem == "capacity":
            raise SignatureError(
                "capacity",
                f"the replay cache is full ({nonces.capacity} live nonces); refusing rather "
                "than forgetting one. Raise NonceCache(capacity=...).",
            )


def verify(
    method: str,
    path: str,
    query: Query,
    body: bytes,
    headers: Mapping[str, str],
    *,
    key: Keys,
    nonces: NonceCache | None,
    max_skew: float = 300.0,
    now: float | None = None,
    required_headers: Collection[str] = (),
) -> None:
    """Raise :class:`SignatureError` unless the request is signed with ``key``, fresh and new.

    ``path`` is the path as received (percent-encoded; a ``?query`` on it is ignored, pass the
    query separately); ``query`` a raw query string, a ``parse_qs``-style mapping or pairs;
    ``body`` the raw bytes. ``key``: one key, or ``{key_id: key}`` during a rotation.
    ``nonces``: the replay cache (``None`` turns replay protection off, on purpose only).
    ``max_skew`` seconds both ways; it is also the replay window. ``required_headers`` must be
    among the signed headers. For repeated use, :class:`Verifier` parses the keys once.
    """
    _verify(
        _keys(key),
        nonces,
        float(max_skew),
        time.time() if now is None else now,
        method,
        path,
        query,
        body,
        headers,
        required_headers,
    )


class Verifier:
    """``verify`` with its keys parsed once, its own bounded :class:`NonceCache` and a clock
    (Unix seconds; injectable for tests). Thread-safe."""

    __slots__ = ("_clock", "_keys", "_max_skew", "_required", "nonces")

    def __init__(
        self,
        key: Keys,
        *,
        max_skew: float = 300.0,
        nonce_capacity: int = 100_000,
        required_headers: Collection[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(max_skew, bool) or not isinstance(max_skew, (int, float)) or max_skew <= 0:
            raise ValidationError("Verifier(max_skew=...) must be a positive number of seconds.")
        self._keys = _keys(key)
        self._max_skew = float(max_skew)
        self._required = tuple(required_headers)
        self._clock = clock
        self.nonces = NonceCache(nonce_capacity)

    def verify(
        self,
        method: str,
        path: str,
        query: Query,
        body: bytes,
        headers: Mapping[str, str],
    ) -> None:
        _verify(
            self._keys,
            self.nonces,
            self._max_skew,
            self._clock(),
            method,
            path,
            query,
            body,
            headers,
            self._required,
        )

    def __repr__(self) -> str:
        ids = sorted(self._keys) if isinstance(self._keys, dict) else None
        return f"Verifier(key='***', key_ids={ids!r}, max_skew={self._max_skew:g})"
