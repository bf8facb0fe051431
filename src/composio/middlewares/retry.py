"""The ``retry`` slot (SPEC §5). First cut: one attempt, ``x-retry-count: 0``.

The full rules (tenacity, idempotency classes, Retry-After, budget) land with the retry issue.
"""

from __future__ import annotations

from typing import Any

from composio.config import ClientConfig
from composio.pipeline import CallNext, Request, Response, Stage


class RetryMiddleware:
    name = "retry"
    stage = Stage.RETRY
    order = 0

    def __init__(self, config: ClientConfig, hook: Any, budget: Any) -> None:
        self._hook = hook
        self._budget = budget

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        request.headers["x-retry-count"] = "0"
        return call_next(request)
