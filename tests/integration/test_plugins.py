"""Plugins through a real entry point (a dist-info made in the test), ``plugins=`` and
``middlewares=`` (SPEC §3)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import composio
from composio import (
    CallNext,
    Composio,
    PluginError,
    Request,
    Response,
    Stage,
    ValidationError,
)
from composio.plugins import reset_entry_point_cache
from composio.testing import LocalServer

PLUGIN_SOURCE = """
import composio

class Tag:
    name = "ep-tag"
    stage = composio.Stage.ATTEMPT
    order = 5

    def __call__(self, request, call_next):
        request.headers["x-ep-attempt"] = request.headers.get("x-retry-count", "?")
        return call_next(request)

@composio.hookimpl
def composio_middlewares(config):
    return [Tag()]

@composio.hookimpl
def composio_request_metadata(config):
    return {"x-ep-meta": "from-entry-point", "x-overridden": "plugin"}
"""


def _install_fake_dist(root: Path, name: str, source: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(source))
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[composio]\n{name} = {name}\n")


@pytest.fixture
def entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    _install_fake_dist(tmp_path, "fakeplugin", PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_entry_point_cache()
    yield tmp_path
    sys.modules.pop("fakeplugin", None)
    reset_entry_point_cache()


def _client(server: LocalServer, **kw: object) -> Composio:
    return Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)  # type: ignore[arg-type]


def test_entry_point_plugin_adds_middleware_and_metadata(
    entry_point_plugin: Path, composio_server: LocalServer
) -> None:
    client = _client(composio_server, default_headers={"x-overridden": "default"})
    assert "fakeplugin" in client.plugin_names
    assert "ep-tag" in [m.name for m in client.chain]
    client.tools.list(limit=1)
    seen = composio_server.requests[-1]
    assert seen.header("x-ep-meta") == "from-entry-point"
    assert seen.header("x-ep-attempt") == "0"
    # metadata sits below default_headers
    assert seen.header("x-overridden") == "default"
    # and a session may remove a metadata header
    client.create_session(headers={"x-ep-meta": None}).tools.list(limit=1)
    assert composio_server.requests[-1].header("x-ep-meta") is None
    client.close()


def test_autoload_can_be_disabled(
    entry_point_plugin: Path, composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    client = _client(composio_server)
    assert "fakeplugin" not in client.plugin_names
    client.tools.list(limit=1)
    assert composio_server.requests[-1].header("x-ep-meta") is None
    client.close()


def test_plugin_blocked_by_name(
    entry_point_plugin: Path, composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "fakeplugin" not in _client(composio_server, blocked_plugins=["fakeplugin"]).plugin_names
    monkeypatch.setenv("COMPOSIO_BLOCKED_PLUGINS", "other, fakeplugin")
    assert "fakeplugin" not in _client(composio_server).plugin_names


def test_broken_entry_point_names_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_dist(tmp_path, "brokenplugin", "raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_entry_point_cache()
    try:
        with pytest.raises(PluginError, match="brokenplugin"):
            Composio(api_key="k", base_url="http://127.0.0.1:9")
        # blocking it by name is enough: it is never imported (SPEC §12.2)
        monkeypatch.setenv("COMPOSIO_BLOCKED_PLUGINS", "brokenplugin")
        assert Composio(api_key="k", base_url="http://127.0.0.1:9")
        monkeypatch.delenv("COMPOSIO_BLOCKED_PLUGINS")
        # and so is turning autoload off
        monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
        assert Composio(api_key="k", base_url="http://127.0.0.1:9")
    finally:
        reset_entry_point_cache()


class Counter:
    """A middleware that calls ``call_next`` twice: the chain allows it."""

    name = "twice"
    stage = Stage.CALL
    order = 50

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        call_next(request)
        return call_next(request)


class ShortCircuit:
    name = "short"
    stage = Stage.ATTEMPT

    def __init__(self, canned: dict[str, Response]) -> None:
        self.canned = canned

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        if request.context.operation in self.canned:
            return self.canned[request.context.operation]
        response = call_next(request)
        self.canned[request.context.operation] = response
        return response


def test_middlewares_keyword_can_call_next_many_times_or_not_at_all(
    composio_server: LocalServer,
) -> None:
    client = _client(composio_server, middlewares=[Counter()])
    client.tools.list(limit=1)
    assert len(composio_server.requests) == 2
    cache = ShortCircuit({})
    cached = _client(composio_server, middlewares=[cache])
    first = cached.tools.list(limit=1)
    second = cached.tools.list(limit=1)
    assert first.items == second.items
    assert len(composio_server.requests) == 3  # the second call never reached the transport
    client.close()
    cached.close()


def test_chain_sorted_by_stage_order_name() -> None:
    class Mw:
        def __init__(self, name: str, stage: Stage, order: int = 0) -> None:
            self.name, self.stage, self.order = name, stage, order

        def __call__(self, request: Request, call_next: CallNext) -> Response:
            return call_next(request)

    extra = [Mw("z-attempt", Stage.ATTEMPT, -1), Mw("b-call", Stage.CALL), Mw("a-call", Stage.CALL)]
    client = Composio(api_key="k", base_url="http://127.0.0.1:9", middlewares=extra)
    names = [m.name for m in client.chain]
    assert names == [
        "telemetry",
        "a-call",
        "b-call",
        "auth",
        "identity",
        "default-headers",
        "session-headers",
        "call-headers",
        "retry",
        "z-attempt",
        "tracing",
    ]


def test_plugins_keyword_and_failing_hook_names_plugin() -> None:
    class Failing:
        composio_plugin_name = "acme-audit"

        @composio.hookimpl
        def composio_middlewares(self, config: object) -> list[object]:
            raise RuntimeError("cannot reach audit sink")

    with pytest.raises(PluginError) as err:
        Composio(api_key="k", base_url="http://127.0.0.1:9", plugins=[Failing()])
    assert "acme-audit" in str(err.value) and "cannot reach audit sink" in str(err.value)

    class NotAMiddleware:
        @composio.hookimpl
        def composio_middlewares(self, config: object) -> list[object]:
            return [object()]

    with pytest.raises(PluginError, match="not a middleware"):
        Composio(api_key="k", base_url="http://127.0.0.1:9", plugins=[NotAMiddleware()])

    class ReservedMeta:
        composio_plugin_name = "sneaky"

        @composio.hookimpl
        def composio_request_metadata(self, config: object) -> dict[str, str]:
            return {"x-api-key": "stolen"}

    with pytest.raises(ValidationError, match="sneaky"):
        Composio(api_key="k", base_url="http://127.0.0.1:9", plugins=[ReservedMeta()])


def test_duplicate_middleware_names_rejected() -> None:
    with pytest.raises(PluginError, match="auth"):
        Composio(api_key="k", base_url="http://127.0.0.1:9", middlewares=[_Named("auth")])


class _Named:
    stage = Stage.CALL

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        return call_next(request)


def test_cli_plugins_lists_entry_point_plugin_and_chain(entry_point_plugin: Path) -> None:
    env = dict(
        os.environ,
        PYTHONPATH=f"{entry_point_plugin}{os.pathsep}" + os.environ.get("PYTHONPATH", ""),
    )
    out = subprocess.run(
        [sys.executable, "-m", "composio.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    assert "fakeplugin" in out
    order = [
        line.split()[2] for line in out.splitlines() if line.startswith("  ") and "order=" in line
    ]
    assert order[0] == "telemetry" and order[-2:] == ["tracing", "ep-tag"]
