"""A team's retry policy, written against the ``composio_retry_decision`` hook.

Two rules a platform team typically adds on top of the SDK's built-in ones:

* **Fail fast on request.** A call that carries ``x-no-retry`` (any value but ``0``/``false``)
  is never retried: a health check or an interactive request would rather fail now than wait
  through backoff. (The header travels to the server, which ignores it.)
* **Retry 409 Conflict.** The SDK does not retry a 409, as the API does not promise that a
  conflict is transient. Behind a store with optimistic concurrency it usually is: the
  conflicting writer finishes within milliseconds. A 409 is an answer that nothing was done,
  so retrying it is safe for every method. The wait is short and fixed; the call's
  ``max_retries``, total timeout and the client's retry budget still bound it.

Everything else returns ``None``: the built-in rules decide. The hook is ``firstresult``, so a
plugin registered later (for example ``Composio(plugins=[RetryPolicy(...)])``) is asked before
the packaged default.
"""

from __future__ import annotations

from composio import Request, Response, RetryDecision, hookimpl

__all__ = ["NO_RETRY_HEADER", "RetryPolicy", "default_policy"]

NO_RETRY_HEADER = "x-no-retry"
_FALSE = frozenset({"", "0", "false", "no", "off"})


class RetryPolicy:
    """``conflict_wait`` seconds before retrying a 409 (``None`` turns that rule off);
    ``conflict_operations`` limits it to some operations (``None``: all)."""

    def __init__(
        self,
        *,
        conflict_wait: float | None = 0.1,
        conflict_operations: frozenset[str] | None = None,
        name: str = "retry-policy",
    ) -> None:
        if conflict_wait is not None and not conflict_wait >= 0:
            raise ValueError("conflict_wait must be a number of seconds >= 0, or None")
        self.conflict_wait = conflict_wait
        self.conflict_operations = conflict_operations
        #: The name it is registered and blocked under.
        self.composio_plugin_name = name

    @hookimpl
    def composio_retry_decision(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        attempt: int,
    ) -> RetryDecision | None:
        flag = request.headers.get(NO_RETRY_HEADER)
        if flag is not None and flag.strip().lower() not in _FALSE:
            return RetryDecision.stop(f"{NO_RETRY_HEADER} header")
        if (
            self.conflict_wait is not None
            and response is not None
            and response.status_code == 409
            and (
                self.conflict_operations is None
                or request.context.operation in self.conflict_operations
            )
        ):
            return RetryDecision.after(self.conflict_wait, "409 Conflict")
        return None

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(conflict_wait={self.conflict_wait!r}, "
            f"conflict_operations={self.conflict_operations!r})"
        )


#: What the entry point registers (as ``composio-retry-policy``).
default_policy = RetryPolicy(name="composio-retry-policy")
