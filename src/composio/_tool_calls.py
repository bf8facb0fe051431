"""What ``tools.handle_tool_calls`` (SPEC §15) shares between the two clients' drivers.

Each tool call of a turn is one flow built by ``composio._ops.tool_calls``, and each flow runs
its execution through the one execution path, ``composio._ops.execution.run_tool``: the
checks on what the model sent and what the tool returned, the call's modifiers, then the
plugins' hooks, the request marker. There is deliberately no second set of "steps" for a
loop written by hand (there was, and it could drift from ``run_tool``: review of issue 16);
such a loop calls ``tools.execute(..., raise_on_error=False)``, which takes the same path.
"""

from __future__ import annotations

__all__ = ["MAX_PARALLEL"]

#: SPEC §15: ``parallel=True`` runs at most this many calls at once.
MAX_PARALLEL = 8
