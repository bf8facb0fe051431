"""Both API prefixes on the local server (SPEC §14): one set of routes, the one contract
difference (a tool call without ``version``), and recording/faults that work with either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from composio import Composio, InternalServerError
from composio.testing import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def _call(server: LocalServer, method: str, path: str, **kw: object) -> requests.Response:
    headers = {"x-api-key": server.api_key}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prefix", "default"), [("/api/v3.1", "latest"), ("/api/v3", "00000000_00")]
)
def test_a_tool_call_without_version_means_latest_on_v3_1_and_the_old_pin_on_v3(
    server: LocalServer, prefix: str, default: str
) -> None:
    resp = _call(
        server, "POST", f"{prefix}/tools/execute/MATH_ADD", json={"arguments": {"a": 1, "b": 2}}
    )
    assert resp.json()["data"] == {"result": 3}
    [run] = server.executions
    assert (run.slug, run.version, run.api_version) == ("MATH_ADD", default, prefix[5:])
    assert run.log_id == resp.json()["log_id"]
    pinned = {"arguments": {"a": 1, "b": 2}, "version": "20250905_00"}
    _call(server, "POST", f"{prefix}/tools/execute/MATH_ADD", json=pinned)
    assert server.executions[-1].version == "20250905_00"


@pytest.mark.parametrize(
    "path",
    [
        "/tools",
        "/tools/MATH_ADD",
        "/tools/enum",
        "/toolkits",
        "/toolkits/github",
        "/triggers_types",
    ],
)
def test_the_catalog_answers_the_same_under_both_prefixes(server: LocalServer, path: str) -> None:
    v3 = _call(server, "GET", "/api/v3" + path)
    v31 = _call(server, "GET", "/api/v3.1" + path)
    assert v3.status_code == v31.status_code == 200
    assert v3.json() == v31.json()


def test_state_is_shared_between_the_prefixes(server: LocalServer) -> None:
    made = _call(server, "POST", "/api/v3/auth_configs", json={"toolkit": {"slug": "github"}})
    config_id = made.json()["auth_config"]["id"]
    assert _call(server, "GET", f"/api/v3.1/auth_configs/{config_id}").json()["id"] == config_id


def test_recording_keeps_the_path_as_sent_and_either_spelling_finds_it(
    server: LocalServer,
) -> None:
    _call(server, "GET", "/api/v3/tools")
    _call(server, "GET", "/api/v3.1/tools", params={"limit": 1})
    old, new = server.requests
    assert (old.path, old.api_version) == ("/api/v3/tools", "v3")
    assert (new.path, new.api_version) == ("/api/v3.1/tools", "v3.1")
    assert server.requests_to("/api/v3/tools") == [old, new]
    assert server.requests_to("/api/v3.1/tools") == [old, new]
    assert server.requests_to("/api/v3.1/toolkits") == []


def test_a_fault_queued_under_one_prefix_answers_a_call_under_the_other(
    server: LocalServer,
) -> None:
    server.fail_next("/api/v3/tools", [503])
    assert _call(server, "GET", "/api/v3.1/tools").status_code == 503
    assert _call(server, "GET", "/api/v3.1/tools").status_code == 200
    server.fail_next("/api/v3.1/toolkits", [500])
    with (
        Composio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False, max_retries=0
        ) as client,
        pytest.raises(InternalServerError),
    ):
        client.toolkits.list()


def test_unknown_prefixes_and_routes_are_404_in_the_api_error_shape(server: LocalServer) -> None:
    for path in ("/api/v3.2/tools", "/api/v31/tools", "/api/v3.1/nothing"):
        resp = _call(server, "GET", path)
        assert resp.status_code == 404
        assert resp.json()["error"]["status"] == 404
        assert path in resp.json()["error"]["message"]


def test_the_sdk_escape_hatch_reaches_v3_1(server: LocalServer) -> None:
    with Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as client:
        enum = client.request("GET", "/api/v3.1/tools/enum").json()
    assert "MATH_ADD" in enum
    assert server.requests[-1].api_version == "v3.1"
