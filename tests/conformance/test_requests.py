"""Every request the SDK sends is judged by the OpenAPI spec (SPEC §2 resources)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composio import Composio, ValidationError
from composio.testing import LocalServer
from tests.conformance._judge import Judge, decoded_segment
from tests.conformance._scenario import ODD_SLUGS, WRAPPED, exercise
from tests.conftest import SENTINEL_KEY


def _api_requests(server: LocalServer) -> list[Any]:
    """What the SDK sent: the browser's visits to ``/_local/connect`` (the redirect flow's
    stand-in for the provider's consent page) are not API calls."""
    return [r for r in server.requests if not r.path.startswith("/_local/")]


def _problems(judge: Judge, server: LocalServer) -> list[str]:
    out: list[str] = []
    for rec in _api_requests(server):
        out += judge.request_problems(rec.method, rec.path, rec.query, rec.headers, rec.body)
    return out


def test_every_request_the_sdk_sends_conforms(
    judge: Judge, server: LocalServer, client: Composio
) -> None:
    exercise(client)
    assert len(server.requests) > 40
    assert _problems(judge, server) == []
    covered = {judge.operation(r.method, r.path).operation_id for r in _api_requests(server)}
    assert covered == WRAPPED


def test_query_parameters_are_serialised_as_the_spec_types_them(
    server: LocalServer, client: Composio
) -> None:
    client.tools.list(
        "github",
        tool_slugs=["GITHUB_CREATE_ISSUE", "GITHUB_LIST_ISSUES"],
        search="issue",
        tags=["issues", "important"],
        important=True,
        limit=5,
    )
    client.tools.list(important=False, tags="email", tool_slugs="TEXT_REVERSE")
    first, second = server.requests_to("/api/v3/tools")
    assert first.query == {
        "toolkit_slug": ["github"],
        # a string in the spec: one comma-separated value, never repeated
        "tool_slugs": ["GITHUB_CREATE_ISSUE,GITHUB_LIST_ISSUES"],
        "search": ["issue"],
        # an array in the spec (form, explode=true): repeated
        "tags": ["issues", "important"],
        # enum ["true", "false"] of strings
        "important": ["true"],
        # a number: a plain decimal
        "limit": ["5"],
        # nothing pinned: the plain string (SPEC §14)
        "toolkit_versions": ["latest"],
    }
    assert second.query == {
        "tool_slugs": ["TEXT_REVERSE"],
        "tags": ["email"],
        "important": ["false"],
        "toolkit_versions": ["latest"],
    }


def test_none_and_empty_filters_send_nothing(server: LocalServer, client: Composio) -> None:
    client.tools.list(None, tool_slugs=None, search=None, tags=[], important=None, limit=None)
    assert server.requests[-1].query == {"toolkit_versions": ["latest"]}


def test_cursor_from_next_cursor_is_sent_verbatim(server: LocalServer, client: Composio) -> None:
    page = client.tools.list(limit=10)
    assert page.next_cursor
    page.next_page()
    second = server.requests_to("/api/v3/tools")[-1]
    assert second.query == {
        "limit": ["10"],
        "toolkit_versions": ["latest"],
        "cursor": [page.next_cursor],
    }


@pytest.mark.parametrize("slug", ODD_SLUGS)
def test_slugs_travel_as_one_percent_encoded_segment(
    judge: Judge, server: LocalServer, client: Composio, slug: str
) -> None:
    exercise_one = (
        (client.tools.retrieve, "/api/v3.1/tools/", 3),
        (lambda s: client.tools.execute(s, {}), "/api/v3.1/tools/execute/", 4),
        (client.toolkits.retrieve, "/api/v3.1/toolkits/", 3),
    )
    for call, prefix, index in exercise_one:
        with pytest.raises(Exception, match="not found"):
            call(slug)
        rec = server.requests[-1]
        assert rec.path.startswith(prefix)
        assert decoded_segment(rec.path, index) == slug
        assert judge.request_problems(rec.method, rec.path, rec.query, rec.headers, rec.body) == []


def test_execute_body_is_the_specs_request_schema(judge: Judge, server: LocalServer) -> None:
    with Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False) as client:
        client.tools.execute(
            "MATH_ADD",
            {"a": 1, "b": 2},
            user_id="user-123",
            connected_account_id="ca_1",
            version="latest",
        )
        client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    full, bare = server.requests_to("/api/v3/tools/execute/MATH_ADD")
    assert json.loads(full.body) == {
        "arguments": {"a": 1, "b": 2},
        "user_id": "user-123",
        "connected_account_id": "ca_1",
        "version": "latest",
    }
    # No version given and nothing pinned: "latest", explicitly (v3 would default to a pin).
    assert json.loads(bare.body) == {"arguments": {"a": 1, "b": 2}, "version": "latest"}
    assert full.header("content-type") == "application/json"
    for rec in (full, bare):
        assert judge.request_problems(rec.method, rec.path, rec.query, rec.headers, rec.body) == []


def test_x_framework_and_security_header_on_every_request(
    server: LocalServer, client: Composio
) -> None:
    exercise(client)
    for rec in _api_requests(server):
        assert rec.header("x-api-key") == SENTINEL_KEY
        assert rec.header("x-framework") == "openai"


def test_rejected_input_sends_nothing(server: LocalServer, client: Composio) -> None:
    bad_calls = [
        lambda: client.tools.list(important="true"),  # type: ignore[arg-type]
        lambda: client.tools.list(limit=0),
        lambda: client.tools.list(limit=2.5),  # type: ignore[arg-type]
        lambda: client.tools.list(tags=[""]),
        lambda: client.tools.list(tool_slugs=iter(["A"])),  # type: ignore[arg-type]
        lambda: client.tools.retrieve(""),
        lambda: client.tools.execute("MATH_ADD", [1, 2]),  # type: ignore[arg-type]
        lambda: client.tools.execute("MATH_ADD", {"a": float("nan")}),
        lambda: client.tools.execute("MATH_ADD", {"a": object()}),
        lambda: client.tools.execute("MATH_ADD", {1: 2}),  # type: ignore[dict-item]
        lambda: client.tools.execute("MATH_ADD", {}, user_id=""),
        lambda: client.toolkits.list(category=""),
    ]
    for call in bad_calls:
        with pytest.raises(ValidationError):
            call()
    assert server.requests == []


# -- the judge itself must be able to say no ---------------------------------------------
GOOD = {"x-api-key": "k", "content-type": "application/json"}


@pytest.mark.filterwarnings("ignore:.*parameter is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "expect"),
    [
        ("GET", "/api/v3/tools", {}, {}, b"", "x-api-key"),
        ("GET", "/api/v3/tools", {"important": ["yes"]}, GOOD, b"", "important"),
        ("GET", "/api/v3/tools", {"limit": ["ten"]}, GOOD, b"", "limit"),
        ("GET", "/api/v3/tools", {"bogus": ["1"]}, GOOD, b"", "bogus"),
        ("GET", "/api/v3/tools", {"tool_slugs": ["A", "B"]}, GOOD, b"", "2 times"),
        ("GET", "/api/v3/tools", {"toolkit_versions[gh]": ["1", "2"]}, GOOD, b"", "2 times"),
        ("GET", "/api/v3/tools", {"toolkit_versions[gh]": [""]}, GOOD, b"", "empty"),
        ("GET", "/api/v3/tools", {"tags[x]": ["1"]}, GOOD, b"", "takes no object"),
        ("GET", "/api/v3/tools", {"nope[x]": ["1"]}, GOOD, b"", "'nope' is not in"),
        ("GET", "/api/v3/toolkits", {"toolkit_versions[gh]": ["1"]}, GOOD, b"", "not in"),
        ("PATCH", "/api/v3/auth_configs/ac_1/PAUSED", {}, GOOD, b"", "status"),
        ("PATCH", "/api/v3/connected_accounts/ca_1/status", {}, GOOD, b"{}", "Body"),
        ("POST", "/api/v3/connected_accounts/link", {}, GOOD, b'{"user_id": "u"}', "Body"),
        ("GET", "/api/v3/tools/a b", {}, GOOD, b"", "not encoded"),
        ("GET", "/api/v3/tools", {}, GOOD, b"{}", "carries a body"),
        ("POST", "/api/v3/tools/execute/X", {}, GOOD, b'{"arguments": [1]}', "Body"),
        ("POST", "/api/v3/tools/execute/X", {}, GOOD, b'{"user_id": 5}', "Body"),
        ("POST", "/api/v3/tools/execute/X", {}, GOOD, b'{"entity_id": "e"}', "deprecated"),
        ("GET", "/api/v3/tools/X", {"version": ["1"]}, GOOD, b"", "deprecated"),
        ("DELETE", "/api/v3/tools/X", {}, GOOD, b"", "no such operation"),
        ("GET", "/api/v3/nothing", {}, GOOD, b"", "no such operation"),
    ],
)
def test_the_judge_rejects_non_conforming_requests(
    judge: Judge,
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
    expect: str,
) -> None:
    problems = judge.request_problems(method, path, query, headers, body)
    assert problems, "the judge accepted a request that breaks the spec"
    assert expect in " ".join(problems)
