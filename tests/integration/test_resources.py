"""tools / toolkits resources end to end over loopback (SPEC §2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from composio import (
    APIError,
    APIStatusError,
    Composio,
    NotFoundError,
    Provider,
    Tool,
    ToolExecutionError,
    ValidationError,
)
from composio.testing import Fault, LocalServer
from composio.testing.catalog import TOOLS
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY

TOOLS_PATH = "/api/v3.1/tools"


@pytest.fixture
def client(sentinel_server: LocalServer, driver: Driver) -> Iterator[Composio]:
    """``Composio`` or ``AsyncComposio`` (``driver``): one resource contract for both."""
    c: Composio = driver.client(
        api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False, max_retries=0
    )
    yield c


# -- tools.get -------------------------------------------------------------------------
def test_seed_get_returns_the_first_page_wrapped(
    sentinel_server: LocalServer, client: Composio
) -> None:
    session = client.create_session(headers={"x-user-id": "user-a"})
    wrapped = session.tools.get("a")
    assert len(wrapped) == 20
    assert [w["function"]["name"] for w in wrapped] == [t["slug"] for t in TOOLS[:20]]
    assert all(w["type"] == "function" for w in wrapped)
    (req,) = sentinel_server.requests
    assert req.path == TOOLS_PATH and req.query == {"toolkit_versions": ["latest"]}
    assert req.header("x-framework") == "openai" and req.header("x-user-id") == "user-a"


def test_get_by_slug_retrieves_that_tool(sentinel_server: LocalServer, client: Composio) -> None:
    [tool] = client.tools.get("a", slug="MATH_ADD")
    assert tool["function"]["name"] == "MATH_ADD"
    assert sentinel_server.requests[-1].path == "/api/v3.1/tools/MATH_ADD"


def test_get_unknown_slug_raises_not_found_naming_it(client: Composio) -> None:
    with pytest.raises(NotFoundError, match="NOPE_TOOL") as info:
        client.tools.get("a", slug="NOPE_TOOL")
    assert info.value.status_code == 404
    assert "/api/v3.1/tools/NOPE_TOOL" in str(info.value)


def test_get_named_tools_in_callers_order_across_pages(
    sentinel_server: LocalServer, client: Composio
) -> None:
    every = [t["slug"] for t in reversed(TOOLS)]  # 24 slugs: more than one default page
    wrapped = client.tools.get("a", tools=every)
    assert [w["function"]["name"] for w in wrapped] == every
    (req,) = sentinel_server.requests
    assert req.query == {
        "tool_slugs": [",".join(every)],
        "limit": ["24"],
        "toolkit_versions": ["latest"],
    }


def test_get_by_toolkits_search_and_limit(sentinel_server: LocalServer, client: Composio) -> None:
    wrapped = client.tools.get("a", toolkits=["text", "math"], search="a", limit=3)
    assert len(wrapped) == 3
    assert sentinel_server.requests[-1].query == {
        "toolkit_slug": ["text,math"],
        "search": ["a"],
        "limit": ["3"],
        "toolkit_versions": ["latest"],
    }


def test_get_tools_and_toolkits_makes_two_requests_and_dedupes(
    sentinel_server: LocalServer, client: Composio
) -> None:
    wrapped = client.tools.get("a", tools=["MATH_ADD"], toolkits="math")
    names = [w["function"]["name"] for w in wrapped]
    assert names[0] == "MATH_ADD" and sorted(names) == sorted(
        t["slug"] for t in TOOLS if t["toolkit"]["slug"] == "math"
    )
    assert len(names) == len(set(names))
    assert len(sentinel_server.requests) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"slug": "X", "tools": ["Y"]},
        {"slug": "X", "limit": 3},
        {"tools": []},
        {"toolkits": []},
        {"tools": [5]},
        {"limit": 0},
    ],
)
def test_get_rejects_contradictory_or_empty_filters_before_sending(
    sentinel_server: LocalServer, client: Composio, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        client.tools.get("a", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="user_id"):
        client.tools.get("")
    assert sentinel_server.requests == []


def test_get_uses_the_clients_provider_and_sends_its_name(sentinel_server: LocalServer) -> None:
    class Slugs(Provider):
        name = "slugs-only"

        def wrap_tool(self, tool: Tool) -> str:
            return tool.slug

    with Composio(
        api_key=SENTINEL_KEY,
        base_url=sentinel_server.url,
        provider=Slugs(),
        allow_tracking=False,
    ) as client:
        session = client.create_session(headers={"x-tenant-id": "t1"})
        assert session.tools.get("a", toolkits="text") == [
            "TEXT_UPPERCASE",
            "TEXT_REVERSE",
            "TEXT_WORD_COUNT",
            "TEXT_CONCAT",
        ]
    assert sentinel_server.requests[-1].header("x-framework") == "slugs-only"


# -- tools.execute ---------------------------------------------------------------------
def test_execute_runs_the_tool(sentinel_server: LocalServer, client: Composio) -> None:
    result = client.tools.execute("TEXT_UPPERCASE", {"text": "hello"}, user_id="u-1")
    assert result.successful and result.data == {"result": "HELLO"} and result.error is None
    assert result.log_id and result.log_id.startswith("log_")
    assert sentinel_server.execution_count("TEXT_UPPERCASE") == 1
    body = sentinel_server.requests[-1].json()
    assert body == {"arguments": {"text": "hello"}, "user_id": "u-1", "version": "latest"}


def test_a_failing_tool_raises_with_the_result(client: Composio) -> None:
    with pytest.raises(ToolExecutionError, match="division by zero") as info:
        client.tools.execute("MATH_DIVIDE", {"a": 1, "b": 0})
    assert info.value.slug == "MATH_DIVIDE"
    assert info.value.result.successful is False
    assert info.value.result.error == "division by zero"
    assert "MATH_DIVIDE" in str(info.value)


def test_raise_on_error_false_returns_the_failure(client: Composio) -> None:
    result = client.tools.execute("MATH_DIVIDE", {"a": 1, "b": 0}, raise_on_error=False)
    assert result.successful is False and result.error == "division by zero"


def test_execute_unknown_slug_is_not_found(sentinel_server: LocalServer, client: Composio) -> None:
    with pytest.raises(NotFoundError, match="NO_SUCH"):
        client.tools.execute("NO_SUCH", {})
    assert sentinel_server.execution_count() == 0


@pytest.mark.parametrize("arguments", [[1, 2], "a=1", 5, ("a", 1)])
def test_arguments_that_are_not_a_mapping_are_rejected_before_any_request(
    sentinel_server: LocalServer, client: Composio, arguments: object
) -> None:
    with pytest.raises(ValidationError, match="mapping"):
        client.tools.execute("MATH_ADD", arguments)  # type: ignore[arg-type]
    assert sentinel_server.requests == []


def test_execute_with_an_idempotency_key_runs_once(
    sentinel_server: LocalServer, client: Composio
) -> None:
    key = {"Idempotency-Key": "order-42"}
    first = client.tools.execute("MATH_ADD", {"a": 1, "b": 2}, extra_headers=key)
    again = client.tools.execute("MATH_ADD", {"a": 1, "b": 2}, extra_headers=key)
    assert first.log_id == again.log_id and again.data == {"result": 3}
    assert sentinel_server.execution_count("MATH_ADD") == 1
    assert len(sentinel_server.requests) == 2


def test_a_tool_needing_a_connection_fails_for_a_user_without_one(
    client: Composio, sentinel_server: LocalServer
) -> None:
    """SPEC §18: as the real API does, not "successful" -- so "user not connected" can be
    tested locally; once the user is connected the catalog-only tool answers."""
    with pytest.raises(NotFoundError) as info:
        client.tools.execute("GMAIL_SEND_EMAIL", {"to": "a@example.com"}, user_id="u-none")
    assert "u-none" in str(info.value) and "gmail" in str(info.value)
    assert "toolkits.authorize" in (info.value.suggested_fix or "")
    assert sentinel_server.execution_count("GMAIL_SEND_EMAIL") == 0  # nothing ran
    request = client.toolkits.authorize("u-none", "gmail")
    sentinel_server.complete_connection(request.id)
    result = client.tools.execute("GMAIL_SEND_EMAIL", {"to": "a@example.com"}, user_id="u-none")
    assert result.successful and "nothing ran" in str(result.data)


# -- bad responses are APIError with an excerpt, never a bare Python error ---------------
BAD_BODIES = [
    (200, b"<html><body>Bad gateway page</body></html>", "not JSON"),
    (200, b"", "not JSON"),
    (200, b'{"items": [', "not JSON"),
    (200, b"[1, 2, 3]", "expected shape"),
    (200, b'{"items": "nope"}', "expected shape"),
    (200, b'{"items": [{"name": "no slug"}]}', "expected shape"),
    (200, b'{"items": [{"slug": 42}]}', "expected shape"),
    (200, b'"just a string"', "expected shape"),
    (200, b"\xff\xfe\x00garbage", "not JSON"),
]


@pytest.mark.parametrize(("status", "body", "why"), BAD_BODIES)
def test_a_list_response_of_the_wrong_shape_is_an_api_error(
    sentinel_server: LocalServer, client: Composio, status: int, body: bytes, why: str
) -> None:
    sentinel_server.fail_next(TOOLS_PATH, [Fault(status=status, body=body)])
    with pytest.raises(APIError, match=why) as info:
        client.tools.list()
    err = info.value
    assert type(err) is APIError
    assert "tools.list" in str(err) and "/api/v3.1/tools" in str(err)
    if body.startswith(b"<html>"):
        assert "Bad gateway page" in str(err)
    assert err.__cause__ is None and err.__suppress_context__


@pytest.mark.parametrize(
    ("path", "call", "body"),
    [
        ("/api/v3.1/tools/execute/MATH_ADD", "execute", b'{"data": {}, "error": null}'),
        ("/api/v3.1/tools/execute/MATH_ADD", "execute", b'{"successful": "yes"}'),
        ("/api/v3.1/tools/execute/MATH_ADD", "execute", b"<html>oops</html>"),
        ("/api/v3.1/tools/MATH_ADD", "retrieve", b"[]"),
        ("/api/v3.1/tools/MATH_ADD", "retrieve", b"{}"),
        ("/api/v3.1/toolkits/math", "toolkit", b'{"slug": null}'),
        ("/api/v3.1/toolkits", "toolkits", b'{"next_cursor": "x"}'),
    ],
)
def test_other_wrong_shapes_are_api_errors(
    sentinel_server: LocalServer, client: Composio, path: str, call: str, body: bytes
) -> None:
    calls = {
        "execute": lambda: client.tools.execute("MATH_ADD", {"a": 1, "b": 1}),
        "retrieve": lambda: client.tools.retrieve("MATH_ADD"),
        "toolkit": lambda: client.toolkits.retrieve("math"),
        "toolkits": lambda: client.toolkits.list(),
    }
    sentinel_server.fail_next(path, [Fault(status=200, body=body)])
    with pytest.raises(APIError) as info:
        calls[call]()
    assert type(info.value) is APIError
    assert "body starts" in str(info.value)


def test_an_html_error_page_is_a_status_error_with_an_excerpt(
    sentinel_server: LocalServer, client: Composio
) -> None:
    page = b"<html><title>502 Bad Gateway</title>" + b"x" * 5000 + b"</html>"
    sentinel_server.fail_next(TOOLS_PATH, [Fault(status=502, body=page)])
    with pytest.raises(APIStatusError, match="502 Bad Gateway") as info:
        client.tools.list()
    assert len(str(info.value)) < 600


def test_a_body_echoing_the_key_does_not_leak_it(
    sentinel_server: LocalServer, client: Composio
) -> None:
    echo = f"<html>your key {SENTINEL_KEY} is fine</html>".encode()
    sentinel_server.fail_next(TOOLS_PATH, [Fault(status=200, body=echo)])
    with pytest.raises(APIError) as info:
        client.tools.list()
    text = str(info.value) + repr(info.value)
    for form in (
        SENTINEL_KEY,
        quote(SENTINEL_KEY),
        base64.b64encode(SENTINEL_KEY.encode()).decode(),
        SENTINEL_KEY[:8],
    ):
        assert form not in text


def test_a_mistyped_field_does_not_break_parsing(
    sentinel_server: LocalServer, client: Composio
) -> None:
    odd = dict(TOOLS[0], tags="not-a-list", future_field={"x": 1})
    sentinel_server.fail_next(
        "/api/v3.1/tools/GITHUB_CREATE_ISSUE", [Fault(status=200, body=json.dumps(odd))]
    )
    tool = client.tools.retrieve("GITHUB_CREATE_ISSUE")
    assert tool.tags is None and tool.extra == {"tags": "not-a-list", "future_field": {"x": 1}}


# -- pagination ------------------------------------------------------------------------
def test_iterating_a_page_walks_all_tools_lazily(
    sentinel_server: LocalServer, client: Composio
) -> None:
    page = client.tools.list()
    assert len(page.items) == 20 and page.total_items == 24 and page.has_next_page()
    seen = []
    for i, tool in enumerate(page):
        seen.append(tool.slug)
        # the second page is fetched only when the 21st item is needed
        assert len(sentinel_server.requests) == (1 if i < 20 else 2)
    assert seen == [t["slug"] for t in TOOLS]
    cursors = [r.query.get("cursor") for r in sentinel_server.requests]
    assert cursors == [None, [page.next_cursor]]


def test_small_pages_one_request_each(sentinel_server: LocalServer, client: Composio) -> None:
    assert len(list(client.tools.list(limit=5))) == 24
    assert len(sentinel_server.requests) == 5  # 5+5+5+5+4
    assert all(r.query["limit"] == ["5"] for r in sentinel_server.requests)


def test_next_page_and_has_next_page(sentinel_server: LocalServer, client: Composio) -> None:
    first = client.tools.list()
    second = first.next_page()
    assert second is not None and len(second.items) == 4 and second.current_page == 2
    assert not second.has_next_page() and second.next_page() is None
    assert second.next_cursor is None
    assert len(sentinel_server.requests) == 2
    resumed = client.tools.list(cursor=first.next_cursor)
    assert [t.slug for t in resumed.items] == [t.slug for t in second.items]


def test_pages_keep_their_filters_and_headers(
    sentinel_server: LocalServer, client: Composio
) -> None:
    session = client.create_session(headers={"x-request-id": "walk-1"})
    slugs = [t.slug for t in session.tools.list(tags="email", limit=2)]
    assert slugs == [t["slug"] for t in TOOLS if "email" in t["tags"]]
    for req in sentinel_server.requests:
        assert req.query["tags"] == ["email"] and req.header("x-request-id") == "walk-1"


def test_toolkits_list_retrieve_and_paginate(
    sentinel_server: LocalServer, client: Composio
) -> None:
    kits = list(client.toolkits.list(limit=2))
    assert [k.slug for k in kits] == ["github", "gmail", "slack", "text", "math"]
    assert len(sentinel_server.requests) == 3
    [util] = client.toolkits.list(category="utilities", limit=1).items
    assert util.slug == "text"
    kit = client.toolkits.retrieve("github")
    assert kit.name == "GitHub" and kit.description and "auth_config_details" in kit.extra
    with pytest.raises(NotFoundError, match="nope"):
        client.toolkits.retrieve("nope")


def test_request_path_with_its_own_query_merges_params(
    composio_server: LocalServer, composio_client: Composio
) -> None:
    """``request("GET", "/p?x=1", params=...)`` sends one query string, not ``?x=1?limit=``."""
    composio_client.request("GET", "/api/v3/tools?toolkit_slug=text", params={"limit": 2})
    sent = composio_server.requests[-1]
    assert sent.query == {"toolkit_slug": ["text"], "limit": ["2"]}
