"""The value a ``composio_retry_decision`` plugin returns."""

from __future__ import annotations

import math

from composio._value import Value
from composio.errors import ValidationError

__all__ = ["RetryDecision"]


class RetryDecision(Value):
    """``retry=False`` stops now; ``retry=True`` retries after ``wait`` seconds (or the default
    backoff when ``wait`` is None). The retry limit, total deadline and retry budget still apply:
    a plugin can make the SDK retry *less* or *differently*, never unboundedly."""

    __slots__ = ("reason", "retry", "wait")
    retry: bool
    wait: float | None
    reason: str

    def __init__(self, retry: bool, wait: float | None = None, reason: str = "plugin") -> None:
        if wait is not None and (
            isinstance(wait, bool)
            or not isinstance(wait, (int, float))
            or not math.isfinite(wait)
            or wait < 0
        ):
            raise ValidationError("RetryDecision(wait=...) must be a finite number >= 0.")
        object.__setattr__(self, "retry", bool(retry))
        object.__setattr__(self, "wait", None if wait is None else float(wait))
        object.__setattr__(self, "reason", reason)

    @classmethod
    def stop(cls, reason: str = "plugin") -> RetryDecision:
        return cls(False, None, reason)

    @classmethod
    def after(cls, wait: float | None = None, reason: str = "plugin") -> RetryDecision:
        return cls(True, wait, reason)
