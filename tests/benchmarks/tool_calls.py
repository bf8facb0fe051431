"""CPU cost of ``tools.handle_tool_calls`` beyond the executions themselves (SPEC §15).

``python -m tests.benchmarks.tool_calls [--rounds N]``

The same two executions are made two ways against one in-process LocalServer: by
``handle_tool_calls`` on a Chat Completions response with two tool calls, and by two plain
``tools.execute`` calls. CPU time is measured for
each on the calling thread only (``time.thread_time``: the server's threads are not counted);
the executions' own client work is the same in both, so the difference per turn is what the
loop adds:
parsing, the per-call flows, the error-result rules, formatting. Reported with and without a
plugin implementing the tool hooks (then a toolkit is needed: cached after the first turn),
and for a custom tool (no HTTP at all). ``loop_only`` is the loop's own work measured
directly (each operation answered with a prepared result instead of the chain): the
end-to-end difference is within the noise of two loopback calls. The guardrails plugin's two
hooks are timed directly when the package is importable.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

from composio import Composio, custom_tool, hookimpl
from composio._sentinel import NOT_GIVEN
from composio.testing import LocalServer

RESPONSE = {
    "choices": [
        {
            "message": {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "MATH_ADD", "arguments": '{"a": 1, "b": 2}'},
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "MATH_MULTIPLY", "arguments": '{"a": 3, "b": 4}'},
                    },
                ],
            }
        }
    ]
}


@custom_tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Passthrough:
    """A plugin implementing the three tool hooks and changing nothing."""

    @hookimpl
    def composio_before_execute(self, params: Any) -> None:
        return None

    @hookimpl
    def composio_after_execute(self, result: Any) -> None:
        return None


def cpu_per_turn(fn: Callable[[], object], rounds: int) -> float:
    """Microseconds of this thread's CPU per call of ``fn`` (best of 5 runs of ``rounds``)."""
    for _ in range(20):
        fn()
    best = float("inf")
    for _ in range(5):
        gc.collect()
        t0 = time.thread_time()
        for _ in range(rounds):
            fn()
        best = min(best, (time.thread_time() - t0) / rounds)
    return best * 1e6


def loop_only(client: Composio) -> object:
    """What handle_tool_calls adds, without the executions: the batch is built and each flow
    driven as the client drives it, but every operation is answered with a prepared result
    instead of running through the chain and the transport (toolkits must be cached)."""
    from composio._ops import tool_calls
    from composio.models import ToolExecution

    done = ToolExecution(successful=True, data={"result": 3})
    batch = tool_calls.handle_tool_calls(
        client._built.tool_env,
        "u",
        RESPONSE,
        modifiers=None,
        parallel=False,
        extra_headers=None,
        timeout=NOT_GIVEN,
    )
    results = []
    for flow in batch.flows:
        try:
            next(flow)
            while True:  # each step is an operation built as for a real run
                flow.send(done)
        except StopIteration as end:
            results.append(end.value)
    return batch.format(results)


def measure(rounds: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with LocalServer() as server:
        settings: dict[str, Any] = {
            "api_key": server.api_key,
            "base_url": server.url,
            "allow_tracking": False,
            "allow_tracing": False,
        }
        for label, extra in (("", {}), ("_with_hook_plugin", {"plugins": [Passthrough()]})):
            client = Composio(**settings, **extra)

            def loop(client: Composio = client) -> object:
                return client.tools.handle_tool_calls("u", RESPONSE)

            def two_executes(client: Composio = client) -> object:
                client.tools.execute("MATH_ADD", {"a": 1, "b": 2}, user_id="u")
                return client.tools.execute("MATH_MULTIPLY", {"a": 3, "b": 4}, user_id="u")

            handled = cpu_per_turn(loop, rounds)  # its warm-up fills the toolkit cache
            out[f"loop_only{label}_us"] = cpu_per_turn(
                lambda client=client: loop_only(client), rounds * 10
            )
            plain = cpu_per_turn(two_executes, rounds)
            out[f"handle_tool_calls{label}_us"] = handled
            out[f"two_executes{label}_us"] = plain
            out[f"overhead{label}_us"] = handled - plain
            client.close()
        client = Composio(**settings, custom_tools=[add])
        local = {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": f"c{i}",
                                "type": "function",
                                "function": {"name": "ADD", "arguments": '{"a": 1, "b": 2}'},
                            }
                            for i in range(2)
                        ],
                    }
                }
            ]
        }
        out["handle_tool_calls_two_custom_tools_us"] = cpu_per_turn(
            lambda: client.tools.handle_tool_calls("u", local), rounds
        )
        client.close()
    out.update(guardrails_hooks(rounds))
    return out


def guardrails_hooks(rounds: int) -> dict[str, float]:
    """CPU of composio-guardrails' two hooks per execution (when the package is importable):
    the hooks are called directly, since their cost is below the noise of a loopback call."""
    try:
        from composio_guardrails import Guardrails
    except ImportError:
        return {}
    from composio import ExecuteRequest, ToolExecution

    guard = Guardrails(
        block=["*_DELETE_*"], require_approval=["GMAIL_SEND_*"], approve=lambda *a: True, env={}
    )
    request = ExecuteRequest({"owner": "acme", "repo": "api", "title": "t", "body": "x" * 200})
    issue = {
        "id": 123,
        "title": "flaky test",
        "body": "Reported by jane@example.com, call +1 415 555 0123",
        "labels": ["bug", "ci"],
        "user": {"login": "octocat", "id": 583231},
        "url": "https://api.github.com/repos/acme/api/issues/123",
    }
    small = ToolExecution(successful=True, data={"result": 5})
    one = ToolExecution(successful=True, data=issue)
    fifty = ToolExecution(successful=True, data={"items": [dict(issue) for _ in range(50)]})
    return {
        "guardrails_before_execute_us": cpu_per_turn(
            lambda: guard.composio_before_execute("GITHUB_CREATE_ISSUE", "github", request),
            rounds * 10,
        ),
        "guardrails_after_execute_small_result_us": cpu_per_turn(
            lambda: guard.composio_after_execute(small), rounds * 10
        ),
        "guardrails_after_execute_one_issue_us": cpu_per_turn(
            lambda: guard.composio_after_execute(one), rounds * 10
        ),
        "guardrails_after_execute_fifty_issues_us": cpu_per_turn(
            lambda: guard.composio_after_execute(fifty), rounds
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps({k: round(v, 1) for k, v in measure(args.rounds).items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
