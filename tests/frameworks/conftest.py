"""Shared parts of the agent-framework tests (SPEC §17): a LocalServer, a plugin that sees
every execution, the client of either kind, and ``framework()`` to import a framework.

Why ``framework()`` and not a bare ``pytest.importorskip``: in the dev venv the frameworks
are absent and these tests skip; in ``tox -e frameworks`` (which installs them from the
project's extras and sets ``COMPOSIO_REQUIRE_FRAMEWORKS=1``) a missing framework is an
error, so a broken extra cannot pass as a row of skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from composio import AsyncComposio, Composio, ExecuteRequest, hookimpl, schema_modifier
from composio.models import Tool
from composio.testing import LocalServer
from tests._drivers import Driver

#: the session's header every execution must carry (the agent runs in that session)
TURN_HEADER = ("x-request-id", "turn-7")


def framework(module: str) -> ModuleType:
    """``import module``; skipped where absent, unless the env requires the frameworks."""
    if os.environ.get("COMPOSIO_REQUIRE_FRAMEWORKS") == "1":
        return importlib.import_module(module)
    return pytest.importorskip(module)


class Spy:
    """A pluggy plugin on the client: records every execution the hook sees (tool, user,
    arguments, and the thread it ran on)."""

    composio_plugin_name = "spy"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, dict[str, Any]]] = []
        self.threads: list[int] = []

    @hookimpl
    def composio_before_execute(self, tool: str, params: ExecuteRequest) -> ExecuteRequest:
        self.seen.append((tool, params.user_id, dict(params.arguments)))
        self.threads.append(threading.get_ident())
        return dataclasses.replace(params, arguments={**params.arguments})


@pytest.fixture(params=["async", "sync"])
def kind(request: pytest.FixtureRequest) -> str:
    """An async test's client kind (:func:`session_of`): ``AsyncComposio`` awaits natively,
    ``Composio`` runs in a worker thread."""
    return str(request.param)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def executions(server: LocalServer) -> list[Any]:
    """The execute requests the server received, in order."""
    return [r for r in server.requests if "/tools/execute/" in r.path]


def check_executed(server: LocalServer, *slugs: str, user: str = "alice") -> list[Any]:
    """The server ran exactly ``slugs`` for ``user``, each in the agent's session; in any
    order (frameworks may run one turn's calls concurrently)."""
    sent = executions(server)
    assert sorted(r.path.rsplit("/", 1)[-1] for r in sent) == sorted(slugs)
    for request in sent:
        assert request.json()["user_id"] == user
        assert request.header(TURN_HEADER[0]) == TURN_HEADER[1]
    return sent


def session(driver: Driver, server: LocalServer, provider: Any, spy: Spy, **kw: Any) -> Any:
    """A session of a client of ``driver``'s kind with ``provider`` and ``spy`` plugged in."""
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        provider=provider,
        plugins=[spy],
        **kw,
    )
    return client.create_session(headers=dict([TURN_HEADER]))


@contextlib.asynccontextmanager
async def session_of(kind: str, server: LocalServer, spy: Spy, **kw: Any) -> AsyncIterator[Any]:
    """For async tests: a session of an ``AsyncComposio`` (``kind="async"``) or a
    ``Composio`` with ``spy`` plugged in, closed afterwards."""
    client = (AsyncComposio if kind == "async" else Composio)(
        api_key=server.api_key, base_url=server.url, allow_tracking=False, plugins=[spy], **kw
    )
    try:
        yield client.create_session(headers=dict([TURN_HEADER]))
    finally:
        if isinstance(client, AsyncComposio):
            await client.close()
        else:
            client.close()


async def tools_of(composio: Any, user_id: str, **kw: Any) -> list[Any]:
    """``tools.get`` from an async test: awaited on ``AsyncComposio``; in a worker thread on
    ``Composio`` (it does I/O, which must stay off the loop)."""
    if isinstance(composio, AsyncComposio):
        return list(await composio.tools.get(user_id, **kw))
    return list(await asyncio.to_thread(composio.tools.get, user_id, **kw))


async def check_async_path(
    kind: str, server: LocalServer, provider: Any, run: Callable[[list[Any]], Awaitable[Any]]
) -> None:
    """The async half of every framework's test: ``run(tools)`` drives the framework's own
    async loop with ``MATH_ADD`` for alice (its model asks for 4 + 5 and checks it read
    ``{"result": 9}``). On ``AsyncComposio`` the execution ran on this loop's thread (awaited
    natively), on ``Composio`` in another thread (the loop never blocked)."""
    spy = Spy()
    async with session_of(kind, server, spy, provider=provider) as composio:
        await run(await tools_of(composio, "alice", tools=["MATH_ADD"]))
    check_executed(server, "MATH_ADD")
    assert spy.seen == [("MATH_ADD", "alice", {"a": 4, "b": 5})]
    assert (spy.threads == [threading.get_ident()]) is (kind == "async")


def framework_tools(
    driver: Driver,
    server: LocalServer,
    provider: Any,
    *slugs: str,
    modifiers: list[Any] | None = None,
    **kw: Any,
) -> tuple[list[Any], Spy]:
    """``provider``'s tools ``slugs`` for alice (with ``modifiers``), from a session
    (:func:`session`) of a client of ``driver``'s kind, and the :class:`Spy` plugged in."""
    spy = Spy()
    composio = session(driver, server, provider, spy, **kw)
    return list(composio.tools.get("alice", tools=list(slugs), modifiers=modifiers)), spy


#: argument names that are not Python identifiers or are keywords (vendor #2265), and
#: ``config``, which LangChain injects: a tool's schema with them added (``ODD_NAMES``)
ODD_ARGUMENTS = {"repo": "o/r", "$expand": "labels", "for": "me", "config": "c"}


@schema_modifier(tools=["GITHUB_LIST_ISSUES"])
def odd_names(tool: str, toolkit: str, schema: Tool) -> Tool:
    params = dict(schema.input_parameters or {})
    added = {name: {"type": "string"} for name in ODD_ARGUMENTS if name != "repo"}
    params["properties"] = {**params["properties"], **added}
    return dataclasses.replace(schema, input_parameters=params)


def check_odd_names(
    driver: Driver, server: LocalServer, provider: Any, run: Callable[[list[Any]], Any]
) -> None:
    """Argument names that are not identifiers or are keywords work: ``run(tools)`` drives
    the framework's loop, where the model calls ``GITHUB_LIST_ISSUES`` with
    :data:`ODD_ARGUMENTS`, and returns the argument names the model was offered."""
    server.connect_user("alice", "github")  # GitHub tools need an account, as on the API
    tools, _ = framework_tools(
        driver, server, provider, "GITHUB_LIST_ISSUES", modifiers=[odd_names]
    )
    assert set(ODD_ARGUMENTS) <= set(run(tools))
    [sent] = check_executed(server, "GITHUB_LIST_ISSUES")
    assert sent.json()["arguments"] == ODD_ARGUMENTS
