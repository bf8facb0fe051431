"""Gemini through ``google-genai``'s own client (SPEC §17: non-agentic, like §15).

The user's loop: ``generate_content`` with the tools, ``handle_tool_calls`` on the response,
the ``function_response`` parts back in the next request. The Gemini API is a loopback
server that scripts the model and records what the SDK really sent -- the vendor's provider
once sent no tools at all (its PR #3839), which only the wire shows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver
from tests.frameworks.conftest import Spy, check_executed, framework, session

framework("google.genai")

from google import genai  # noqa: E402
from google.genai import types  # noqa: E402

from composio.providers.google import GoogleProvider  # noqa: E402

Reply = Callable[[dict[str, Any]], dict[str, Any]]


class FakeGemini:
    """``POST .../models/{model}:generateContent`` on loopback: ``reply(body)`` answers each
    request (the model's turn); every request body is kept."""

    def __init__(self, reply: Reply) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                outer.bodies.append(body)
                data = json.dumps(reply(body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def candidate(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": list(parts)}}]}


def function_call(name: str, args: Any, call_id: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"name": name, "args": args}
    if call_id is not None:
        call["id"] = call_id
    return {"functionCall": call}


@pytest.fixture
def gemini() -> Iterator[Callable[[Reply], FakeGemini]]:
    made: list[FakeGemini] = []

    def start(reply: Reply) -> FakeGemini:
        made.append(FakeGemini(reply))
        return made[-1]

    yield start
    for server in made:
        server.close()


def test_item_gemini_loop_sends_the_tools_runs_the_calls_and_reads_the_results(
    driver: Driver, server: LocalServer, gemini: Callable[[Reply], FakeGemini]
) -> None:
    def model(body: dict[str, Any]) -> dict[str, Any]:
        if len(body["contents"]) == 1:  # the user's question: ask for three tools
            return candidate(
                {"text": "Let me compute."},
                function_call("MATH_ADD", {"a": 2, "b": 3}, "call-1"),
                function_call("MATH_DIVIDE", {"a": 1, "b": 0}),
                function_call("NO_SUCH_TOOL", {}),
            )
        return candidate({"text": "done"})

    fake = gemini(model)
    spy = Spy()
    composio = session(driver, server, GoogleProvider(), spy)
    tools = composio.tools.get("alice", tools=["MATH_ADD", "MATH_DIVIDE"])
    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=fake.url))
    config = types.GenerateContentConfig(tools=tools)
    contents: list[Any] = [types.Content(role="user", parts=[types.Part(text="please")])]
    response = client.models.generate_content(model="gemini-x", contents=contents, config=config)
    parts = composio.tools.handle_tool_calls("alice", response)
    contents += [response.candidates[0].content, types.Content(role="user", parts=parts)]
    final = client.models.generate_content(model="gemini-x", contents=contents, config=config)
    assert final.text == "done"
    # What the SDK sent: the tools, as one tool of function declarations with the schema.
    sent = fake.bodies[0]["tools"]
    assert [[d["name"] for d in t["functionDeclarations"]] for t in sent] == [
        ["MATH_ADD", "MATH_DIVIDE"]
    ]
    add = sent[0]["functionDeclarations"][0]
    # The SDK spells it the proto field's way, which the API accepts as well as camelCase.
    schema = add.get("parametersJsonSchema") or add["parameters_json_schema"]
    assert schema["required"] == ["a", "b"]
    # What the model read next: one function response per call, in call order.
    answers = [p["functionResponse"] for p in fake.bodies[1]["contents"][-1]["parts"]]
    assert [(a.get("id"), a["name"]) for a in answers] == [
        ("call-1", "MATH_ADD"),
        (None, "MATH_DIVIDE"),
        (None, "NO_SUCH_TOOL"),
    ]
    assert answers[0]["response"] == {"output": {"result": 5}}
    assert answers[1]["response"] == {"error": "division by zero"}
    assert "unknown tool 'NO_SUCH_TOOL'" in answers[2]["response"]["error"]
    check_executed(server, "MATH_ADD", "MATH_DIVIDE")  # the unknown tool: looked up, 404
    assert [s[0] for s in spy.seen] == ["MATH_ADD", "MATH_DIVIDE"]  # unknown: no hook


def test_item_gemini_garbage_is_answered_never_executed(
    driver: Driver, server: LocalServer
) -> None:
    """Arguments that are not an object are answered with an error; a response that is not
    Gemini's at all is the caller's mistake (ValidationError), and the client stays usable."""
    from composio import ValidationError

    composio = session(driver, server, GoogleProvider(), Spy())
    rest_json = candidate(function_call("MATH_ADD", [1, 2], "c1"), {"text": "hm"})
    [part] = composio.tools.handle_tool_calls("alice", rest_json)
    assert part.function_response.id == "c1"
    assert "not a JSON object (got an array)" in part.function_response.response["error"]
    with pytest.raises(ValidationError, match="GenerateContentResponse"):
        composio.tools.handle_tool_calls("alice", ["not", "a", "response"])
    # Nothing to declare: no Tool with no declarations (the API refuses one).
    assert GoogleProvider().wrap_tools([]) == []
    check_executed(server)
