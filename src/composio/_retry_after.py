"""Parse the server's wait hint: ``retry-after-ms``, else ``Retry-After`` (seconds or date).

Anything that is not a finite, non-negative number of seconds (garbage, NaN, negative, an
unparseable date) is treated as "no hint", never as an error: a malformed header from a proxy
must not turn a retryable 429 into a crash. A date in the past means "now" (0).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after"]

#: Longer header values are not hints (and are not worth parsing).
_MAX_LEN = 64


def _number(text: str) -> float | None:
    # float() accepts "1_0", " nan", "infinity" and full-width digits; only plain decimal
    # notation is a delay-seconds value.
    if not text or not all(c in "0123456789.eE+-" for c in text):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _date(raw: str, now: Callable[[], float]) -> float | None:
    try:
        when = parsedate_to_datetime(raw)
        if when is None:
            return None
        if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are GMT (RFC 9110 §5.6.7)
            when = when.replace(tzinfo=timezone.utc)
        delta = when.timestamp() - now()
    except Exception:  # the stdlib date parser raises a zoo of types on odd input
        return None
    if not math.isfinite(delta):
        return None
    return max(0.0, delta)


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait, or ``None`` when the response gave no usable hint."""
    ms = headers.get("retry-after-ms")
    if isinstance(ms, str) and len(ms) <= _MAX_LEN:
        value = _number(ms.strip())
        if value is not None:
            return value / 1000.0
    raw = headers.get("retry-after")
    if not isinstance(raw, str) or len(raw) > _MAX_LEN:
        return None
    raw = raw.strip()
    if not raw:
        return None
    value = _number(raw)
    if value is not None:
        return value
    return _date(raw, now)
