"""The toolkit and tool methods SPEC §14 adds, over loopback on both clients: categories,
changelog, retrieve_many, authorize (find or create the managed auth config, then link), and
tools.proxy / input / enum."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
import requests

from composio import (
    AsyncConnectionRequest,
    BadRequestError,
    ConnectionRequest,
    NotFoundError,
    ProxyResponse,
    Stage,
    ToolInput,
    Toolkit,
    ToolkitCategory,
    ToolkitChangelog,
    ValidationError,
)
from composio.pipeline import Request, RequestPolicy
from composio.testing import Fault, LocalServer
from composio.testing._routing import encode_cursor
from composio.testing.catalog import TOOLKITS, TOOLS
from tests._drivers import Driver, SyncView


def test_categories_lists_every_category_and_filters_toolkits(
    server: LocalServer, client: Any
) -> None:
    categories = client.toolkits.categories()
    assert categories and all(isinstance(c, ToolkitCategory) for c in categories)
    expected = {c["id"] for kit in TOOLKITS for c in kit["meta"]["categories"]}
    assert {c.id for c in categories} == expected
    sent = server.requests[-1]
    assert (sent.method, sent.path, sent.query, sent.body) == (
        "GET",
        "/api/v3.1/toolkits/categories",
        {},
        b"",
    )
    one = categories[0]
    kits = client.toolkits.list(category=one.id).items
    assert kits and all(one.id in {c["id"] for c in k.meta["categories"]} for k in kits)
    assert pickle.loads(pickle.dumps(one)) == one


def test_changelog(server: LocalServer, client: Any) -> None:
    entries = client.toolkits.changelog()
    assert entries and all(isinstance(e, ToolkitChangelog) for e in entries)
    first = entries[0]
    assert first.slug and first.versions and "version" in first.versions[0]
    assert server.requests[-1].path == "/api/v3.1/toolkits/changelog"
    assert pickle.loads(pickle.dumps(first)) == first


def test_retrieve_many_sends_the_slugs_and_walks_every_page(driver: Driver) -> None:
    with LocalServer(page_size=2) as server:
        client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        wanted = ["github", "gmail", "math", "text", "slack"]
        kits = client.toolkits.retrieve_many(wanted)
        assert all(isinstance(k, Toolkit) for k in kits)
        assert sorted(k.slug for k in kits) == sorted(wanted)
        posts = server.requests_to("/api/v3.1/toolkits/multi")
        assert len(posts) == 3  # 2 + 2 + 1
        bodies = [json.loads(p.body) for p in posts]
        assert bodies[0] == {"toolkits": wanted}
        assert all(b["toolkits"] == wanted and b["cursor"] for b in bodies[1:])


@pytest.mark.parametrize("toolkit", ["github", "GitHub"])
def test_authorize_creates_a_managed_config_once_then_links(
    server: LocalServer, client: Any, toolkit: str
) -> None:
    first = client.toolkits.authorize("alice", toolkit)
    real = first.target if isinstance(first, SyncView) else first
    assert isinstance(real, ConnectionRequest) and first.status == "INITIATED"
    assert isinstance(real, AsyncConnectionRequest) is isinstance(first, SyncView)
    calls = [(r.method, r.path) for r in server.requests]
    assert calls == [
        ("GET", "/api/v3.1/auth_configs"),
        ("POST", "/api/v3.1/auth_configs"),
        ("POST", "/api/v3.1/connected_accounts/link"),
    ]
    assert server.requests[0].query == {"toolkit_slug": [toolkit], "is_composio_managed": ["true"]}
    assert json.loads(server.requests[1].body) == {"toolkit": {"slug": toolkit}}
    config_id = json.loads(server.requests[2].body)["auth_config_id"]
    # The user opens the link; the request waits through the client that made it.
    assert requests.get(first.redirect_url, timeout=10).status_code == 200
    account = first.wait_for_connection(timeout=10)
    assert account.status == "ACTIVE" and account.toolkit_slug == "github"

    server.reset()
    second = client.toolkits.authorize("bob", "github")
    assert [r.method for r in server.requests] == ["GET", "POST"]  # found: no second config
    assert json.loads(server.requests[-1].body)["auth_config_id"] == config_id
    assert second.id != first.id


def test_authorize_skips_custom_and_disabled_configs(server: LocalServer, client: Any) -> None:
    client.auth_configs.create("github", options={"type": "use_custom_auth", "authScheme": "BASIC"})
    off = client.auth_configs.create("github")
    client.auth_configs.disable(off.id)
    server.reset()
    request = client.toolkits.authorize("carol", "github")
    created = json.loads(server.requests[-1].body)["auth_config_id"]
    assert created not in (off.id,) and request.status == "INITIATED"
    assert [r.method for r in server.requests] == ["GET", "POST", "POST"]


def test_authorize_a_toolkit_without_managed_auth_fails_with_the_servers_reason(
    server: LocalServer, client: Any
) -> None:
    no_managed = next(k["slug"] for k in TOOLKITS if not k["composio_managed_auth_schemes"])
    with pytest.raises(BadRequestError, match="managed"):
        client.toolkits.authorize("dan", no_managed)


def test_proxy_sends_the_spec_body_and_returns_the_upstream_answer(
    server: LocalServer, client: Any
) -> None:
    request = client.toolkits.authorize("erin", "github")
    requests.get(request.redirect_url, timeout=10)
    answer = client.tools.proxy(
        "/repos/octo/hello/issues",
        "post",
        connected_account_id=request.id,
        body={"title": "hi"},
        parameters=[
            {"name": "X-Trace", "value": "t-1", "type": "header"},
            {"name": "state", "value": "open", "type": "query"},
        ],
    )
    assert isinstance(answer, ProxyResponse) and answer.status == 200
    assert answer.data["method"] == "POST" and answer.data["body"] == {"title": "hi"}
    assert answer.data["url"].endswith("/repos/octo/hello/issues?state=open")
    assert answer.data["headers"]["x-trace"] == "t-1"
    assert json.loads(server.requests[-1].body) == {
        "connected_account_id": request.id,
        "endpoint": "/repos/octo/hello/issues",
        "method": "POST",
        "body": {"title": "hi"},
        "parameters": [
            {"name": "X-Trace", "value": "t-1", "type": "header"},
            {"name": "state", "value": "open", "type": "query"},
        ],
    }
    bare = client.tools.proxy("/user", "GET", connected_account_id=request.id)
    assert bare.data["body"] is None
    assert json.loads(server.requests[-1].body) == {
        "connected_account_id": request.id,
        "endpoint": "/user",
        "method": "GET",
    }
    assert pickle.loads(pickle.dumps(answer)) == answer


def test_input_and_enum(server: LocalServer, client: Any) -> None:
    made = client.tools.input("MATH_ADD", "add 2 and 40", system_prompt="be exact")
    assert isinstance(made, ToolInput) and made.arguments == {"a": 2, "b": 40}
    assert made.error is None
    sent = server.requests[-1]
    assert sent.path == "/api/v3.1/tools/execute/MATH_ADD/input"
    assert json.loads(sent.body) == {"text": "add 2 and 40", "system_prompt": "be exact"}
    missing = client.tools.input("MATH_ADD", "add nothing")
    assert missing.error and not missing.arguments.get("a")
    with pytest.raises(NotFoundError):
        client.tools.input("NOPE_TOOL", "x")
    slugs = client.tools.enum()
    assert slugs == [t["slug"] for t in TOOLS]
    assert server.requests[-1].path == "/api/v3.1/tools/enum"


def test_bad_input_names_the_argument_and_sends_nothing(server: LocalServer, client: Any) -> None:
    tools, kits = client.tools, client.toolkits
    calls: list[tuple[Any, str]] = [
        (lambda: tools.proxy("", "GET", connected_account_id="ca_1"), "endpoint"),
        (lambda: tools.proxy("/x", "TRACE", connected_account_id="ca_1"), "method"),
        (lambda: tools.proxy("/x", "GET", connected_account_id=""), "connected_account_id"),
        (lambda: tools.proxy("/x", "GET", connected_account_id="c", body={1j}), "body"),
        (
            lambda: tools.proxy("/x", "GET", connected_account_id="c", parameters={"a": "b"}),
            "parameters",
        ),
        (
            lambda: tools.proxy(
                "/x", "GET", connected_account_id="c", parameters=[{"name": "a", "value": "b"}]
            ),
            "type",
        ),
        (lambda: tools.input("MATH_ADD", ""), "text"),
        (lambda: tools.input("", "x"), "slug"),
        (lambda: tools.input("MATH_ADD", "x", system_prompt=3), "system_prompt"),
        (lambda: kits.retrieve_many([]), "slugs"),
        (lambda: kits.retrieve_many([""]), "slugs"),
        (lambda: kits.authorize("", "github"), "user_id"),
    ]
    for call, name in calls:
        with pytest.raises(ValidationError, match=name):
            call()
    assert server.requests == []


def test_item20_authorize_on_a_spec_server_uses_the_first_pages_config(driver: Driver) -> None:
    """Issue 16 item 20, as suspected, does not occur on a server that filters as the spec
    says (toolkit, managed, enabled only): with configs over several pages the first page's
    first config is usable, and nothing more is read or created."""
    with LocalServer(page_size=1) as server:
        client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        first, _ = client.auth_configs.create("github"), client.auth_configs.create("github")
        server.reset()
        client.toolkits.authorize("frank", "github")
        assert [r.method for r in server.requests] == ["GET", "POST"]  # list, link
        assert json.loads(server.requests[-1].body)["auth_config_id"] == first.id


def test_item20_authorize_reads_past_a_first_page_without_a_usable_config(
    driver: Driver,
) -> None:
    """Issue 16 item 20: a first page whose configs are all unusable (another toolkit, a
    disabled one: a server that ignored a filter, which ``authorize`` already guards against)
    made ``authorize`` create one more config although page two had a usable one."""
    with LocalServer() as server:
        client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        usable = client.auth_configs.create("github")
        client.auth_configs.create("gmail")
        client.auth_configs.disable(client.auth_configs.create("github").id)
        everything = requests.get(
            f"{server.url}/api/v3.1/auth_configs?show_disabled=true",
            headers={"x-api-key": server.api_key},
            timeout=10,
        ).json()["items"]
        unusable = [c for c in everything if c["id"] != usable.id]
        assert len(unusable) == 2
        page_one = {"items": unusable, "next_cursor": encode_cursor(0)}
        server.reset()
        server.fail_next("/api/v3.1/auth_configs", [Fault(status=200, body=page_one)])
        request = client.toolkits.authorize("gina", "github")
        assert request.status == "INITIATED"
        calls = [(r.method, r.path) for r in server.requests]
        assert calls == [
            ("GET", "/api/v3.1/auth_configs"),
            ("GET", "/api/v3.1/auth_configs"),  # page two, where the usable config is
            ("POST", "/api/v3.1/connected_accounts/link"),
        ]
        assert server.requests[1].query["cursor"] == [encode_cursor(0)]
        assert json.loads(server.requests[-1].body)["auth_config_id"] == usable.id


class _MarksBody(RequestPolicy):
    """A middleware that edits a request's JSON body in place (SPEC §3 lets it)."""

    name = "test-marks-body"
    stage = Stage.CALL
    order = 50

    def on_request(self, request: Request) -> None:
        if isinstance(request.json, dict) and isinstance(request.json.get("toolkits"), list):
            request.json["toolkits"].append("marked")


def test_retrieve_many_pages_do_not_share_a_middlewares_edit_of_the_body(driver: Driver) -> None:
    """Each page's body is its own: a middleware's in-place edit of page one's slug list was
    sent again on every later page (the list was shared)."""
    with LocalServer(page_size=2) as server:
        client = driver.client(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            middlewares=[_MarksBody()],
        )
        wanted = ["github", "gmail", "math", "text", "slack"]
        client.toolkits.retrieve_many(wanted)
        bodies = [json.loads(p.body) for p in server.requests_to("/api/v3.1/toolkits/multi")]
        assert len(bodies) >= 2
        assert all(b["toolkits"] == [*wanted, "marked"] for b in bodies)
