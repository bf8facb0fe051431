"""``handle_tool_calls(parallel=True)``: really concurrent, never more than 8 at once, results
in call order (SPEC §15), on both clients.

Proven with a server-side gate, not with timing: the gate server holds every execution until
the test releases it, and counts how many are inside at once. Twelve calls must put exactly
eight inside together (so they are concurrent, and capped); releasing them in reverse order
of arrival makes them complete out of order, and the answers must still be in call order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver

API_KEY = "sk_gate_test"


class Gate:
    """Holds each execution (keyed by its ``i`` argument) until released; counts who is in."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.inside: list[int] = []  # arrival order of the held executions
        self.released: set[int] = set()
        self.max_inside = 0
        self.paths: list[str] = []

    def hold(self, i: int) -> None:
        with self.cond:
            self.inside.append(i)
            self.max_inside = max(self.max_inside, len(self.inside))
            self.cond.notify_all()
            if not self.cond.wait_for(lambda: i in self.released, timeout=30):
                raise TimeoutError(f"execution {i} never released")
            self.inside.remove(i)
            self.cond.notify_all()

    def release(self, i: int) -> None:
        with self.cond:
            self.released.add(i)
            self.cond.notify_all()

    def release_all(self) -> None:
        with self.cond:
            self.released.update(range(1000))
            self.cond.notify_all()


@pytest.fixture
def gate() -> Iterator[tuple[Gate, str]]:
    state = Gate()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with state.cond:
                state.paths.append(self.path)
            i = int(body["arguments"]["i"])
            state.hold(i)
            raw = json.dumps({"successful": True, "data": {"i": i}, "error": None}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        state.release_all()
        server.shutdown()
        server.server_close()


def calls(n: int) -> dict[str, Any]:
    return {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": f"c{i}",
                            "type": "function",
                            "function": {"name": "MATH_ADD", "arguments": json.dumps({"i": i})},
                        }
                        for i in range(n)
                    ],
                }
            }
        ]
    }


def in_background(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed to the test thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_parallel_runs_eight_at_once_and_answers_in_call_order(
    driver: Driver, gate: tuple[Gate, str]
) -> None:
    state, url = gate
    client = driver.client(api_key=API_KEY, base_url=url, allow_tracking=False)
    thread, out = in_background(
        lambda: client.tools.handle_tool_calls("u", calls(12), parallel=True)
    )
    with state.cond:
        assert state.cond.wait_for(lambda: len(state.inside) == 8, timeout=20), state.inside
        # Eight are held inside the server; a ninth must not be sent until one finishes.
        assert not state.cond.wait_for(lambda: len(state.inside) > 8, timeout=0.3)
        first_eight = list(state.inside)
    for i in reversed(first_eight):  # complete them in reverse order of arrival
        state.release(i)
        with state.cond:
            assert state.cond.wait_for(lambda i=i: i not in state.inside, timeout=20)
    state.release_all()
    thread.join(30)
    assert "error" not in out, out.get("error")
    answers = out["value"]
    assert [m["tool_call_id"] for m in answers] == [f"c{i}" for i in range(12)]
    assert [json.loads(m["content"]) for m in answers] == [{"i": i} for i in range(12)]
    assert state.max_inside == 8
    assert len(state.paths) == 12


def test_without_parallel_the_calls_run_one_by_one(driver: Driver, gate: tuple[Gate, str]) -> None:
    state, url = gate
    client = driver.client(api_key=API_KEY, base_url=url, allow_tracking=False)
    thread, out = in_background(lambda: client.tools.handle_tool_calls("u", calls(3)))
    for i in range(3):
        with state.cond:
            assert state.cond.wait_for(lambda i=i: state.inside == [i], timeout=20), state.inside
        state.release(i)
    thread.join(30)
    assert [m["tool_call_id"] for m in out["value"]] == ["c0", "c1", "c2"]
    assert state.max_inside == 1


def test_a_parallel_error_is_raised_after_the_other_calls_ended(driver: Driver) -> None:
    """An error the model cannot fix (here 401) propagates; no call is left running."""
    with LocalServer() as server:
        client = driver.client(
            api_key=server.api_key, base_url=server.url, allow_tracking=False, max_retries=0
        )
        server.fail_next("/api/v3.1/tools/execute/MATH_ADD", [401])
        response = calls(1)
        response["choices"][0]["message"]["tool_calls"] += [
            {
                "id": f"d{i}",
                "type": "function",
                "function": {"name": "MATH_MULTIPLY", "arguments": '{"a": 2, "b": 3}'},
            }
            for i in range(4)
        ]
        from composio import AuthenticationError

        with pytest.raises(AuthenticationError):
            client.tools.handle_tool_calls("u", response, parallel=True)
        # The client stays usable afterwards.
        again = client.tools.handle_tool_calls("u", calls(0), parallel=True)
        assert again == []
