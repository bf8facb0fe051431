"""``with_options`` keeps every setting not given (SPEC §12.10) -- checked by introspection over
every keyword of ``Composio.__init__`` and every ``ClientConfig`` field, so a setting added
later cannot be forgotten -- and leaks nothing (pool, thread, socket) when it raises."""

from __future__ import annotations

import gc
import inspect
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import composio
from composio import ClientConfig, Composio, PluginError, Timeout, ValidationError
from composio._fork import live_runtimes
from composio.plugins import reset_entry_point_cache
from composio.providers import Provider
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import AttemptLog, RawServer, answer, raw_server
from tests.integration.test_plugins import PLUGIN_SOURCE, _install_fake_dist

#: Settings that live beside the config (on the pool) and how to read them from a client.
_POOL_SETTINGS: dict[str, Callable[[Composio], Any]] = {
    "pool_maxsize": lambda c: c._runtime.transport.pool_maxsize,
}


def _keywords(func: Callable[..., Any]) -> list[str]:
    return [n for n in inspect.signature(func).parameters if n != "self"]


def _setting(client: Composio, name: str) -> Any:
    if name in ClientConfig.__slots__:
        return getattr(client.config, name)
    assert name in _POOL_SETTINGS, (
        f"Composio(..., {name}=) is neither a ClientConfig field nor a known pool setting: "
        "teach with_options (and this test) how it is kept."
    )
    return _POOL_SETTINGS[name](client)


class _Provider(Provider):
    name = "custom-provider"

    def wrap_tool(self, tool: Any) -> object:
        return tool


class _Telemetry:
    def send(self, events: Any) -> None:
        pass

    def close(self) -> None:
        pass


class _Plugin:
    composio_plugin_name = "with-options-meta"

    @composio.hookimpl
    def composio_request_metadata(self, config: Any) -> dict[str, str]:
        return {"x-meta": "1"}


@composio.custom_tool
def _echo(text: str) -> str:
    """Echo the text."""
    return text


class _FailingPlugin:
    composio_plugin_name = "fails-the-build"

    @composio.hookimpl
    def composio_middlewares(self, config: Any) -> list[Any]:
        raise RuntimeError("boom")


@pytest.fixture
def server() -> Iterator[RawServer]:
    with raw_server(answer()) as s:
        yield s


@pytest.fixture
def root(server: RawServer, tmp_path: Path) -> Iterator[Composio]:
    """A root client with no setting at its default."""
    cert = tmp_path / "ca.pem"
    cert.write_text("not read until an https call\n")
    client = Composio(
        api_key=SENTINEL_KEY,
        base_url=server.url + "/gw",
        allow_tracking=False,
        allow_tracing=False,
        provider=_Provider(),
        telemetry_transport=_Telemetry(),
        default_headers={"x-tenant-id": "t1"},
        timeout=Timeout(connect=1.0, read=2.0, total=3.0),
        max_retries=5,
        verify=str(cert),
        tracer_provider=object(),
        middlewares=[AttemptLog()],
        plugins=[_Plugin()],
        blocked_plugins=["some-blocked-plugin"],
        pool_maxsize=7,
        toolkit_versions={"github": "20250905_00"},
        custom_tools=[_echo],
    )
    yield client
    client.close()


def test_with_options_takes_every_keyword_of_init() -> None:
    assert set(_keywords(Composio.with_options)) == set(_keywords(Composio.__init__))
    assert set(ClientConfig.__slots__) <= set(_keywords(Composio.__init__))


# Each variant replaces one setting; every other one must survive.
_CHANGES: dict[str, Any] = {
    "api_key": "another-key",
    "base_url": "http://127.0.0.1:9/other",
    "allow_tracking": True,
    "allow_tracing": True,
    "provider": None,
    "telemetry_transport": None,
    "timeout": 9.0,
    "max_retries": 0,
    "verify": False,
    "tracer_provider": None,
    "middlewares": (),
    "plugins": (),
    "blocked_plugins": (),
    "pool_maxsize": 3,
    "toolkit_versions": "latest",
    "custom_tools": [],
    "realtime_url": "ws://127.0.0.1:9",
    "auto_files": True,
    "file_download_dir": "/tmp/composio-downloads",
    "file_upload_deny": ["*.pem"],
    "file_download_max_bytes": 10,
    "realtime_max_buffer_bytes": 2 << 20,
}


def test_every_variant_is_listed() -> None:
    assert set(_CHANGES) | {"default_headers"} == set(_keywords(Composio.__init__))


@pytest.mark.parametrize("changed", [None, "default_headers", *_CHANGES])
def test_with_options_keeps_every_setting_not_given(root: Composio, changed: str | None) -> None:
    session = root.create_session(headers={"x-user-id": "u1"})
    kwargs: dict[str, Any] = {}
    if changed == "default_headers":
        kwargs = {"default_headers": {"x-extra": "e"}}
    elif changed is not None:
        kwargs = {changed: _CHANGES[changed]}
    derived = session.with_options(**kwargs)
    try:
        for name in _keywords(Composio.__init__):
            if name == changed:
                assert _setting(derived, name) != _setting(root, name), name
                continue
            assert _setting(derived, name) == _setting(root, name), name
        for name in ClientConfig.__slots__:  # every config field, keyword or not
            if name != changed:
                assert getattr(derived.config, name) == getattr(root.config, name), name
        assert derived.headers["x-user-id"] == "u1"  # the session layer is kept too
        assert derived.plugin_names == root.plugin_names or changed in ("plugins",)
    finally:
        derived.close()


def test_a_copy_with_its_own_pool_keeps_the_pool_size(server: RawServer) -> None:
    root = Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False, pool_maxsize=5)
    lax = root.with_options(verify=False)
    assert lax._runtime is not root._runtime  # another verify: another pool
    assert lax._runtime.transport.pool_maxsize == 5
    adapter = lax._runtime.transport.session.get_adapter(server.url)
    assert adapter._pool_maxsize == 5  # type: ignore[attr-defined]  # what urllib3 gets
    bigger = root.with_options(pool_maxsize=9)
    assert bigger._runtime is not root._runtime
    assert bigger._runtime.transport.session.get_adapter(server.url)._pool_maxsize == 9  # type: ignore[attr-defined]
    assert bigger.with_options(timeout=4.0)._runtime is bigger._runtime  # same size: shared
    for client in (lax, bigger, root):
        assert client.request("GET", "/ping").status_code == 200
        client.close()


@pytest.fixture
def blocked_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _install_fake_dist(tmp_path, "fakeplugin", PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_entry_point_cache()
    yield
    sys.modules.pop("fakeplugin", None)
    reset_entry_point_cache()


def test_blocked_plugins_stay_blocked_in_every_copy(
    blocked_entry_point: None, server: RawServer
) -> None:
    assert "fakeplugin" in Composio(api_key="k", base_url=server.url).plugin_names
    root = Composio(
        api_key="k", base_url=server.url, allow_tracking=False, blocked_plugins=["fakeplugin"]
    )
    copies = [
        root.with_options(),
        root.with_options(verify=False),
        root.with_options(pool_maxsize=2),
        root.create_session(headers={"x-a": "1"}).with_options(timeout=5.0),
    ]
    for copy in copies:
        assert "fakeplugin" not in copy.plugin_names
        assert "ep-tag" not in [m.name for m in copy.chain]
        copy.close()
    root.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _unclosed_runtimes() -> set[int]:
    gc.collect()
    return {id(r) for r in live_runtimes() if not r.transport.closed}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds through /proc")
@pytest.mark.parametrize(
    "bad",
    [
        {"verify": False, "plugins": [_FailingPlugin()]},  # a new pool, then the build fails
        {"pool_maxsize": 4, "middlewares": [object()]},  # a new pool, then a bad middleware
        {"plugins": [_FailingPlugin()]},  # the shared pool, the build fails
        {"verify": False, "pool_maxsize": 0},
        {"verify": False, "blocked_plugins": "fakeplugin"},  # a str, not a list of names
        {"verify": False, "middlewares": 5},
        {"verify": False, "timeout": None},
    ],
)
def test_with_options_that_raises_leaks_nothing(server: RawServer, bad: dict[str, Any]) -> None:
    root = Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)
    assert root.request("GET", "/ping").status_code == 200
    threads, fds, runtimes = set(threading.enumerate()), _open_fds(), _unclosed_runtimes()
    with pytest.raises((PluginError, ValidationError)) as info:
        root.with_options(**bad)
    assert SENTINEL_KEY not in str(info.value)
    # the traceback still holds whatever with_options made; it must be closed all the same
    assert _unclosed_runtimes() <= runtimes
    assert set(threading.enumerate()) <= threads
    assert _open_fds() <= fds
    del info
    assert root.request("GET", "/ping").status_code == 200  # the client is still usable
    root.close()
