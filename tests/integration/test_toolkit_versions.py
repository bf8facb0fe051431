"""Toolkit version pinning (SPEC §14; vendor issues #3290 and #2471), on both clients.

The rule: ``execute`` always sends a version: the call's own ``version=`` if given, else the
pin of the tool's toolkit, else ``latest``. The toolkit is learnt from the tool's schema, one
``GET /tools/{slug}`` per root client and tool (none when nothing is pinned, none when a list
already showed the tool). ``tools.list/get`` send the pins as ``toolkit_versions[slug]=...``
or the plain string ``latest``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from composio import Composio, NotFoundError, ValidationError
from composio.testing import LocalServer
from tests._drivers import Driver


def _client(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)


def _calls(server: LocalServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


def _sent_version(server: LocalServer) -> str:
    post = [r for r in server.requests if r.method == "POST"][-1]
    return str(json.loads(post.body)["version"])


def test_nothing_pinned_sends_latest_explicitly_and_looks_nothing_up(
    driver: Driver, server: LocalServer
) -> None:
    client = _client(driver, server)
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    assert _calls(server) == [("POST", "/api/v3.1/tools/execute/MATH_ADD")]
    assert _sent_version(server) == "latest"
    assert server.executions[-1].version == "latest"
    client.tools.list("math")
    assert server.requests[-1].query == {"toolkit_slug": ["math"], "toolkit_versions": ["latest"]}


def test_a_pin_is_matched_by_the_tools_toolkit_learnt_once_per_root_client(
    driver: Driver, server: LocalServer
) -> None:
    client = _client(driver, server, toolkit_versions={"MATH": "20250101_00"})
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    lookup, post = server.requests
    assert (lookup.method, lookup.path, lookup.query) == ("GET", "/api/v3.1/tools/MATH_ADD", {})
    assert post.method == "POST" and json.loads(post.body)["version"] == "20250101_00"
    assert server.executions[-1].version == "20250101_00"

    server.reset()
    client.tools.execute("MATH_ADD", {"a": 3, "b": 4})
    client.create_session(headers={"x-user-id": "u"}).tools.execute("MATH_ADD", {"a": 1, "b": 1})
    client.with_options(max_retries=0).tools.execute("MATH_ADD", {"a": 1, "b": 1})
    # Sessions and copies share the root client's cache: no further lookups.
    assert [m for m, _ in _calls(server)] == ["POST", "POST", "POST"]
    assert {json.loads(r.body)["version"] for r in server.requests} == {"20250101_00"}

    server.reset()
    client.tools.execute("TEXT_UPPERCASE", {"text": "x"})  # its toolkit is not pinned
    assert [m for m, _ in _calls(server)] == ["GET", "POST"]
    assert _sent_version(server) == "latest"


def test_an_explicit_version_wins_and_needs_no_lookup(driver: Driver, server: LocalServer) -> None:
    # #2471: the call's version must not be overridden by (or looked up at) the client's pin.
    client = _client(driver, server, toolkit_versions={"math": "00000000_00"})
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2}, version="20260122_00")
    assert _calls(server) == [("POST", "/api/v3.1/tools/execute/MATH_ADD")]
    assert _sent_version(server) == "20260122_00"


def test_a_listed_tool_needs_no_lookup(driver: Driver, server: LocalServer) -> None:
    client = _client(driver, server, toolkit_versions={"math": "20250101_00"})
    page = client.tools.list("math")
    assert page.items
    assert server.requests[-1].query == {
        "toolkit_slug": ["math"],
        "toolkit_versions[math]": ["20250101_00"],
    }
    server.reset()
    client.tools.execute("MATH_SUBTRACT", {"a": 5, "b": 2})
    assert [m for m, _ in _calls(server)] == ["POST"]
    assert _sent_version(server) == "20250101_00"


def test_list_and_get_send_every_pin_in_bracket_notation(
    driver: Driver, server: LocalServer
) -> None:
    pins = {"github": "20250905_00", "Math": "20250101_00"}
    client = _client(driver, server, toolkit_versions=pins)
    client.tools.get("user-1", toolkits=["math"], limit=2)
    assert server.requests[-1].query == {
        "toolkit_slug": ["math"],
        "limit": ["2"],
        "toolkit_versions[github]": ["20250905_00"],
        "toolkit_versions[math]": ["20250101_00"],
    }
    client.tools.get("user-1", slug="MATH_ADD")
    assert server.requests[-1].query == {
        "toolkit_versions[github]": ["20250905_00"],
        "toolkit_versions[math]": ["20250101_00"],
    }


def test_environment_pins_fill_the_slugs_the_keyword_does_not_give(
    driver: Driver, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_TOOLKIT_VERSION_MATH", "20240101_00")
    monkeypatch.setenv("COMPOSIO_TOOLKIT_VERSION_TEXT", "20240202_00")
    client = _client(driver, server, toolkit_versions={"math": "20250101_00"})
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    assert _sent_version(server) == "20250101_00"  # the keyword wins for math
    client.tools.execute("TEXT_UPPERCASE", {"text": "x"})
    assert _sent_version(server) == "20240202_00"  # the environment fills text

    env_only = _client(driver, server)
    env_only.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    assert _sent_version(server) == "20240101_00"

    # An explicit "latest" is a choice: the environment does not override it.
    latest = _client(driver, server, toolkit_versions="latest")
    server.reset()
    latest.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    assert _calls(server) == [("POST", "/api/v3.1/tools/execute/MATH_ADD")]
    assert _sent_version(server) == "latest"
    # with_options re-resolves against the environment.
    copy = latest.with_options(toolkit_versions=None)
    copy.tools.execute("TEXT_REVERSE", {"text": "x"})
    assert _sent_version(server) == "20240202_00"


def test_a_pinned_execute_of_an_unknown_tool_fails_before_running_anything(
    driver: Driver, server: LocalServer
) -> None:
    client = _client(driver, server, toolkit_versions={"math": "20250101_00"})
    with pytest.raises(NotFoundError, match="NOPE_TOOL"):
        client.tools.execute("NOPE_TOOL", {})
    assert [m for m, _ in _calls(server)] == ["GET"]
    assert server.execution_count() == 0


@pytest.mark.parametrize(
    "value",
    [3, "v1", "", {"": "x"}, {"math": ""}, {"math": 1}, ["math"]],
)
def test_bad_toolkit_versions_are_refused_by_name(server: LocalServer, value: Any) -> None:
    with pytest.raises(ValidationError, match="toolkit_versions"):
        Composio(api_key=server.api_key, base_url=server.url, toolkit_versions=value)
    with Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as client:
        with pytest.raises(ValidationError, match="toolkit_versions"):
            client.with_options(toolkit_versions=value)
        client.tools.list()  # still usable
