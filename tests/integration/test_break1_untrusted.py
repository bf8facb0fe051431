"""Issue 16's review (break1): untrusted values the one entry/exit check let through.

Valid JSON an LLM can send (``"\\ud800"``), an int longer than Python's ``str()`` digit limit
and a user's mapping whose ``items()`` raises each escaped ``handle_tool_calls`` as a bare
``UnicodeEncodeError``/``ValueError``/``RuntimeError``, ending the turn. Each must be that
call's error result (or a ``ValidationError`` naming the place on ``tools.execute``).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from composio import (
    ComposioError,
    ExecuteRequest,
    ToolExecution,
    ToolExecutionError,
    ValidationError,
    after_execute,
    before_execute,
    custom_tool,
)
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration.test_execution_path import completion, contents, executed, make


@custom_tool
def echo(value: str) -> dict[str, Any]:
    """Echo the value."""
    return {"value": value}


@custom_tool
def surrogate(x: int) -> dict[str, Any]:
    """Returns a string UTF-8 cannot encode."""
    return {"s": "a\ud800b", "\udc00k": x}


@custom_tool
def big_int(x: int) -> dict[str, Any]:
    """Returns an int json cannot write (more than 4300 digits)."""
    return {"v": 10**5000}


class Unreadable(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")


@custom_tool
def unreadable(x: int) -> dict[str, Any]:
    """Returns a mapping whose reading raises."""
    return {"inner": Unreadable()}


def test_break1_lone_surrogates_and_huge_ints_are_that_calls_error_result(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[echo, surrogate, big_int, unreadable])
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "MATH_ADD", '{"a": "\\ud800", "b": 1}'),
                ("c2", "ECHO", '{"value": "x\\udfff"}'),
                ("c3", "SURROGATE", '{"x": 1}'),
                ("c4", "BIG_INT", '{"x": 1}'),
                ("c5", "UNREADABLE", '{"x": 1}'),
                ("c6", "MATH_ADD", '{"a": 1, "b": 2}'),
            ),
        )
    )
    assert "arguments['a'] holds a lone surrogate" in out["c1"]["error"]
    assert "arguments['value'] holds a lone surrogate" in out["c2"]["error"]
    assert out["c3"] == {"s": "a\ufffdb", "\ufffdk": 1}  # text for the model: replaced
    assert "data['v'] is an integer with more than 4300 digits" in out["c4"]["error"]
    assert "data['inner'] could not be read" in out["c5"]["error"]
    assert out["c6"] == {"result": 3}
    assert executed(server) == ["MATH_ADD"]


def test_break1_tools_execute_names_unencodable_arguments(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[echo])
    for slug in ("MATH_ADD", "ECHO"):
        with pytest.raises(ValidationError, match=r"arguments\['a'\] holds a lone surrogate"):
            client.tools.execute(slug, {"a": "\ud800"})
        with pytest.raises(ValidationError, match=r"arguments\['a'\] is an integer with more"):
            client.tools.execute(slug, {"a": 10**5000})
    assert executed(server) == []
    big = 10**4000  # under the limit: sent as is
    result = client.tools.execute("MATH_ADD", {"a": big, "b": 1})
    assert result.data == {"result": big + 1}
    assert json.dumps(result.data)


class _Answers(http.server.BaseHTTPRequestHandler):
    """Answers every request 200 with ``BODIES[last path segment]`` (a tool's JSON)."""

    protocol_version = "HTTP/1.1"
    BODIES: dict[str, bytes] = {
        "LISTED": b'{"data": [1, 2], "successful": true}',
        "TEXTUAL": b'{"data": "done", "successful": true}',
        "PLAIN": b'{"data": {"ok": 1}, "successful": true}',
    }

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        slug = self.path.rsplit("/", 1)[-1]
        body = self.BODIES.get(slug, b'{"slug": "%s", "toolkit": {"slug": "t"}}' % slug.encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # the toolkit lookup, GET /tools/{slug}
        self.BODIES = {}
        self.do_POST()


@pytest.fixture
def answers() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    thread.join()


def test_break1_server_data_of_another_type_is_the_tools_failure_not_an_empty_success(
    driver: Driver, answers: str
) -> None:
    """The tolerant parser moved a non-object ``data`` to ``extra`` and the model read ``{}``
    as the tool's successful answer."""
    client = driver.client(api_key="k", base_url=answers, allow_tracking=False)
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(("c1", "LISTED", "{}"), ("c2", "TEXTUAL", "{}"), ("c3", "PLAIN", "{}")),
        )
    )
    assert out["c1"]["successful"] is False and "data is a list" in out["c1"]["error"]
    assert out["c2"]["successful"] is False and "data is a str" in out["c2"]["error"]
    assert out["c3"] == {"ok": 1}
    with pytest.raises(ToolExecutionError, match="data is a list"):
        client.tools.execute("LISTED", {})


@custom_tool
def raises_surrogate(x: int) -> dict[str, Any]:
    """Fails with a message UTF-8 cannot encode."""
    raise RuntimeError("failed at \udc80")


def test_break1_an_error_text_the_model_reads_is_encodable(
    driver: Driver, server: LocalServer
) -> None:
    """A failure's ``error`` (a tool's exception, a modifier's or plugin's text) kept its lone
    surrogates: the app's next LLM request would fail to encode the message."""

    @after_execute(tools=["MATH_ADD"])
    def garble(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return dataclasses.replace(result, successful=False, error="bad \ud800")

    client = make(driver, server, custom_tools=[raises_surrogate])
    messages = client.tools.handle_tool_calls(
        "u",
        completion(("c1", "MATH_ADD", '{"a": 1, "b": 2}'), ("c2", "RAISES_SURROGATE", '{"x": 1}')),
        modifiers=[garble],
    )
    for message in messages:
        message["content"].encode("utf-8")  # what an LLM client does with it
    out = contents(messages)
    assert out["c1"]["error"] == "bad \ufffd"
    assert "failed at \ufffd" in out["c2"]["error"]


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message")


@custom_tool
def raises_unprintable(x: int) -> dict[str, Any]:
    """Fails with an exception whose str() raises."""
    raise Unprintable()


def test_break1_a_tool_exception_whose_message_raises_is_that_calls_error(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[raises_unprintable])
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "RAISES_UNPRINTABLE", '{"x": 1}'), ("c2", "MATH_ADD", '{"a": 1, "b": 2}')
            ),
        )
    )
    assert out["c1"] == {
        "successful": False,
        "error": "Unprintable (its message could not be read)",
    }
    assert out["c2"] == {"result": 3}


def test_break1_a_hook_or_modifier_exception_whose_message_raises_is_named(
    driver: Driver, server: LocalServer
) -> None:
    @before_execute(tools=["MATH_ADD"])
    def broken(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        raise Unprintable()

    client = make(driver, server)
    out = contents(
        client.tools.handle_tool_calls(
            "u", completion(("c1", "MATH_ADD", '{"a": 1, "b": 2}')), modifiers=[broken]
        )
    )
    assert "broken" in out["c1"]["error"]
    assert "Unprintable (its message could not be read)" in out["c1"]["error"]
    with pytest.raises(ComposioError, match=r"Unprintable \(its message could not be read\)"):
        client.tools.execute("MATH_ADD", {"a": 1, "b": 2}, modifiers=[broken])
