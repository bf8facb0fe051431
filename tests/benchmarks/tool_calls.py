"""CPU cost of ``tools.handle_tool_calls`` beyond the executions themselves (SPEC §15).

``python -m tests.benchmarks.tool_calls [--rounds N]``

The same two executions are made two ways against one in-process LocalServer: by
``handle_tool_calls`` on a Chat Completions response with two tool calls, and by two plain
``tools.execute`` calls. Process CPU time (client and server threads alike) is measured for
each; the server's work is the same in both, so the difference per turn is what the loop adds:
parsing, the per-call flows, the error-result rules, formatting. Reported with and without a
plugin implementing the tool hooks (then a toolkit is needed: cached after the first turn),
and for a custom tool (no HTTP at all). The guardrails plugin's per-execution cost is
measured the same way when the package is importable.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

from composio import Composio, custom_tool, hookimpl
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
    """Microseconds of process CPU per call of ``fn`` (best of 3 runs of ``rounds``)."""
    for _ in range(20):
        fn()
    best = float("inf")
    for _ in range(3):
        gc.collect()
        t0 = time.process_time()
        for _ in range(rounds):
            fn()
        best = min(best, (time.process_time() - t0) / rounds)
    return best * 1e6


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

            handled = cpu_per_turn(loop, rounds)
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
        try:
            from composio_guardrails import Guardrails
        except ImportError:
            return out
        for label, plugins in (("without", []), ("with", [Guardrails(env={})])):
            client = Composio(**settings, plugins=plugins)
            out[f"execute_{label}_guardrails_us"] = cpu_per_turn(
                lambda client=client: client.tools.execute(
                    "MATH_ADD", {"a": 1, "b": 2}, user_id="u"
                ),
                rounds,
            )
            client.close()
        out["guardrails_per_execution_us"] = (
            out["execute_with_guardrails_us"] - out["execute_without_guardrails_us"]
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps({k: round(v, 1) for k, v in measure(args.rounds).items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
