"""The value a ``composio_retry_decision`` plugin returns."""

from __future__ import annotations

import math
from dataclasses import dataclass

from composio.errors import ValidationError

__all__ = ["RetryDecision"]


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """``retry=False`` stops now; ``retry=True`` retries after ``wait`` seconds (or the default
    backoff when ``wait`` is None). The retry limit, total deadline and retry budget still apply:
    a plugin can make the SDK retry *less* or *differently*, never unboundedly."""

    retry: bool
    wait: float | None = None
    reason: str = "plugin"

    def __post_init__(self) -> None:
        if self.wait is not None and (not math.isfinite(self.wait) or self.wait < 0):
            raise ValidationError("RetryDecision(wait=...) must be a finite number >= 0.")

    @classmethod
    def stop(cls, reason: str = "plugin") -> RetryDecision:
        return cls(False, None, reason)

    @classmethod
    def after(cls, wait: float | None = None, reason: str = "plugin") -> RetryDecision:
        return cls(True, wait, reason)
