"""Issue 16, items 6, 7, 8, 12 and the amended hook order: the one execution path.

Every tool execution -- ``tools.execute``, each call of ``handle_tool_calls``,
``tool_router.execute``/``execute_meta``, custom tools -- goes through
``composio._ops.execution.run_tool``: untrusted arguments and results are checked there, and
the request is marked (``request.context.tool``). Each test runs on both clients (``driver``)
against a LocalServer.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from composio import (
    CallNext,
    ComposioError,
    ExecuteRequest,
    Request,
    Response,
    Stage,
    ToolExecution,
    ValidationError,
    after_execute,
    custom_tool,
    hookimpl,
)
from composio.testing import LocalServer
from tests._drivers import Driver


@custom_tool
def tuple_key(x: int) -> dict[Any, Any]:
    """Returns a mapping JSON cannot hold."""
    return {(1, 2): x}


@custom_tool
def self_contained(x: int) -> dict[str, Any]:
    """Returns a dict that contains itself."""
    out: dict[str, Any] = {"x": x}
    out["me"] = out
    return out


@custom_tool
def echo(value: dict) -> dict[str, Any]:  # type: ignore[type-arg]
    """Echo the value."""
    return {"value": value}


class Watcher:
    """A plugin implementing the execute hooks (any such plugin changed item 8's outcome)."""

    composio_plugin_name = "watcher"

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def composio_before_execute(self, tool: str, params: ExecuteRequest) -> None:
        self.seen.append((tool, dict(params.arguments)))

    @hookimpl
    def composio_after_execute(self, tool: str, result: ToolExecution) -> None:
        return None


class ToolMarks:
    """A CALL-stage middleware recording ``(operation, context.tool)`` of every request."""

    name = "tool-marks"
    stage = Stage.CALL
    order = 700

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def on_request(self, request: Request) -> None:
        self.seen.append((request.context.operation, request.context.tool))

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        self.on_request(request)
        return call_next(request)


def make(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)


def completion(*calls: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                        for i, n, a in calls
                    ],
                }
            }
        ]
    }


def contents(messages: list[Any]) -> dict[str, Any]:
    return {m["tool_call_id"]: json.loads(m["content"]) for m in messages}


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def executed(server: LocalServer) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in server.requests if "/tools/execute/" in r.path]


@pytest.mark.parametrize("depth", [150, 990, 50_000])
def test_item6_deeply_nested_arguments_are_that_calls_error_result(
    driver: Driver, server: LocalServer, depth: int
) -> None:
    """~990 levels raised RecursionError out of handle_tool_calls (API and custom tools)."""
    client = make(driver, server, custom_tools=[echo])
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "MATH_ADD", nested(depth)),
                ("c2", "ECHO", '{"value": ' + nested(depth) + "}"),
                ("c3", "MATH_ADD", '{"a": 1, "b": 2}'),
            ),
        )
    )
    for key in ("c1", "c2"):
        assert out[key]["successful"] is False
        assert "nested" in out[key]["error"] and "deep" in out[key]["error"]
    assert out["c3"] == {"result": 3}
    assert executed(server) == ["MATH_ADD"]  # the nested calls were never sent


def test_item6_tools_execute_refuses_deep_or_cyclic_arguments_by_name(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[echo])
    deep = json.loads(nested(150))
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    for slug in ("MATH_ADD", "ECHO"):
        with pytest.raises(ValidationError, match=r"arguments\['a'\].* nested deeper than 100"):
            client.tools.execute(slug, deep)
        with pytest.raises(ValidationError, match=r"arguments\['self'\] contains itself"):
            client.tools.execute(slug, cyclic)
    assert executed(server) == []
    assert client.tools.execute("MATH_ADD", {"a": 1, "b": 1}).data == {"result": 2}


def test_item7_a_bad_tool_result_is_that_calls_error_and_the_turn_goes_on(
    driver: Driver, server: LocalServer
) -> None:
    @after_execute(tools=["MATH_MULTIPLY"])
    def listed(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return dataclasses.replace(result, data=[1, 2])  # type: ignore[arg-type]

    client = make(driver, server, custom_tools=[tuple_key, self_contained])
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "MATH_ADD", '{"a": 1, "b": 2}'),  # runs first
                ("c2", "TUPLE_KEY", '{"x": 1}'),
                ("c3", "SELF_CONTAINED", '{"x": 1}'),
                ("c4", "MATH_MULTIPLY", '{"a": 2, "b": 3}'),
                ("c5", "MATH_ADD", '{"a": 2, "b": 2}'),  # runs after them
            ),
            modifiers=[listed],
        )
    )
    assert out["c1"] == {"result": 3} and out["c5"] == {"result": 4}
    assert "TUPLE_KEY" in out["c2"]["error"] and "key (1, 2) of type tuple" in out["c2"]["error"]
    assert "data['me'] contains itself" in out["c3"]["error"]
    # A modifier's bad value names the modifier.
    assert "after_execute modifier" in out["c4"]["error"] and "listed" in out["c4"]["error"]
    assert "data is a list" in out["c4"]["error"]
    assert executed(server) == ["MATH_ADD", "MATH_MULTIPLY", "MATH_ADD"]


def test_item7_tools_execute_reports_a_bad_result_without_a_bare_exception(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[tuple_key, self_contained])
    result = client.tools.execute("TUPLE_KEY", {"x": 1}, raise_on_error=False)
    assert result.successful is False and "keys must be strings" in (result.error or "")
    with pytest.raises(ComposioError, match="contains itself"):
        client.tools.execute("SELF_CONTAINED", {"x": 1})

    bad = after_execute(lambda t, k, r: dataclasses.replace(r, data=[1]))
    with pytest.raises(ComposioError, match=r"after_execute modifier .*data is a list"):
        client.tools.execute("MATH_ADD", {"a": 1, "b": 1}, modifiers=[bad])


def test_item8_a_blank_tool_name_is_an_error_result_with_execute_hooks_installed(
    driver: Driver, server: LocalServer
) -> None:
    watcher = Watcher()
    client = make(driver, server, plugins=[watcher])
    out = contents(
        client.tools.handle_tool_calls(
            "u", completion(("c1", "   ", "{}"), ("c2", "MATH_ADD", '{"a": 1, "b": 1}'))
        )
    )
    assert out["c1"]["successful"] is False and "unknown tool '   '" in out["c1"]["error"]
    assert out["c2"] == {"result": 2}
    assert [tool for tool, _ in watcher.seen] == ["MATH_ADD"]  # no hook saw the blank one


def test_every_tool_execution_is_marked_and_nothing_else(
    driver: Driver, server: LocalServer
) -> None:
    """(c) of the one path: ``request.context.tool`` on every execution, whatever the
    operation; ``None`` on the toolkit lookup and every other request."""
    marks = ToolMarks()
    client = make(driver, server, middlewares=[marks], plugins=[Watcher()], custom_tools=[echo])
    client.tools.execute("MATH_ADD", {"a": 1, "b": 1})
    client.tools.handle_tool_calls(
        "u", completion(("c1", "TEXT_UPPERCASE", '{"text": "a"}'), ("c2", "ECHO", '{"value": {}}'))
    )
    session = client.tool_router.create_session("u", toolkits=["text"])
    client.tool_router.execute(session.session_id, "TEXT_REVERSE", {"text": "ab"})
    client.tool_router.execute_meta(session.session_id, "COMPOSIO_SEARCH_TOOLS", {"query": "x"})
    assert [m for m in marks.seen if m[1] is not None] == [
        ("tools.execute", "MATH_ADD"),
        ("tools.handle_tool_calls", "TEXT_UPPERCASE"),
        ("tools.handle_tool_calls", "ECHO"),  # a custom tool: the CALL stage sees it
        ("tool_router.execute", "TEXT_REVERSE"),
        ("tool_router.execute_meta", "COMPOSIO_SEARCH_TOOLS"),
    ]
    others = [m for m in marks.seen if m[1] is None]
    assert ("tools.execute", None) in others  # the toolkit lookup GET /tools/MATH_ADD
    assert ("tool_router.create_session", None) in others


def test_amended_order_hooks_see_the_router_execution_after_the_modifiers(
    driver: Driver, server: LocalServer
) -> None:
    """tool_router.execute goes through the same path: plugins' hooks see it (item 10's
    class), with the toolkit; a hook's refusal raises naming the plugin and sends nothing."""

    class Refuse:
        composio_plugin_name = "refuse"

        @hookimpl
        def composio_before_execute(self, tool: str, toolkit: str) -> None:
            if toolkit == "text" and tool.endswith("REVERSE"):
                raise PermissionError("no reversing")

    watcher = Watcher()
    client = make(driver, server, plugins=[watcher, Refuse()])
    session = client.tool_router.create_session("u", toolkits=["text"])
    with pytest.raises(ComposioError, match=r"plugin 'refuse'.*no reversing"):
        client.tool_router.execute(session.session_id, "TEXT_REVERSE", {"text": "ab"})
    assert not [r for r in server.requests if r.path.endswith("/execute")]
    ran = client.tool_router.execute(session.session_id, "TEXT_UPPERCASE", {"text": "a"})
    assert ran.successful and ran.data == {"result": "A"}
    assert ("TEXT_UPPERCASE", {"text": "a"}) in watcher.seen
