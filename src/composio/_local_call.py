"""A flow's instruction to run a custom tool in this process, through the CALL stage.

``tools.execute`` of a custom tool sends no HTTP, yet CALL-stage middlewares (telemetry,
header policies, an enterprise audit middleware) must see it like any operation: the driver
prepares the operation's request as usual, then runs only the CALL-stage middlewares around
a terminal that calls the function instead of the transport (SPEC §15). The terminal answers
with a :class:`LocalResponse`: status 200 and the execution's JSON, as the API would answer,
carrying the :class:`~composio.models.ToolExecution` itself so nothing is lost in a round
trip through JSON (a custom tool may return values JSON cannot hold).

Kept apart from the tool layer so the clients can import it without importing that layer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from composio.pipeline import Request, Response

if TYPE_CHECKING:
    from composio._operation import Operation
    from composio.custom_tools import CustomTool
    from composio.models import ToolExecution

__all__ = ["LocalCall", "LocalResponse"]

_JSON = {"content-type": "application/json"}


class LocalResponse(Response):
    """The answer of a local execution: what the API would send, plus the execution."""

    __slots__ = ("execution",)

    def __init__(self, request: Request, execution: ToolExecution, elapsed: float) -> None:
        from composio.providers._calls import dumps

        body = {
            "data": dict(execution.data) if execution.data is not None else {},
            "error": execution.error,
            "successful": execution.successful,
            "log_id": execution.log_id,
        }
        super().__init__(
            request,
            None,
            dumps(body).encode(),
            elapsed,
            status_code=200,
            headers=_JSON,
        )
        self.execution = execution


class LocalCall:
    """Run ``tool`` with ``arguments`` as the operation ``op`` (its request, its name).

    ``account`` is the connected account a toolkit-bound tool's proxy uses (``None`` for a
    tool without a :class:`~composio.custom_tools.ToolProxy` parameter).
    """

    __slots__ = ("account", "arguments", "op", "tool")

    def __init__(
        self,
        op: Operation[ToolExecution],
        tool: CustomTool,
        arguments: Mapping[str, Any],
        account: str | None,
    ) -> None:
        self.op = op
        self.tool = tool
        self.arguments = arguments
        self.account = account

    def respond(self, request: Request, execution: ToolExecution, started: float) -> Response:
        return LocalResponse(request, execution, time.perf_counter() - started)

    def __repr__(self) -> str:
        return f"<LocalCall {self.op.name} {self.tool.slug}>"
