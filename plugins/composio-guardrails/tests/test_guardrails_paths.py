"""composio-guardrails on every execution path (issue 16, items 10 and 18), both clients.

The plugin's hooks run wherever a tool is executed (the SDK's one execution path), after the
call's modifiers: a guardrail approves the arguments that are sent and redacts what the model
reads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from composio_guardrails import Guardrails

from composio import AsyncComposio, Composio, ComposioError, ExecuteRequest, before_execute
from composio.testing import LocalServer

BOTH = pytest.mark.parametrize("kind", ["sync", "async"])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the instance under test
    with LocalServer() as srv:
        yield srv


def with_client(server: LocalServer, kind: str, guard: Guardrails, body: Callable[..., Any]) -> Any:
    """``body(client)`` on ``Composio``, or on ``AsyncComposio`` (``body`` returns a
    coroutine there), with ``guard`` registered."""
    settings: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
        "plugins": [guard],
    }
    if kind == "sync":
        with Composio(**settings) as client:
            return body(client)

    async def run() -> Any:
        async with AsyncComposio(**settings) as client:
            return await body(client)

    return asyncio.run(run())


def router_executions(server: LocalServer) -> list[Any]:
    return [r for r in server.requests if r.path.endswith(("/execute", "/execute_meta"))]


@BOTH
def test_item10_blocked_tools_are_blocked_on_tool_router_execute(
    server: LocalServer, kind: str
) -> None:
    guard = Guardrails(block=["*_DELETE_*"], env={})
    session = server_session(server)

    def body(client: Any) -> Any:
        return client.tool_router.execute(session, "GMAIL_DELETE_MESSAGE", {"id": "m1"})

    with pytest.raises(ComposioError, match=r"blocked by policy \(pattern '\*_DELETE_\*'\)"):
        with_client(server, kind, guard, body)
    assert router_executions(server) == []  # the delete never reached the server


@BOTH
def test_item10_router_results_are_redacted(server: LocalServer, kind: str) -> None:
    guard = Guardrails(env={})
    session = server_session(server)

    def body(client: Any) -> Any:
        return client.tool_router.execute(
            session, "TEXT_UPPERCASE", {"text": "write to jane.doe@example.com"}
        )

    ran = with_client(server, kind, guard, body)
    assert ran.successful and ran.data == {"result": "WRITE TO [REDACTED EMAIL]"}
    assert len(router_executions(server)) == 1


@BOTH
def test_item18_approval_and_size_cap_see_the_arguments_after_the_modifiers(
    server: LocalServer, kind: str
) -> None:
    asked: list[dict[str, Any]] = []

    def approve(tool: str, toolkit: str, params: ExecuteRequest) -> bool:
        asked.append(dict(params.arguments))
        return params.arguments.get("b") != 666

    @before_execute(tools=["MATH_ADD"])
    def sneak(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        return dataclasses.replace(request, arguments={**request.arguments, "b": 666})

    @before_execute(tools=["TEXT_UPPERCASE"])
    def pad(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        return dataclasses.replace(request, arguments={"text": "x" * 200})

    guard = Guardrails(require_approval=["MATH_*"], approve=approve, max_argument_bytes=64, env={})
    calls = [
        {"id": "c1", "type": "function", "function": {"name": n, "arguments": a}}
        for n, a in (("MATH_ADD", '{"a": 1, "b": 2}'), ("TEXT_UPPERCASE", '{"text": "hi"}'))
    ]
    response = {"choices": [{"message": {"role": "assistant", "tool_calls": calls}}]}
    calls[1]["id"] = "c2"

    def body(client: Any) -> Any:
        return client.tools.handle_tool_calls("u", response, modifiers=[sneak, pad])

    out = {
        m["tool_call_id"]: json.loads(m["content"]) for m in with_client(server, kind, guard, body)
    }
    assert asked == [{"a": 1, "b": 666}]  # what would have been sent
    assert "was not approved" in out["c1"]["error"]
    assert "over the limit of 64" in out["c2"]["error"]
    assert not [r for r in server.requests if "/tools/execute/" in r.path]


def server_session(server: LocalServer) -> str:
    """A tool-router session of user ``u`` with gmail and text enabled, made over HTTP."""
    with Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as plain:
        made = plain.tool_router.create_session("u", toolkits=["gmail", "text"])
    return str(made.session_id)


@BOTH
def test_break1_the_routers_multi_execute_batch_is_judged_tool_by_tool(
    server: LocalServer, kind: str
) -> None:
    """The tools inside ``COMPOSIO_MULTI_EXECUTE_TOOL`` run on the server: the hooks saw only
    the meta tool, so a blocked delete (or one needing approval) ran through it."""
    asked: list[str] = []

    def approve(tool: str, toolkit: str, params: ExecuteRequest) -> bool:
        asked.append(tool)
        return False

    guard = Guardrails(
        block=["*_DELETE_*"], require_approval=["GMAIL_SEND_*"], approve=approve, env={}
    )
    session = server_session(server)
    multi = "COMPOSIO_MULTI_EXECUTE_TOOL"

    def batch(*slugs: str) -> dict[str, Any]:
        return {"tools": [{"tool_slug": s, "arguments": {"id": "m1"}} for s in slugs]}

    def body(client: Any) -> Any:
        async def each() -> list[str]:
            refused = []
            for arguments in (
                batch("TEXT_UPPERCASE", "gmail_delete_message"),
                batch("GMAIL_SEND_EMAIL"),
                {"tools": "GMAIL_DELETE_MESSAGE"},  # not a batch it can read: refused
                {"tools": [{"tool_slug": 5}]},
            ):
                try:
                    ran = client.tool_router.execute_meta(session, multi, arguments)
                    if kind == "async":
                        await ran
                except ComposioError as exc:
                    refused.append(exc.message)
            ok = client.tool_router.execute_meta(session, multi, batch("TEXT_UPPERCASE"))
            if kind == "async":
                await ok
            return refused

        return each() if kind == "async" else asyncio.run(each())

    refused = with_client(server, kind, guard, body)
    assert "'gmail_delete_message' is blocked by policy" in refused[0]
    assert "'GMAIL_SEND_EMAIL' was not approved" in refused[1]
    assert all("needs a 'tools' list" in r or "must be an object" in r for r in refused[2:])
    assert len(refused) == 4 and asked == ["GMAIL_SEND_EMAIL"]
    assert len(router_executions(server)) == 1  # only the harmless batch was sent


@BOTH
def test_a_live_sessions_split_batch_is_judged_whole_and_its_local_results_redacted(
    server: LocalServer, kind: str
) -> None:
    """A live session (SPEC §18) runs a batch's custom tools here and the rest on the server:
    the guardrail still judges the whole batch first (a blocked custom tool inside refuses
    it before anything runs) and redacts what the local tools return."""
    from composio import custom_tool

    ran: list[str] = []

    @custom_tool
    def lookup_owner(name: str) -> dict[str, Any]:
        """The owner's e-mail address."""
        ran.append(name)
        return {"owner": f"{name}@example.com"}

    @custom_tool
    def purge_delete_all(confirm: bool) -> dict[str, Any]:
        """Deletes everything."""
        ran.append("purge")
        return {}

    guard = Guardrails(block=["*_DELETE_*"], env={})
    multi = "COMPOSIO_MULTI_EXECUTE_TOOL"

    def batch(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        return {"tools": [{"tool_slug": s, "arguments": a} for s, a in calls]}

    settings: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
        "plugins": [guard],
        "custom_tools": [lookup_owner, purge_delete_all],
    }
    blocked = batch(("TEXT_UPPERCASE", {"text": "x"}), ("PURGE_DELETE_ALL", {"confirm": True}))
    fine = batch(("TEXT_UPPERCASE", {"text": "x"}), ("LOOKUP_OWNER", {"name": "ann"}))

    async def each(client: Any) -> tuple[str, Any]:
        session = client.tool_router.create_session("u", toolkits=["text"])
        if kind == "async":
            session = await session
        try:
            refused = session.execute(multi, blocked)
            if kind == "async":
                await refused
            why = ""
        except ComposioError as exc:
            why = exc.message
        result = session.execute(multi, fine)
        return why, (await result) if kind == "async" else result

    if kind == "sync":
        with Composio(**settings) as sync_client:
            why, result = asyncio.run(each(sync_client))
    else:

        async def run() -> Any:
            async with AsyncComposio(**settings) as async_client:
                return await each(async_client)

        why, result = asyncio.run(run())
    assert "'PURGE_DELETE_ALL' is blocked by policy" in why
    assert ran == ["ann"]  # the refused batch ran nothing, here or on the server
    rows = result.data["results"]
    assert rows[0]["response"]["data"] == {"result": "X"}
    assert rows[1]["response"]["data"] == {"owner": "[REDACTED EMAIL]"}
    assert [e.slug for e in server.executions] == ["TEXT_UPPERCASE"]
