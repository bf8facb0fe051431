"""The per-root-client retry budget (SPEC §5). Stub: the retry issue fills it in."""

from __future__ import annotations

__all__ = ["RetryBudget"]


class RetryBudget:
    """Retries may not exceed 20% of recent requests plus 10 per second."""

    def __init__(self, ratio: float = 0.2, per_second: float = 10.0) -> None:
        self.ratio = ratio
        self.per_second = per_second

    def record_request(self) -> None:
        """Count one attempt (first or retry)."""

    def try_spend(self) -> bool:
        """Take one retry from the budget; ``False`` when it is spent."""
        return True
