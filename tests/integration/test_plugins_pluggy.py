"""SPEC §12.2: plugins follow pluggy's semantics, not a look-alike.

Entry points are real: a distribution (dist-info + ``entry_points.txt``) written to a temporary
``sys.path`` entry, found by ``importlib.metadata`` exactly as an installed package would be.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

import composio
from composio import Composio, PluginError, RetryDecision
from composio.middlewares.retry import RetrySeams
from composio.plugins import reset_entry_point_cache
from composio.testing import LocalServer
from tests.integration.test_plugins import _install_fake_dist

TOOLS = "/api/v3/tools"
DEAD = "http://127.0.0.1:9"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` to install fake distributions into."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    reset_entry_point_cache()
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("h3plug"):
            del sys.modules[name]
    reset_entry_point_cache()


def _client(server: LocalServer, **kw: Any) -> Composio:
    kw.setdefault("allow_tracking", False)
    return Composio(api_key=server.api_key, base_url=server.url, **kw)


# -- a hookimpl receives only the arguments it declares ---------------------------------------
class Tag:
    name = "no-arg-tag"
    stage = composio.Stage.CALL

    def __call__(self, request: composio.Request, call_next: composio.CallNext) -> Any:
        request.headers["x-no-arg-mw"] = "1"
        return call_next(request)


class NoArgs:
    """Every hook declared with fewer arguments than its spec: valid pluggy."""

    composio_plugin_name = "no-args"

    def __init__(self) -> None:
        self.events: list[str] = []
        self.attempts: list[int] = []

    @composio.hookimpl
    def composio_request_metadata(self) -> dict[str, str]:
        return {"x-no-arg-meta": "yes"}

    @composio.hookimpl
    def composio_middlewares(self) -> list[object]:
        return [Tag()]

    @composio.hookimpl
    def composio_retry_decision(self, attempt: int) -> RetryDecision | None:
        self.attempts.append(attempt)
        return RetryDecision(retry=True, wait=0.0, reason="no-args says so")

    @composio.hookimpl
    def composio_telemetry_event(self) -> None:
        self.events.append("seen")


def test_hookimpls_with_fewer_arguments_work(composio_server: LocalServer) -> None:
    plugin = NoArgs()
    client = _client(composio_server, plugins=[plugin], allow_tracking=True)
    # 404 is not retryable by the built-in rules: only the plugin's decision retries it
    composio_server.fail_next(TOOLS, [404])
    assert client.tools.list(limit=1).items
    first, second = composio_server.requests_to(TOOLS)
    for seen in (first, second):
        assert seen.header("x-no-arg-meta") == "yes"
        assert seen.header("x-no-arg-mw") == "1"
    assert second.header("x-retry-count") == "1"
    assert plugin.attempts == [0]
    assert plugin.events == ["seen"]  # one event per operation
    client.close()


# -- wrappers are refused, naming the plugin ---------------------------------------------------
def _wrapper_plugin(hook: str, option: str) -> object:
    marker = composio.hookimpl(**{option: True})

    def impl(self: object) -> Generator[None, Any, Any]:
        return (yield)

    namespace = {"composio_plugin_name": f"wrapping-{hook}", hook: marker(impl)}
    return type("Wrapping", (), namespace)()


@pytest.mark.parametrize("option", ["wrapper", "hookwrapper"])
@pytest.mark.parametrize(
    "hook",
    [
        "composio_middlewares",
        "composio_request_metadata",
        "composio_retry_decision",
        "composio_telemetry_event",
        "composio_before_execute",
        "composio_after_execute",
        "composio_tool_schema",
    ],
)
def test_wrapper_hookimpls_are_refused_naming_the_plugin(hook: str, option: str) -> None:
    with pytest.raises(PluginError) as err:
        Composio(api_key="k", base_url=DEAD, plugins=[_wrapper_plugin(hook, option)])
    assert f"wrapping-{hook}" in str(err.value)
    assert f"{option}=True" in str(err.value) and hook in str(err.value)


# -- two instances of one plugin class ---------------------------------------------------------
class Stamp:
    def __init__(self, header: str) -> None:
        self.header = header

    @composio.hookimpl
    def composio_request_metadata(self, config: object) -> dict[str, str]:
        return {self.header: "1"}


def test_two_instances_of_one_plugin_class(composio_server: LocalServer) -> None:
    client = _client(composio_server, plugins=[Stamp("x-first"), Stamp("x-second")])
    client.tools.list(limit=1)
    seen = composio_server.requests[-1]
    assert seen.header("x-first") == "1" and seen.header("x-second") == "1"
    base = f"{Stamp.__module__}.{Stamp.__qualname__}"
    assert [n for n in client.plugin_names if n.startswith(base)] == [base, f"{base}#2"]
    # blocking the name blocks every instance registered under it
    assert not [
        n
        for n in _client(
            composio_server, plugins=[Stamp("x-a")], blocked_plugins=[base]
        ).plugin_names
        if n.startswith(base)
    ]
    client.close()


def test_failing_instance_is_named_apart_from_its_twin() -> None:
    class Flaky:
        composio_plugin_name = "flaky"

        def __init__(self, fail: bool) -> None:
            self.fail = fail

        @composio.hookimpl
        def composio_middlewares(self) -> list[object]:
            if self.fail:
                raise RuntimeError("second instance broke")
            return []

    with pytest.raises(PluginError) as err:
        Composio(api_key="k", base_url=DEAD, plugins=[Flaky(False), Flaky(True)])
    assert "'flaky#2'" in str(err.value) and "second instance broke" in str(err.value)


def test_unhashable_plugin_is_refused_with_a_fix() -> None:
    class Unhashable:
        composio_plugin_name = "eq-only"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Unhashable)

        __hash__ = None  # type: ignore[assignment]

        @composio.hookimpl
        def composio_request_metadata(self) -> dict[str, str]:
            return {}

    with pytest.raises(PluginError, match=r"'eq-only'.*eq=False"):
        Composio(api_key="k", base_url=DEAD, plugins=[Unhashable()])


# -- blocked entry points are never imported ---------------------------------------------------
RECORDS_IMPORT = """
import os
open(os.path.join(os.path.dirname(__file__), "{name}.imported"), "a").write("x")
raise RuntimeError("{name} must never be imported when blocked")
"""


def test_blocked_entry_point_is_never_imported(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "h3plug_sentinel"
    _install_fake_dist(site, name, RECORDS_IMPORT.format(name=name))
    marker = site / f"{name}.imported"
    Composio(api_key="k", base_url=DEAD, blocked_plugins=[name])
    monkeypatch.setenv("COMPOSIO_BLOCKED_PLUGINS", f"other, {name}")
    Composio(api_key="k", base_url=DEAD)
    assert not marker.exists() and name not in sys.modules
    # the control: unblocked, the same distribution is imported (and fails, naming itself)
    monkeypatch.delenv("COMPOSIO_BLOCKED_PLUGINS")
    with pytest.raises(PluginError, match=name):
        Composio(api_key="k", base_url=DEAD)
    assert marker.read_text() == "x"


# -- a failing entry point fails every build the same way --------------------------------------
FAILS_FIRST_TIME = """
import os
_flag = os.path.join(os.path.dirname(__file__), "{name}.tried")
if not os.path.exists(_flag):
    open(_flag, "w").close()
    raise ImportError("{name}: missing optional dependency")
import composio

@composio.hookimpl
def composio_request_metadata():
    return {{"x-half-imported": "1"}}
"""


def test_failing_entry_point_fails_every_build_with_the_same_error(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its import fails once, then would "succeed" half-initialised: a scan that re-imports
    # after a failure would let the second build through with a broken plugin.
    name = "h3plug_flaky"
    _install_fake_dist(site, name, FAILS_FIRST_TIME.format(name=name))
    # blocked first: nothing imported, and nothing cached that could hide it later
    assert Composio(api_key="k", base_url=DEAD, blocked_plugins=[name])
    messages = []
    for _ in range(3):
        with pytest.raises(PluginError) as err:
            Composio(api_key="k", base_url=DEAD)
        messages.append(str(err.value))
        assert isinstance(err.value.__cause__, ImportError)
    assert messages[0] == messages[1] == messages[2]
    assert name in messages[0] and "missing optional dependency" in messages[0]
    assert "COMPOSIO_BLOCKED_PLUGINS" in messages[0] and "blocked_plugins" in messages[0]
    # blocking it (keyword or environment) makes builds succeed, with no trace of it
    blocked = Composio(api_key="k", base_url=DEAD, blocked_plugins=[name])
    assert name not in blocked.plugin_names and "x-half-imported" not in blocked.headers
    monkeypatch.setenv("COMPOSIO_BLOCKED_PLUGINS", name)
    assert name not in Composio(api_key="k", base_url=DEAD).plugin_names
    monkeypatch.delenv("COMPOSIO_BLOCKED_PLUGINS")
    with pytest.raises(PluginError) as again:
        Composio(api_key="k", base_url=DEAD)
    assert str(again.value) == messages[0]


# -- per-request hooks go through pluggy and keep attribution ----------------------------------
def test_raising_telemetry_observer_is_named_and_does_not_silence_others(
    composio_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="composio")
    seen: list[str] = []

    class Good:
        @composio.hookimpl
        def composio_telemetry_event(self, event: dict[str, Any]) -> None:
            seen.append(event["functionName"])

    class Bad:
        composio_plugin_name = "bad-observer"

        @composio.hookimpl(tryfirst=True)
        def composio_telemetry_event(self) -> None:
            raise RuntimeError("observer bug")

    client = _client(
        composio_server,
        plugins=[Good(), Bad(), RetrySeams(sleep=lambda s: None)],
        allow_tracking=True,
    )
    client.tools.list(limit=1)
    assert seen == ["tools.list"]
    assert "'bad-observer' raised RuntimeError" in caplog.text
    client.close()
