"""Custom tools on a client (SPEC §15), on both clients over loopback.

``custom_tools=`` on the constructor and ``with_options``; ``tools.get`` and
``handle_tool_calls`` include them; ``tools.execute`` of a custom slug runs the function in
this process through the CALL-stage middlewares (telemetry included) and sends nothing --
the LocalServer's request record proves it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Literal, Optional

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from composio import (
    AnthropicProvider,
    AsyncComposio,
    Composio,
    OpenAIResponsesProvider,
    Stage,
    ToolExecutionError,
    ToolProxy,
    ValidationError,
    custom_tool,
)
from composio.testing import LocalServer
from tests._drivers import Driver, SyncView
from tests._recording import RecordingTransport


@custom_tool(toolkit="text")
def shout(text: str, times: int = 1) -> str:
    """Upper-case a text and repeat it."""
    return text.upper() * times


@custom_tool(slug="Explode")
def explode(reason: str) -> dict[str, Any]:
    """Always fails."""
    raise RuntimeError(reason)


class Address(TypedDict):
    street: str
    zip: int


class Order(BaseModel):
    sku: str
    quantity: int = 1


@custom_tool
def every_type(
    s: str,
    i: int,
    f: float,
    b: bool,
    items: list[int],
    meta: dict[str, str],
    maybe: Optional[str],  # noqa: UP045 (the spelling SPEC §15 names)
    mode: Literal["fast", "slow"],
    address: Address,
    order: Order,
) -> dict[str, Any]:
    """Echo every kind of argument back.

    Args:
        s: a string
        order: a pydantic model
    """
    return {
        "s": s,
        "i": i,
        "f": f,
        "b": b,
        "items": items,
        "meta": meta,
        "maybe": maybe,
        "mode": mode,
        "zip": address["zip"],
        "order": [order.sku, order.quantity],
    }


class Recorder:
    """A CALL-stage middleware: what an enterprise audit middleware would see."""

    name = "recorder"
    stage = Stage.CALL

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def _note(self, request: Any) -> None:
        self.seen.append((request.context.operation, request.method, request.url))

    def on_request(self, request: Any) -> None:
        self._note(request)


@pytest.fixture
def server() -> Any:
    with LocalServer() as srv:
        yield srv


def make(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    settings: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
    }
    return driver.client(**{**settings, **kw})


def names(wrapped: list[Any]) -> list[str]:
    return [t["function"]["name"] for t in wrapped]


def test_execute_runs_locally_through_the_call_stage_with_no_http(
    driver: Driver, server: LocalServer
) -> None:
    recorder = Recorder()
    transport = RecordingTransport()
    client = make(
        driver,
        server,
        custom_tools=[shout, explode],
        middlewares=[recorder],
        allow_tracking=True,
        telemetry_transport=transport,
    )
    result = client.tools.execute("SHOUT", {"text": "hi", "times": 3}, user_id="u")
    assert result.successful and result.data == {"result": "HIHIHI"}
    with pytest.raises(ToolExecutionError, match="RuntimeError: boom") as failed:
        client.tools.execute("Explode", {"reason": "boom"})
    assert failed.value.result.successful is False
    # Arguments that do not fit the schema are the tool's failure too, not a crash.
    bad = client.tools.execute("SHOUT", {"text": 1}, raise_on_error=False)
    assert bad.successful is False and "text" in (bad.error or "")
    assert server.requests == []  # nothing was sent
    assert [(op, method) for op, method, _ in recorder.seen] == [("tools.execute", "POST")] * 3
    assert recorder.seen[0][2].endswith("/tools/execute/SHOUT")
    client.close()
    statuses = [(e["functionName"], e["status"]) for e in transport.events]
    assert statuses == [
        ("tools.execute", "ok"),
        ("tools.execute", "ToolExecutionError"),
        ("tools.execute", "ToolExecutionError"),
    ]


def test_tools_get_includes_custom_tools_by_every_filter(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[shout, explode])
    everything = names(client.tools.get("u"))
    assert everything[-2:] == ["SHOUT", "Explode"] and len(everything) > 2
    before = len(server.requests)
    assert names(client.tools.get("u", tools=["shout"])) == ["SHOUT"]
    assert names(client.tools.get("u", slug="EXPLODE")) == ["Explode"]
    assert len(server.requests) == before  # only custom tools asked for: no request
    by_kit = names(client.tools.get("u", toolkits=["text"]))
    assert "SHOUT" in by_kit and "TEXT_UPPERCASE" in by_kit and "Explode" not in by_kit
    mixed = names(client.tools.get("u", tools=["MATH_ADD", "SHOUT"]))
    assert mixed == ["MATH_ADD", "SHOUT"]
    assert "Explode" in names(client.tools.get("u", search="always fails"))


def test_custom_tools_follow_with_options_and_sessions(driver: Driver, server: LocalServer) -> None:
    client = make(driver, server, custom_tools=[shout])
    assert names(client.create_session(headers={"x-a": "1"}).tools.get("u", tools=["SHOUT"])) == [
        "SHOUT"
    ]
    kept = client.with_options(max_retries=0)
    assert kept.tools.execute("SHOUT", {"text": "a"}).data == {"result": "A"}
    replaced = client.with_options(custom_tools=[explode])
    assert names(replaced.tools.get("u", tools=["Explode"])) == ["Explode"]
    # SHOUT is no custom tool there any more: it goes to the API, which does not know it.
    out = replaced.tools.handle_tool_calls(
        "u",
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "SHOUT", "arguments": '{"text": "a"}'},
                            }
                        ],
                    }
                }
            ]
        },
    )
    assert "unknown tool 'SHOUT'" in json.loads(out[0]["content"])["error"]


def test_every_annotation_kind_becomes_schema_and_runs(driver: Driver, server: LocalServer) -> None:
    for provider, key in (
        (None, ("function", "parameters")),
        (OpenAIResponsesProvider(), ("parameters",)),
        (AnthropicProvider(), ("input_schema",)),
    ):
        client = make(driver, server, custom_tools=[every_type], provider=provider)
        [wrapped] = client.tools.get("u", tools=["EVERY_TYPE"])
        schema = wrapped
        for part in key:
            schema = schema[part]
        assert schema == every_type.tool.input_parameters
        props = schema["properties"]
        assert props["s"] == {"type": "string", "description": "a string"}
        assert props["i"]["type"] == "integer" and props["f"]["type"] == "number"
        assert props["b"]["type"] == "boolean"
        assert props["items"] == {"type": "array", "items": {"type": "integer"}}
        assert props["meta"]["type"] == "object"
        assert props["maybe"]["type"] == ["string", "null"]
        assert props["mode"]["enum"] == ["fast", "slow"]
        assert set(schema["required"]) == set(props)  # no defaults: all required
    client = make(driver, server, custom_tools=[every_type])
    arguments = {
        "s": "x",
        "i": 1,
        "f": 1.5,
        "b": True,
        "items": [1, 2],
        "meta": {"k": "v"},
        "maybe": None,
        "mode": "fast",
        "address": {"street": "Main", "zip": 12345},
        "order": {"sku": "A1", "quantity": 2},
    }
    data = client.tools.execute("EVERY_TYPE", arguments).data
    assert data == {
        **{k: arguments[k] for k in list(arguments)[:8]},
        "zip": 12345,
        "order": ["A1", 2],
    }
    assert server.requests == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (shout, "takes a list of custom tools"),
        ([lambda: 1], r"custom_tools=\.\.\.\)\[0\] is a function; decorate"),
        (
            [shout, custom_tool(slug="shout", description="Again.")(lambda: None)],
            "two custom tools share the slug",
        ),
    ],
)
def test_bad_custom_tools_are_refused_naming_the_problem(
    driver: Driver, server: LocalServer, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make(driver, server, custom_tools=value)
    client = make(driver, server)
    with pytest.raises(ValidationError, match=message):
        client.with_options(custom_tools=value)


@custom_tool
async def slow_echo(text: str) -> str:
    """Echo, asynchronously."""
    await asyncio.sleep(0)
    return text


def test_async_tools_run_on_the_async_client_only(server: LocalServer) -> None:
    with pytest.raises(ValidationError, match="'SLOW_ECHO' is an async function; use it with"):
        Composio(api_key=server.api_key, base_url=server.url, custom_tools=[slow_echo])

    seen: list[str] = []

    @custom_tool
    def where(x: int) -> str:
        """Report the thread."""
        seen.append(threading.current_thread().name)
        return "ok"

    async def main() -> None:
        async with AsyncComposio(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            custom_tools=[slow_echo, where],
        ) as client:
            assert (await client.tools.execute("SLOW_ECHO", {"text": "hi"})).data == {
                "result": "hi"
            }
            await client.tools.execute("WHERE", {"x": 1})
            assert seen and seen[0] != threading.current_thread().name  # not the loop's

    asyncio.run(main())
    assert server.requests == []


def test_sync_view_client_is_the_async_one(driver: Driver, server: LocalServer) -> None:
    """(Guards the suite: the async driver really runs AsyncComposio.)"""
    client = make(driver, server, custom_tools=[shout])
    assert isinstance(client, SyncView) == driver.is_async


@custom_tool(toolkit="github")
def my_login(proxy: ToolProxy, note: str = "") -> dict[str, Any]:
    """The GitHub login of the connected account, read through the proxy."""
    answer = proxy("/user", "GET")
    return {"asked": answer.data["url"], "method": answer.data["method"], "note": note}


def connect_github(client: Any, server: LocalServer, user_id: str) -> str:
    config = client.auth_configs.create("github")
    request = client.connected_accounts.link(user_id, config.id)
    assert server.complete_connection(request.id) == "ACTIVE"
    return str(request.id)


def test_a_toolkit_bound_tool_calls_the_proxy_with_the_users_active_account(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[my_login])
    account = connect_github(client, server, "user-a")
    before = len(server.requests)
    session = client.create_session(headers={"x-request-id": "turn-1"})
    result = session.tools.execute("MY_LOGIN", {"note": "hi"}, user_id="user-a")
    assert result.data == {
        "asked": "https://api.github.example.com/user",
        "method": "GET",
        "note": "hi",
    }
    sent = server.requests[before:]
    # One list call finds the account, then the proxy call; the tool itself sends nothing.
    assert [(r.method, r.path.replace("/api/v3.1", "")) for r in sent] == [
        ("GET", "/connected_accounts"),
        ("POST", "/tools/execute/proxy"),
    ]
    assert sent[0].query == {
        "user_ids": ["user-a"],
        "toolkit_slugs": ["github"],
        "statuses": ["ACTIVE"],
    }
    assert sent[1].json()["connected_account_id"] == account
    assert {r.header("x-request-id") for r in sent} == {"turn-1"}  # the session's headers
    # A connected_account_id given (or set by a before_execute modifier) skips the list call.
    before = len(server.requests)
    session.tools.execute("MY_LOGIN", {}, user_id="user-a", connected_account_id=account)
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests[before:]] == ["proxy"]


def test_a_toolkit_bound_tool_without_an_account_fails_with_the_reason(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[my_login])
    with pytest.raises(ToolExecutionError, match="has no ACTIVE one; connect one first"):
        client.tools.execute("MY_LOGIN", {}, user_id="nobody")
    out = client.tools.handle_tool_calls(
        "nobody",
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "MY_LOGIN", "arguments": "{}"},
                            }
                        ],
                    }
                }
            ]
        },
    )
    assert "needs a connected 'github' account" in json.loads(out[0]["content"])["error"]
    with pytest.raises(ToolExecutionError, match="pass user_id="):
        client.tools.execute("MY_LOGIN", {})
    assert not [r for r in server.requests if "proxy" in r.path]


@custom_tool(toolkit="github")
async def my_login_async(proxy: ToolProxy) -> dict[str, Any]:
    """The GitHub login, read through the awaited proxy."""
    answer = await proxy("/user", "GET")
    return {"asked": answer.data["url"]}


def test_an_async_toolkit_bound_tool_awaits_its_proxy(server: LocalServer) -> None:
    async def main() -> None:
        async with AsyncComposio(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            custom_tools=[my_login_async],
        ) as client:
            config = await client.auth_configs.create("github")
            link = await client.connected_accounts.link("user-a", config.id)
            server.complete_connection(link.id)
            result = await client.tools.execute("MY_LOGIN_ASYNC", {}, user_id="user-a")
            assert result.data == {"asked": "https://api.github.example.com/user"}

    asyncio.run(main())
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests][-2:] == [
        "connected_accounts",
        "proxy",
    ]
