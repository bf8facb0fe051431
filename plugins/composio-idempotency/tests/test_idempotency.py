"""composio-idempotency against the local server, over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import composio_idempotency
import pytest
from composio_idempotency import IdempotencyKeyMiddleware

from composio import Composio, InternalServerError, Stage
from composio.middlewares.retry import RetrySeams
from composio.testing import Fault, LocalServer

EXECUTE = "/api/v3/tools/execute/GITHUB_CREATE_ISSUE"
ARGS = {"owner": "acme", "repo": "api", "title": "flaky"}


def _client(server: LocalServer, **kw: object) -> Composio:
    client = Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        # No real backoff in tests: the retry seam's sleep is fixed when the chain is built.
        plugins=[composio_idempotency, RetrySeams(sleep=lambda seconds: None)],
        **kw,  # type: ignore[arg-type]
    )
    return client


@pytest.fixture(autouse=True)
def _connected_users(composio_server: LocalServer) -> None:
    """GITHUB_CREATE_ISSUE needs a connected account, as on the real API: the users these
    tests execute it for have one (the connect flow is not their subject)."""
    for user in ("default", "u"):
        composio_server.connect_user(user, "github")


@pytest.fixture
def client(composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Composio]:
    # Only this plugin, whatever else is installed next to it.
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    c = _client(composio_server)
    yield c
    c.close()


def test_a_lost_answer_is_retried_and_the_tool_runs_once(
    client: Composio, composio_server: LocalServer
) -> None:
    # The server runs the tool, then answers 500: the "work done, answer lost" case.
    composio_server.fail_next(EXECUTE, [Fault(status=500, passthrough=True)])

    result = client.tools.execute("GITHUB_CREATE_ISSUE", ARGS)

    assert result.successful
    assert composio_server.execution_count("GITHUB_CREATE_ISSUE") == 1
    attempts = composio_server.requests_to(EXECUTE)
    assert [r.header("x-retry-count") for r in attempts] == ["0", "1"]
    keys = {r.header("idempotency-key") for r in attempts}
    assert len(keys) == 1 and None not in keys


def test_without_the_plugin_the_same_fault_is_not_retried(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    composio_server.fail_next(EXECUTE, [Fault(status=500, passthrough=True)])
    with (
        Composio(
            api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
        ) as bare,
        pytest.raises(InternalServerError),
    ):
        bare.tools.execute("GITHUB_CREATE_ISSUE", ARGS)
    assert len(composio_server.requests_to(EXECUTE)) == 1
    assert composio_server.execution_count() == 1


def test_each_operation_gets_its_own_key(client: Composio, composio_server: LocalServer) -> None:
    client.tools.execute("GITHUB_CREATE_ISSUE", ARGS)
    client.create_session(headers={"x-user": "b"}).tools.execute("GITHUB_CREATE_ISSUE", ARGS)
    keys = [r.header("idempotency-key") for r in composio_server.requests_to(EXECUTE)]
    assert len(keys) == 2 and None not in keys and keys[0] != keys[1]
    assert composio_server.execution_count() == 2  # two calls, two executions


def test_a_callers_key_is_scoped_to_the_execution_and_none_opts_out(
    client: Composio, composio_server: LocalServer
) -> None:
    """A caller's key stays the caller's (a repeat of the same call sends the same key, so the
    server replays it) but names this execution: another execution under it gets another."""
    mine = {"Idempotency-Key": "mine"}
    client.tools.execute("GITHUB_CREATE_ISSUE", ARGS, extra_headers=mine)
    client.tools.execute("GITHUB_CREATE_ISSUE", ARGS, extra_headers=mine)
    client.tools.execute("GITHUB_CREATE_ISSUE", {**ARGS, "title": "other"}, extra_headers=mine)
    client.tools.execute("GITHUB_CREATE_ISSUE", ARGS, extra_headers={"Idempotency-Key": None})
    first, repeat, other, none = (
        r.header("idempotency-key") for r in composio_server.requests_to(EXECUTE)
    )
    assert first is not None and first.startswith("mine.") and repeat == first
    assert other is not None and other.startswith("mine.") and other != first
    assert none is None
    # first, other and the keyless one ran; the repeat was replayed
    assert composio_server.execution_count("GITHUB_CREATE_ISSUE") == 3


@pytest.mark.parametrize("shared", ["turn", "session"])
def test_break1_a_shared_key_never_makes_two_executions_one(
    client: Composio, composio_server: LocalServer, shared: str
) -> None:
    """Review of issue 16: a key on the turn's ``extra_headers`` (or a session) reached both
    executions, the server ran the first and replayed its answer for the second (1+1 and
    5+5 both answered 2)."""
    import json

    calls = [("c1", '{"a": 1, "b": 1}'), ("c2", '{"a": 5, "b": 5}')]
    message = {
        "role": "assistant",
        "tool_calls": [
            {"id": i, "function": {"name": "MATH_ADD", "arguments": a}} for i, a in calls
        ],
    }
    response = {"choices": [{"message": message}]}
    key = {"Idempotency-Key": "turn-1"}
    if shared == "turn":
        out = client.tools.handle_tool_calls("u", response, extra_headers=key)
    else:
        out = client.create_session(headers=key).tools.handle_tool_calls("u", response)
    answers = [json.loads(m["content"]) for m in out]  # type: ignore[index]
    assert answers == [{"result": 2}, {"result": 10}]
    assert composio_server.execution_count("MATH_ADD") == 2


def test_reads_get_no_key(client: Composio, composio_server: LocalServer) -> None:
    client.tools.list()
    assert composio_server.requests_to("/api/v3/tools")[0].header("idempotency-key") is None


def test_it_sits_after_the_call_headers_in_the_call_stage(client: Composio) -> None:
    names = [m.name for m in client.chain]
    assert names.index("call-headers") < names.index("idempotency-key") < names.index("retry")
    mw = client.chain[names.index("idempotency-key")]
    assert isinstance(mw, IdempotencyKeyMiddleware) and mw.stage is Stage.CALL


def test_the_package_registers_its_entry_point(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="composio")}
    assert eps.get("composio-idempotency") == "composio_idempotency"
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    with Composio(api_key=composio_server.api_key, base_url=composio_server.url) as c:
        assert "composio-idempotency" in c.plugin_names
        assert "idempotency-key" in [m.name for m in c.chain]
    with Composio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        blocked_plugins=["composio-idempotency"],
    ) as blocked:
        assert "idempotency-key" not in [m.name for m in blocked.chain]


def test_the_same_plugin_serves_the_async_client(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sans-I/O middleware (``on_request``): ``AsyncComposio`` builds with it (SPEC §13)."""
    import asyncio

    from composio import AsyncComposio

    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    composio_server.fail_next(EXECUTE, [Fault(status=500, passthrough=True)])

    async def run() -> bool:
        async with AsyncComposio(
            api_key=composio_server.api_key,
            base_url=composio_server.url,
            allow_tracking=False,
            plugins=[composio_idempotency, RetrySeams(sleep=lambda seconds: None)],
        ) as client:
            return (await client.tools.execute("GITHUB_CREATE_ISSUE", ARGS)).successful

    assert asyncio.run(run())
    assert composio_server.execution_count("GITHUB_CREATE_ISSUE") == 1
    keys = {r.header("idempotency-key") for r in composio_server.requests_to(EXECUTE)}
    assert len(keys) == 1 and None not in keys


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_item12_handle_tool_calls_executions_get_a_key_and_a_503_is_retried(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The key follows the SDK's tool-execution marker (``request.context.tool``), not the
    operation name: handle_tool_calls' executions report as ``tools.handle_tool_calls``."""
    import asyncio
    import json

    from composio import AsyncComposio

    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    composio_server.fail_next(EXECUTE, [Fault(status=503, passthrough=True)])
    calls = [
        ("c1", "GITHUB_CREATE_ISSUE", json.dumps(ARGS)),
        ("c2", "MATH_ADD", '{"a": 1, "b": 2}'),
    ]
    message = {
        "role": "assistant",
        "tool_calls": [{"id": i, "function": {"name": n, "arguments": a}} for i, n, a in calls],
    }
    response = {"choices": [{"message": message}]}
    settings: dict[str, object] = {
        "api_key": composio_server.api_key,
        "base_url": composio_server.url,
        "allow_tracking": False,
        "plugins": [composio_idempotency, RetrySeams(sleep=lambda seconds: None)],
    }
    if kind == "sync":
        with Composio(**settings) as client:  # type: ignore[arg-type]
            out = client.tools.handle_tool_calls("u", response)
    else:

        async def run() -> list[object]:
            async with AsyncComposio(**settings) as client:  # type: ignore[arg-type]
                return await client.tools.handle_tool_calls("u", response)

        out = asyncio.run(run())
    answers = [json.loads(m["content"]) for m in out]  # type: ignore[index]
    assert all(a.get("successful") is not False for a in answers), answers
    assert composio_server.execution_count("GITHUB_CREATE_ISSUE") == 1
    attempts = composio_server.requests_to(EXECUTE)
    assert [r.header("x-retry-count") for r in attempts] == ["0", "1"]
    keys = {r.header("idempotency-key") for r in attempts}
    assert len(keys) == 1 and None not in keys
    other = composio_server.requests_to("/api/v3/tools/execute/MATH_ADD")
    assert other and other[0].header("idempotency-key") not in (None, *keys)


def test_reads_and_lookups_of_a_tool_call_get_no_key(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the execution is marked: the toolkit lookup a hook needs is a GET without one."""
    from composio import hookimpl

    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")

    class Hook:
        composio_plugin_name = "hook"

        @hookimpl
        def composio_before_execute(self) -> None:
            return None

    with Composio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
        plugins=[composio_idempotency, Hook()],
    ) as hooked:
        hooked.tools.execute("GITHUB_CREATE_ISSUE", ARGS)
    lookup = composio_server.requests_to("/api/v3/tools/GITHUB_CREATE_ISSUE")
    assert lookup and lookup[0].header("idempotency-key") is None
    assert composio_server.requests_to(EXECUTE)[0].header("idempotency-key") is not None
