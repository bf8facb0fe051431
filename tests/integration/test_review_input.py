"""Bad input found in review: each is a ``ValidationError`` naming the argument, raised before
anything is sent, on both clients, and the client stays usable (BRIEF standards)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest

from composio import APIError, ValidationError
from composio.testing import Fault, LocalServer
from tests.integration._api import Api

EXECUTE = "/api/v3.1/tools/execute/MATH_ADD"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (math.nan, "JSON"),
        ({"n": math.inf}, "JSON"),
        ({"when": object()}, "JSON"),
        ({"tags": {"a", "b"}}, "JSON"),
    ],
)
def test_request_json_that_is_not_json_is_refused_before_sending(
    client: Any, server: LocalServer, body: object, why: str
) -> None:
    """``json.dumps`` writes ``NaN``/``Infinity`` by default (not JSON; the server answers
    something unrelated) and raises a bare ``TypeError`` for other objects, from inside the
    transport."""
    before = len(server.requests)
    with pytest.raises(ValidationError, match=r"request\(json=\.\.\.\)") as caught:
        client.request("POST", EXECUTE, json=body)
    assert why in str(caught.value)
    assert len(server.requests) == before  # nothing sent
    response = client.request("POST", EXECUTE, json={"arguments": {}})  # still usable
    assert response.status_code == 200
    assert json.loads(server.requests[-1].body) == {"arguments": {}}


@pytest.mark.parametrize("params", [5, object(), 1.5])
def test_request_params_that_are_not_pairs_are_refused_before_sending(
    client: Any, server: LocalServer, params: Any
) -> None:
    """A non-iterable ``params`` raised a bare ``TypeError`` ("'int' object is not iterable")."""
    before = len(server.requests)
    with pytest.raises(ValidationError, match=r"request\(params=\.\.\.\)"):
        client.request("GET", "/api/v3.1/tools", params=params)
    assert len(server.requests) == before
    assert client.request("GET", "/api/v3.1/tools", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    ("toolkits", "key"),
    [({"enable": "github"}, "enable"), ({"disable": "gmail"}, "disable")],
)
def test_tool_router_toolkits_mapping_needs_a_list_not_a_string(
    client: Any, server: LocalServer, toolkits: Any, key: str
) -> None:
    """The spec types ``toolkits.enable``/``disable`` as arrays; a bare string passed the
    check and was sent as a string (the API answered 400) instead of failing at the call."""
    before = len(server.requests)
    with pytest.raises(ValidationError, match=rf"toolkits\['{key}'\] must be a list"):
        client.tool_router.create_session("alice", toolkits=toolkits)
    assert len(server.requests) == before
    client.tool_router.create_session("alice", toolkits={key: ["github"]})
    assert json.loads(server.requests[-1].body)["toolkits"] == {key: ["github"]}


@pytest.mark.parametrize(
    "tags",
    [
        ["readOnlyHint", "nope"],
        "readonly",
        {"enable": "readOnlyHint"},
        {"enable": ["readOnlyHint"], "other": ["destructiveHint"]},
        {"disable": ["destructive"]},
    ],
)
def test_tool_router_tags_are_the_specs_hint_enum(
    client: Any, server: LocalServer, tags: Any
) -> None:
    """``tags`` is an enum (readOnlyHint, destructiveHint, idempotentHint, openWorldHint), as a
    list or an ``{"enable"|"disable": [...]}`` object; anything else was sent unchecked."""
    before = len(server.requests)
    with pytest.raises(ValidationError, match="tags"):
        client.tool_router.create_session("alice", tags=tags)
    assert len(server.requests) == before
    good = {"enable": ["readOnlyHint"], "disable": ["destructiveHint"]}
    client.tool_router.create_session("alice", tags=good)
    assert json.loads(server.requests[-1].body)["tags"] == good


@pytest.mark.parametrize("bad", ["\u2019", "\u00e9", "\u00a0x"])
def test_api_key_outside_visible_ascii_is_refused_at_creation_without_echo(
    driver: Any, server: LocalServer, bad: str
) -> None:
    """A key pasted with a smart quote or an accent is sent as a header (SPEC §12.3: visible
    ASCII). It reached the sync transport as a bare ``UnicodeEncodeError`` whose ``repr``
    holds the whole key, and was sent Latin-1 encoded by the async one (a 401 instead of the
    cause)."""
    key = server.api_key + bad
    with pytest.raises(ValidationError, match="api_key") as caught:
        driver.client(api_key=key, base_url=server.url, allow_tracking=False)
    shown = f"{caught.value} {caught.value!r} {caught.value.args!r}"
    assert server.api_key not in shown and server.api_key[:8] not in shown
    assert not server.requests
    good = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    assert good.tools.list(limit=1).items


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


HTML = Fault(200, headers={"content-type": "text/html"}, body=b"<html>sign in</html>")


@pytest.mark.parametrize(
    ("resource", "method", "path"),
    [
        ("auth_configs", "delete", "/auth_configs/{c}"),
        ("auth_configs", "enable", "/auth_configs/{c}/ENABLED"),
        ("auth_configs", "disable", "/auth_configs/{c}/DISABLED"),
        ("connected_accounts", "delete", "/connected_accounts/{a}"),
        ("connected_accounts", "enable", "/connected_accounts/{a}/status"),
        ("connected_accounts", "disable", "/connected_accounts/{a}/status"),
    ],
)
def test_a_200_that_is_not_json_is_not_success_for_delete_enable_disable(
    client: Any, server: LocalServer, api: Api, resource: str, method: str, path: str
) -> None:
    """SPEC §12.11: a 200 whose body cannot be parsed is an ``APIError`` (a proxy's sign-in
    page is not a deletion). ``triggers``/``mcp`` checked it; these accepted any 200."""
    config = api.managed_auth_config("github")
    account = api.link(config, "alice")["connected_account_id"]
    target = config if resource == "auth_configs" else account
    server.fail_next("/api/v3.1" + path.format(c=config, a=account), [HTML])
    with pytest.raises(APIError, match="not JSON"):
        getattr(getattr(client, resource), method)(target)
    assert getattr(getattr(client, resource), method)(target) is None  # a real answer: fine


def _same_cursor_forever(server: LocalServer, path: str, item: dict[str, Any]) -> None:
    page = {"items": [item], "next_cursor": "again", "total_pages": 9}
    server.fail_next(path, [Fault(status=200, body=page)] * 6)


def test_a_repeated_cursor_ends_retrieve_many_instead_of_looping(
    client: Any, server: LocalServer
) -> None:
    """A server answering the same ``next_cursor`` again would make the walk loop forever."""
    path = "/api/v3.1/toolkits/multi"
    _same_cursor_forever(server, path, {"slug": "github", "name": "GitHub"})
    with pytest.raises(APIError, match="already returned"):
        client.toolkits.retrieve_many(["github"])
    assert len(server.requests_to(path)) == 2  # the first page and the one repeating it


def test_a_repeated_cursor_ends_page_iteration_on_both_clients(server: LocalServer) -> None:
    import asyncio

    from composio import AsyncComposio, Composio

    path = "/api/v3.1/tools"
    tool = {"slug": "GITHUB_STAR_REPO", "name": "Star"}
    _same_cursor_forever(server, path, tool)
    with Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as sync:
        seen: list[str] = []
        with pytest.raises(APIError, match="already returned"):
            seen.extend(t.slug for t in sync.tools.list())
        assert seen == ["GITHUB_STAR_REPO"] * 2  # what arrived was yielded first
    server.reset()
    _same_cursor_forever(server, path, tool)

    async def walk() -> list[str]:
        got: list[str] = []
        async with AsyncComposio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False
        ) as client:
            with pytest.raises(APIError, match="already returned"):
                async for t in await client.tools.list():
                    got.append(t.slug)
        return got

    assert asyncio.run(walk()) == ["GITHUB_STAR_REPO"] * 2
    assert len(server.requests_to(path)) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.tools.list(toolkit_slug="   "),
        lambda c: c.tools.list(cursor=" "),
        lambda c: c.toolkits.authorize("  ", "github"),
    ],
    ids=["toolkit_slug", "cursor", "authorize-user_id"],
)
def test_whitespace_only_strings_are_refused_before_sending(
    client: Any, server: LocalServer, call: Any
) -> None:
    """Paths already refused whitespace-only slugs; query and body strings now agree."""
    before = len(server.requests)
    with pytest.raises(ValidationError, match="non-empty"):
        call(client)
    assert len(server.requests) == before
    assert client.tools.list(limit=1).items  # still usable
