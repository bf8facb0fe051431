"""Live tool-router sessions (SPEC §18) on both clients against LocalServer.

``tool_router.create_session`` / ``use`` return a session bound to the client: its tools are
the router's meta tools plus the client's custom tools, wrapped by the client's provider; a
custom tool runs here (the server records nothing for it), a multi-execute batch naming one
is split (the rest run on the server, the answers merged in order); every execution goes
through the one execution path, so a plugin's hooks see each one. ``driver.wait`` awaits
what the async session's methods return.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from composio import (
    ComposioError,
    ConnectionRequest,
    ExecuteRequest,
    PermissionDeniedError,
    ToolExecution,
    ToolRouterExecution,
    ToolRouterSession,
    ValidationError,
    custom_tool,
    hookimpl,
    schema_modifier,
)
from composio.models import AsyncToolRouterSession
from composio.providers import AgenticProvider
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration._api import Api
from tests.integration.test_execution_path import ToolMarks, completion

MULTI = "COMPOSIO_MULTI_EXECUTE_TOOL"


@custom_tool
def shout(text: str) -> dict[str, Any]:
    """Shout a text (runs in the application's process)."""
    return {"shouted": text.upper() + "!"}


@custom_tool
def explode(reason: str) -> dict[str, Any]:
    """Always fails."""
    raise RuntimeError(f"exploded: {reason}")


class Watcher:
    """A plugin recording every execution its hooks see: (tool, toolkit, arguments)."""

    composio_plugin_name = "watcher"

    def __init__(self) -> None:
        self.before: list[tuple[str, str, dict[str, Any]]] = []
        self.after: list[str] = []

    @hookimpl
    def composio_before_execute(self, tool: str, toolkit: str, params: ExecuteRequest) -> None:
        self.before.append((tool, toolkit, dict(params.arguments)))

    @hookimpl
    def composio_after_execute(self, tool: str, result: ToolExecution) -> None:
        self.after.append(tool)


def make(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    kw.setdefault("custom_tools", [shout, explode])
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)


def session_of(driver: Driver, client: Any, *toolkits: str) -> Any:
    session = client.tool_router.create_session(
        "alice", toolkits=list(toolkits or ("text", "math"))
    )
    want = AsyncToolRouterSession if driver.is_async else ToolRouterSession
    assert type(session) is want
    return session


def ran_on_server(server: LocalServer) -> list[str]:
    return [e.slug for e in server.executions]


def batch(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"tools": [{"tool_slug": s, "arguments": a} for s, a in calls]}


def test_a_sessions_tools_are_its_meta_tools_and_the_custom_tools_wrapped_by_the_openai_provider(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server)
    session = session_of(driver, client)

    @schema_modifier(tools=["SHOUT", "COMPOSIO_SEARCH_TOOLS"])
    def tag(tool: str, toolkit: str, schema: Any) -> Any:
        import dataclasses

        return dataclasses.replace(schema, description=f"[{toolkit}] {schema.description}")

    wrapped = driver.wait(session.tools(modifiers=[tag]))
    names = [t["function"]["name"] for t in wrapped]
    assert {"COMPOSIO_SEARCH_TOOLS", MULTI, "COMPOSIO_MANAGE_CONNECTIONS"} <= set(names)
    assert names[-2:] == ["SHOUT", "EXPLODE"]  # the client's custom tools are served too
    by_name = {t["function"]["name"]: t for t in wrapped}
    assert all(t["type"] == "function" for t in wrapped)
    assert by_name["SHOUT"]["function"]["description"].startswith("[] Shout a text")
    assert by_name["COMPOSIO_SEARCH_TOOLS"]["function"]["description"].startswith("[composio] ")
    assert by_name[MULTI]["function"]["parameters"]["properties"]["tools"]["type"] == "array"
    assert by_name["SHOUT"]["function"]["parameters"]["required"] == ["text"]
    assert server.requests_to(f"/api/v3.1/tool_router/session/{session.session_id}/tools")


def test_search_finds_the_sessions_tools_for_a_use_case(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    found = driver.wait(session.search("add two numbers"))
    assert found.success is True and found.tool_slugs == ["MATH_ADD"]
    assert found.tool_schemas["MATH_ADD"]["toolkit"] == "math"
    sent = json.loads(server.requests[-1].body)
    assert sent == {"queries": [{"use_case": "add two numbers"}]}
    nothing = driver.wait(session.search("send an email"))  # gmail is not in the session
    assert nothing.tool_slugs == []


def test_execute_runs_a_catalog_tool_on_the_server_and_a_custom_tool_here(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    added = driver.wait(session.execute("MATH_ADD", {"a": 2, "b": 3}))
    assert isinstance(added, ToolRouterExecution) and added.successful
    assert added.data == {"result": 5}
    assert ran_on_server(server) == ["MATH_ADD"]
    assert server.executions[0].user_id == "alice"
    before = len(server.requests)
    shouted = driver.wait(session.execute("shout", {"text": "hi"}))
    assert shouted.successful and shouted.data == {"shouted": "HI!"}
    assert len(server.requests) == before and ran_on_server(server) == ["MATH_ADD"]
    failed = driver.wait(session.execute("EXPLODE", {"reason": "boom"}))
    assert not failed.successful and "exploded: boom" in (failed.error or "")


def test_a_multi_execute_batch_is_split_local_tools_here_the_rest_on_the_server_in_order(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    result = driver.wait(
        session.execute(
            MULTI,
            {
                **batch(
                    ("TEXT_UPPERCASE", {"text": "abc"}),
                    ("SHOUT", {"text": "one"}),
                    ("MATH_ADD", {"a": 1, "b": 1}),
                    ("EXPLODE", {"reason": "two"}),
                    ("MATH_DIVIDE", {"a": 1, "b": 0}),
                ),
                "thought": "kept for the server",
            },
        )
    )
    assert result.successful
    rows = result.data["results"]
    assert [(r["index"], r["tool_slug"]) for r in rows] == [
        (0, "TEXT_UPPERCASE"),
        (1, "SHOUT"),
        (2, "MATH_ADD"),
        (3, "EXPLODE"),
        (4, "MATH_DIVIDE"),
    ]
    answers = [r["response"] for r in rows]
    assert answers[0] == {"successful": True, "data": {"result": "ABC"}, "error": None}
    assert answers[1] == {"successful": True, "data": {"shouted": "ONE!"}, "error": None}
    assert answers[2]["data"] == {"result": 2}
    assert answers[3]["successful"] is False and "exploded: two" in answers[3]["error"]
    assert answers[4] == {"successful": False, "data": {}, "error": "division by zero"}
    metas = server.requests_to(f"/api/v3.1/tool_router/session/{session.session_id}/execute_meta")
    assert len(metas) == 1  # one request for the server's part of the batch
    sent = json.loads(metas[0].body)
    assert sent["slug"] == MULTI and sent["arguments"]["thought"] == "kept for the server"
    assert [t["tool_slug"] for t in sent["arguments"]["tools"]] == [
        "TEXT_UPPERCASE",
        "MATH_ADD",
        "MATH_DIVIDE",
    ]
    assert ran_on_server(server) == ["TEXT_UPPERCASE", "MATH_ADD", "MATH_DIVIDE"]


def test_a_batch_of_only_custom_tools_sends_nothing_and_one_of_only_server_tools_is_not_split(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    before = len(server.requests)
    local = driver.wait(session.execute(MULTI, batch(("SHOUT", {"text": "a"}))))
    assert local.data["results"][0]["response"]["data"] == {"shouted": "A!"}
    assert len(server.requests) == before
    remote = driver.wait(session.execute(MULTI, batch(("TEXT_REVERSE", {"text": "ab"}))))
    assert remote.data["results"][0]["response"]["data"] == {"result": "ba"}
    assert json.loads(server.requests[-1].body)["arguments"] == batch(
        ("TEXT_REVERSE", {"text": "ab"})
    )


def test_authorize_returns_a_connection_request_that_completes(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server), "github", "text")
    kits = {k.slug: k for k in driver.wait(session.toolkits())}
    assert set(kits) == {"github", "text"} and kits["github"].connected_account is None
    request = driver.wait(session.authorize("github", callback_url="https://app.example/done"))
    assert isinstance(getattr(request, "target", request), ConnectionRequest)  # async: a view
    assert request.status == "INITIATED" and request.id.startswith("ca_")
    assert request.redirect_url and request.redirect_url.startswith(server.url)
    api = Api(server)
    try:
        assert api.browser(request.redirect_url).status_code in (200, 302, 303)
    finally:
        api.close()
    account = driver.wait(request.wait_for_connection(timeout=10))
    assert account.id == request.id and account.status == "ACTIVE"
    assert account.user_id == "alice"
    kits = {k.slug: k for k in driver.wait(session.toolkits())}
    assert kits["github"].connected_account["id"] == request.id
    starred = driver.wait(session.execute("GITHUB_STAR_REPO", {"repo": "a/b"}))
    assert starred.successful and server.executions[-1].connected_account_id == request.id


def test_use_reattaches_to_a_session_made_elsewhere(driver: Driver, server: LocalServer) -> None:
    made = session_of(driver, make(driver, server))
    other = make(driver, server)  # another process, say: only the id crossed
    again = other.tool_router.use(made.session_id)
    assert again == made and again.user_id == "alice"
    assert type(again) is type(made)
    assert driver.wait(again.execute("SHOUT", {"text": "x"})).data == {"shouted": "X!"}
    assert driver.wait(again.execute("MATH_ADD", {"a": 1, "b": 2})).data == {"result": 3}
    unpickled = pickle.loads(pickle.dumps(made))
    assert unpickled == made and unpickled.config == made.config
    with pytest.raises(ComposioError, match=r"tool_router\.use\("):
        driver.wait(unpickled.execute("MATH_ADD", {"a": 1, "b": 2}))
    smuggled = ToolRouterSession.from_dict({"session_id": "trs_x", "_client": "not a client"})
    assert smuggled._client is None and smuggled.extra == {"_client": "not a client"}


def test_a_plugin_hook_sees_every_execution_of_a_session_including_inner_local_ones(
    driver: Driver, server: LocalServer
) -> None:
    watcher = Watcher()
    session = session_of(driver, make(driver, server, plugins=[watcher]))
    driver.wait(session.execute("MATH_ADD", {"a": 1, "b": 2}))
    driver.wait(session.execute("SHOUT", {"text": "a"}))
    driver.wait(
        session.execute(MULTI, batch(("TEXT_UPPERCASE", {"text": "b"}), ("SHOUT", {"text": "c"})))
    )
    whole = batch(("TEXT_UPPERCASE", {"text": "b"}), ("SHOUT", {"text": "c"}))
    assert watcher.before == [
        ("MATH_ADD", "math", {"a": 1, "b": 2}),
        ("SHOUT", "", {"text": "a"}),
        (MULTI, "composio", whole),  # the whole batch, judged before anything runs
        ("SHOUT", "", {"text": "c"}),  # and its local tool, an execution of its own
    ]
    assert watcher.after == ["MATH_ADD", "SHOUT", "SHOUT", MULTI]


def test_a_before_hook_that_refuses_the_batch_stops_it_before_anything_runs(
    driver: Driver, server: LocalServer
) -> None:
    ran: list[str] = []

    @custom_tool
    def record(note: str) -> dict[str, Any]:
        """Record a note."""
        ran.append(note)
        return {}

    class Refuse:
        composio_plugin_name = "refuse-deletes"

        @hookimpl
        def composio_before_execute(self, tool: str, params: ExecuteRequest) -> None:
            inner = [t["tool_slug"] for t in params.arguments.get("tools", [])]
            if any("DELETE" in s for s in [tool, *inner]):
                raise ValueError("no deleting")

    session = session_of(driver, make(driver, server, plugins=[Refuse()], custom_tools=[record]))
    with pytest.raises(ComposioError, match="no deleting"):
        driver.wait(
            session.execute(
                MULTI, batch(("RECORD", {"note": "n"}), ("GMAIL_DELETE_MESSAGE", {"id": "1"}))
            )
        )
    assert ran == [] and ran_on_server(server) == []
    assert not server.requests_to(
        f"/api/v3.1/tool_router/session/{session.session_id}/execute_meta"
    )


def test_a_models_calls_in_a_session_are_answered_with_errors_as_results(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    response = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                        for i, n, a in (
                            ("c1", "SHOUT", '{"text": "hey"}'),
                            ("c2", "NO_SUCH_TOOL", "{}"),
                            ("c3", "SHOUT", "[1, 2]"),
                            ("c4", "EXPLODE", '{"reason": "r"}'),
                            ("c5", "MATH_DIVIDE", '{"a": 1, "b": 0}'),
                            ("c6", MULTI, json.dumps(batch(("SHOUT", {"text": "m"})))),
                        )
                    ],
                }
            }
        ]
    }
    messages = driver.wait(session.handle_tool_calls(response))
    got = {m["tool_call_id"]: json.loads(m["content"]) for m in messages}
    assert [m["tool_call_id"] for m in messages] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert got["c1"] == {"shouted": "HEY!"}
    for call in ("c2", "c3", "c4", "c5"):
        assert got[call]["successful"] is False and got[call]["error"], call
    assert "unknown tool" in got["c2"]["error"] or "NO_SUCH_TOOL" in got["c2"]["error"]
    assert "exploded: r" in got["c4"]["error"] and "division by zero" in got["c5"]["error"]
    assert got["c6"]["results"][0]["response"]["data"] == {"shouted": "M!"}
    assert ran_on_server(server) == ["MATH_DIVIDE"]


def test_each_execution_of_a_split_batch_is_marked_and_bad_inner_items_are_their_own_results(
    driver: Driver, server: LocalServer
) -> None:
    marks = ToolMarks()
    session = session_of(driver, make(driver, server, middlewares=[marks]))
    marks.seen.clear()
    result = driver.wait(
        session.execute(
            MULTI,
            {
                "tools": [
                    {"tool_slug": "TEXT_UPPERCASE", "arguments": {"text": "a"}},
                    {"tool_slug": "SHOUT", "arguments": "not an object"},
                    {"tool_slug": "SHOUT", "arguments": {"text": "b"}},
                    {"tool_slug": "SHOUT"},  # no arguments: {} -- the tool's own error
                ]
            },
        )
    )
    assert marks.seen == [
        ("tool_router.execute_meta", MULTI),
        ("tool_router.execute", "SHOUT"),
        ("tool_router.execute", "SHOUT"),
    ]  # the bad item was never executed; the idempotency plugin keys on these marks
    answers = [r["response"] for r in result.data["results"]]
    assert answers[0]["data"] == {"result": "A"}
    assert answers[1]["successful"] is False and "mapping" in answers[1]["error"]
    assert answers[2]["data"] == {"shouted": "B!"}
    assert answers[3]["successful"] is False and "text" in answers[3]["error"]


def test_a_live_session_calls_through_the_client_that_made_it_with_its_headers(
    driver: Driver, server: LocalServer
) -> None:
    tenant = make(driver, server).create_session(headers={"x-tenant": "acme"})
    session = tenant.tool_router.create_session("alice", toolkits=["text"])
    server.reset()
    driver.wait(session.tools())
    driver.wait(session.search("reverse"))
    driver.wait(session.execute("TEXT_REVERSE", {"text": "ab"}))
    driver.wait(session.execute(MULTI, batch(("TEXT_REVERSE", {"text": "cd"}), ("SHOUT", {}))))
    assert len(server.requests) == 4
    assert all(r.headers.get("x-tenant") == "acme" for r in server.requests)


def test_bad_input_to_a_live_session_is_a_clear_error_and_sends_nothing(
    driver: Driver, server: LocalServer
) -> None:
    session = session_of(driver, make(driver, server))
    server.reset()
    for call, named in (
        (lambda: session.search(""), "query"),
        (lambda: session.search(5), "query"),
        (lambda: session.execute("", {}), "slug"),
        (lambda: session.execute("MATH_ADD", ["a"]), "mapping"),
        (lambda: session.tools(modifiers="nope"), "modifiers"),
        (lambda: session.authorize(""), "toolkit"),
        (lambda: session.handle_tool_calls({"choices": "x"}), "parse_tool_calls"),
    ):
        with pytest.raises(ValidationError, match=named):
            driver.wait(call())
    assert server.requests == []
    assert driver.wait(session.execute("MATH_ADD", {"a": 1, "b": 1})).data == {"result": 2}


class RecordingAgent(AgenticProvider):
    """An agentic provider (SPEC §17) as a framework would write one: each tool becomes
    ``(slug, execute)``; the test plays the framework and calls ``execute.run``."""

    name = "recording-agent"

    def wrap_tool(self, tool: Any, execute: Any) -> object:
        return (tool.slug, execute)


def test_an_agentic_providers_execute_runs_each_call_in_the_session_and_never_raises(
    driver: Driver, server: LocalServer
) -> None:
    watcher = Watcher()
    client = make(driver, server, provider=RecordingAgent(), plugins=[watcher])
    session = session_of(driver, client)
    tools = dict(driver.wait(session.tools()))
    assert {MULTI, "SHOUT", "EXPLODE"} <= set(tools)
    execute = tools["SHOUT"]
    assert execute.is_async is driver.is_async
    run = execute.run if not driver.is_async else (lambda s, a: driver.wait(execute.arun(s, a)))
    assert run("SHOUT", {"text": "x"}) == {
        "data": {"shouted": "X!"},
        "error": None,
        "successful": True,
    }
    assert run("MATH_ADD", '{"a": 2, "b": 2}')["data"] == {"result": 4}  # the model's JSON text
    mixed = run(MULTI, batch(("SHOUT", {"text": "y"}), ("TEXT_REVERSE", {"text": "ab"})))
    assert [r["response"]["data"] for r in mixed["data"]["results"]] == [
        {"shouted": "Y!"},
        {"result": "ba"},
    ]
    for slug, arguments in (("EXPLODE", {"reason": "z"}), ("NOPE", {}), ("SHOUT", "[1]")):
        failed = run(slug, arguments)
        assert failed["successful"] is False and failed["error"], slug
    assert ran_on_server(server) == ["MATH_ADD", "TEXT_REVERSE"]
    assert [t for t, *_ in watcher.before] == ["SHOUT", "MATH_ADD", MULTI, "SHOUT", "EXPLODE"]


def test_router_403_for_a_tool_outside_the_session_is_that_calls_error_result(
    driver: Driver, server: LocalServer
) -> None:
    """A session refusing a tool of a toolkit it does not enable (403) raised out of
    ``handle_tool_calls``, losing every other call's answer; ``session.execute`` (the
    caller's own call) still raises it."""
    watcher = Watcher()
    session = session_of(driver, make(driver, server, plugins=[watcher]), "text")
    response = completion(
        ("c1", "MATH_ADD", '{"a": 1, "b": 2}'),  # math is not enabled in this session
        ("c2", MULTI, json.dumps(batch(("MATH_ADD", {"a": 1, "b": 2})))),
        ("c3", "TEXT_UPPERCASE", '{"text": "ok"}'),
    )
    messages = driver.wait(session.handle_tool_calls(response))
    got = {m["tool_call_id"]: json.loads(m["content"]) for m in messages}
    assert got["c1"]["successful"] is False
    assert "refused 'MATH_ADD'" in got["c1"]["error"] and "not enabled" in got["c1"]["error"]
    inner = got["c2"]["results"][0]["response"]  # inside a batch: that item's result
    assert inner["successful"] is False and "not enabled" in inner["error"]
    assert got["c3"] == {"result": "OK"}
    assert "MATH_ADD" in watcher.after  # the after-hooks saw the refusal as a result
    with pytest.raises(PermissionDeniedError, match="not enabled"):
        driver.wait(session.execute("MATH_ADD", {"a": 1, "b": 2}))
