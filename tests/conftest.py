"""Shared fixtures. ``composio_server``/``composio_client`` come from the package's own pytest
plugin (``composio.testing.pytest_plugin``, entry point ``pytest11``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from composio import Composio
from composio.testing import LocalServer
from tests._drivers import Driver

#: A key nobody would type: tests search every output for it (SPEC §8).
SENTINEL_KEY = "sk_live_SENTINEL_9f3b2c71d4e84a0c"


@pytest.fixture
def sentinel_server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as server:
        yield server


@pytest.fixture
def sentinel_client(sentinel_server: LocalServer) -> Iterator[Composio]:
    client = Composio(api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False)
    yield client
    client.close()


#: Where telemetry goes unless a test points it at its own LocalServer: a closed loopback port.
#: The test suite must never send a packet off this machine (the default telemetry URL is a
#: public host).
TELEMETRY_BLACKHOLE = "http://127.0.0.1:9/v1/metrics/invocations"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not depend on the developer's environment, nor reach the internet."""
    for name in ("COMPOSIO_API_KEY", "COMPOSIO_BASE_URL", "COMPOSIO_BLOCKED_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("COMPOSIO_TOOLKIT_VERSION_")]:
        monkeypatch.delenv(name)  # a developer's version pins must not change what tests send
    monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", TELEMETRY_BLACKHOLE)


def openapi_spec_path() -> Path:
    env = os.environ.get("COMPOSIO_OPENAPI_SPEC")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "composio-openapi.json"


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """The client kind a shared-semantics test runs on (``tests/_drivers.py``)."""
    made = Driver(request.param)
    yield made
    made.close()


@pytest.fixture
def telemetry_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """A ``LocalServer`` receiving the default transport's telemetry, tracking forced on."""
    monkeypatch.delenv("COMPOSIO_DISABLE_TELEMETRY", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with LocalServer() as srv:
        monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", srv.url + "/v1/metrics/invocations")
        yield srv
