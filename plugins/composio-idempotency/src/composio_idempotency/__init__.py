"""An ``Idempotency-Key`` for every tool execution, so that its retries are safe.

A tool execution is a POST: the SDK does not retry a 5xx or a lost answer on it, because the
tool may already have run (an email sent twice is worse than an error). With a key, the server
runs the tool once per key and replays the stored result for a repeat, so the retry middleware
may retry. The key is set in the CALL stage, which runs once per operation, *outside* the
retry stage: every attempt of one call carries the same key, and two calls never share one.

Which requests are tool executions is the SDK's to say, not a list of operation names here:
the one execution path marks each one (``request.context.tool`` is the tool's slug) whatever
the operation -- ``tools.execute``, each call of ``tools.handle_tool_calls``,
``tool_router.execute``... (issue 16: keyed on ``"tools.execute"``, the executions of
``handle_tool_calls`` got no key and their 503s were not retried).

A key the caller already set (``extra_headers``, a session, ``default_headers``) is used, but
on a tool execution it is *scoped to that execution*: ``<key>.<digest>``, the digest a hash of
the tool's slug and its request body. Why: those layers are shared -- a session's headers, or
the ``extra_headers`` of one ``handle_tool_calls`` turn, reach every execution under them, and
one key sent for two different executions makes the server run the first and replay its
result for the second (review of issue 16: ``MATH_ADD`` 1+1 and 5+5 both answered 2). The
scoped key is still the same for every attempt and for a caller's repeat of the very same
call, which is what a caller's key is for. A call that passes
``extra_headers={"Idempotency-Key": None}`` opts out: it gets no key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence

from composio import CallNext, ClientConfig, Middleware, Request, Response, Stage, hookimpl

__all__ = [
    "DEFAULT_OPERATIONS",
    "HEADER",
    "IdempotencyKeyMiddleware",
    "composio_middlewares",
]

#: The name this plugin is registered and blocked under (``COMPOSIO_BLOCKED_PLUGINS``).
composio_plugin_name = "composio-idempotency"
HEADER = "Idempotency-Key"
_LOWER = HEADER.lower()
#: Operations that get a key besides the tool executions (which always do): none by default.
DEFAULT_OPERATIONS: frozenset[str] = frozenset()


class IdempotencyKeyMiddleware:
    """CALL stage, after ``call-headers`` (500): it sees every header layer and sets the key
    only where none of them did."""

    name = "idempotency-key"
    stage = Stage.CALL
    order = 600
    __slots__ = ("_operations",)

    def __init__(self, operations: Iterable[str] = DEFAULT_OPERATIONS) -> None:
        self._operations = frozenset(operations)

    def on_request(self, request: Request) -> None:
        """Sans-I/O: ``Composio`` and ``AsyncComposio`` both run it (SPEC §13)."""
        ctx = request.context
        if ctx.tool is None and ctx.operation not in self._operations:
            return
        given = request.headers.get(HEADER)
        if given is not None:
            if ctx.tool is not None:  # a shared layer's key: one per execution (module doc)
                request.headers[HEADER] = f"{given}.{_execution_digest(ctx.tool, request)}"
        # ``_LOWER in call_layer`` with no header on the request means the call removed it
        # (``None``): an explicit opt-out.
        elif _LOWER not in ctx.call_layer:
            request.headers[HEADER] = str(uuid.uuid4())

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        self.on_request(request)
        return call_next(request)

    def __repr__(self) -> str:
        return f"IdempotencyKeyMiddleware(operations={sorted(self._operations)!r})"


def _execution_digest(tool: str, request: Request) -> str:
    """What one execution is: the tool and its body (the JSON the one execution path built,
    already checked to be plain JSON), canonically encoded."""
    body = json.dumps(request.json, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{tool}\0{body}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


@hookimpl
def composio_middlewares(config: ClientConfig) -> Sequence[Middleware]:
    return [IdempotencyKeyMiddleware()]
