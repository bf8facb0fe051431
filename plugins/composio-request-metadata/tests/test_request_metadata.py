"""composio-request-metadata against the local server, over loopback."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import composio_request_metadata
import pytest
from composio_request_metadata import headers_from_env

from composio import Composio, ValidationError
from composio.testing import LocalServer


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    for key in list(os.environ):
        if key.startswith("COMPOSIO_METADATA_"):
            monkeypatch.delenv(key)


def _client(server: LocalServer, **kw: object) -> Composio:
    return Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        plugins=[composio_request_metadata],
        **kw,  # type: ignore[arg-type]
    )


def test_env_variables_become_headers_on_every_request(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "payments")
    monkeypatch.setenv("COMPOSIO_METADATA_X_COST_CENTRE", "cc-4711")
    with _client(composio_server) as client:
        client.tools.list()
        client.create_session(headers={"x-user": "a"}).toolkits.list()
    for rec in composio_server.requests:
        assert rec.header("x-team") == "payments"
        assert rec.header("x-cost-centre") == "cc-4711"
    assert len(composio_server.requests) == 2


def test_metadata_is_the_lowest_layer(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "payments")
    monkeypatch.setenv("COMPOSIO_METADATA_X_REGION", "eu")
    with _client(composio_server, default_headers={"x-team": "search"}) as client:
        client.tools.list()
        client.create_session(headers={"x-region": None}).tools.list()
        client.tools.list(extra_headers={"X-Team": "billing"})
    first, removed, per_call = composio_server.requests
    assert (first.header("x-team"), first.header("x-region")) == ("search", "eu")
    assert (removed.header("x-team"), removed.header("x-region")) == ("search", None)
    assert per_call.header("x-team") == "billing"


def test_read_at_build_time_not_per_request(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "payments")
    with _client(composio_server) as client:
        monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "changed")
        client.tools.list()
        with _client(composio_server) as rebuilt:
            rebuilt.tools.list()
    old, new = composio_server.requests
    assert (old.header("x-team"), new.header("x-team")) == ("payments", "changed")


def test_a_reserved_name_fails_the_build_naming_the_header_not_the_value(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_METADATA_X_API_KEY", "sk_live_not_for_logs")
    with pytest.raises(ValidationError) as info:
        _client(composio_server)
    message = str(info.value)
    assert "x-api-key" in message and "sk_live_not_for_logs" not in message
    assert composio_server.requests == []


def test_name_mapping() -> None:
    env = {
        "COMPOSIO_METADATA_X_TEAM": "payments",
        "COMPOSIO_METADATA_EMPTY": "",
        "COMPOSIO_METADATA_": "no name",
        "COMPOSIO_API_KEY": "not metadata",
        "PATH": "/bin",
    }
    assert headers_from_env(env) == {"x-team": "payments"}


def test_the_package_registers_its_entry_point(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="composio")}
    assert eps.get("composio-request-metadata") == "composio_request_metadata"
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "payments")
    with Composio(api_key=composio_server.api_key, base_url=composio_server.url) as c:
        assert "composio-request-metadata" in c.plugin_names
        c.tools.list()
    monkeypatch.setenv("COMPOSIO_BLOCKED_PLUGINS", "composio-request-metadata")
    with Composio(api_key=composio_server.api_key, base_url=composio_server.url) as blocked:
        blocked.tools.list()
    sent, not_sent = composio_server.requests
    assert (sent.header("x-team"), not_sent.header("x-team")) == ("payments", None)
