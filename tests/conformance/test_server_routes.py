"""Every answer the local server gives on the routes SPEC §14 adds -- successes and the
errors the spec defines -- is judged by the spec's response schemas, under both prefixes
(``/api/v3.1`` is judged as its ``/api/v3`` twin). The server is the contract's local twin:
other parts of the SDK are written against it, so a shape it invents would be learnt."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from composio.testing import LocalServer
from composio.testing._connection_state import STATE_FIELDS
from tests.conformance._judge import Judge
from tests.conformance._server_scenario import Answer, Walker, walk_errors, walk_success
from tests.conftest import SENTINEL_KEY

PREFIXES = ("/api/v3", "/api/v3.1")
ADMIN_TAGS = {"Projects", "Migration", "Authentication"}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def served_operations(judge: Judge) -> dict[str, tuple[str, str]]:
    """operationId -> (method, template) for every operation SPEC §14 covers."""
    out = {}
    for template, item in judge.spec["paths"].items():
        for method, op in item.items():
            if method == "parameters" or set(op.get("tags", [])) & ADMIN_TAGS:
                continue
            out[op["operationId"]] = (method.upper(), template)
    return out


def _judge_all(judge: Judge, answers: list[Answer]) -> list[str]:
    problems: list[str] = []
    for a in answers:
        problems += judge.response_problems(a.method, a.path, a.status, a.content_type, a.body)
    return problems


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_success_answer_conforms_and_every_operation_is_served(
    judge: Judge, server: LocalServer, prefix: str
) -> None:
    walker = Walker(server, prefix)
    walk_success(walker)
    assert _judge_all(judge, walker.answers) == []
    # and the walk itself sent only what the spec allows, so what the server accepted is
    # what the spec defines (not what a looser walk happened to send)
    api_requests = [r for r in server.requests if r.api_version is not None]
    assert len(api_requests) > 60
    sent_problems = []
    for rec in api_requests:
        sent_problems += judge.request_problems(
            rec.method, rec.path, rec.query, rec.headers, rec.body
        )
    assert sent_problems == []
    answered = {
        judge.operation(a.method, a.path).operation_id
        for a in walker.answers
        if 200 <= a.status < 300
    }
    assert set(served_operations(judge)) - answered == set()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_error_answer_conforms(judge: Judge, server: LocalServer, prefix: str) -> None:
    walker = Walker(server, prefix)
    walk_errors(walker)
    errors = [a for a in walker.answers if a.status >= 400]
    assert {a.status for a in errors} == {400, 403, 404, 409}
    assert _judge_all(judge, errors) == []
    for a in errors:
        assert SENTINEL_KEY.encode() not in a.body
        # a status the operation itself declares (not one a spec default would let through)
        op = judge.operation(a.method, a.path)
        assert str(a.status) in op.spec["responses"], (op.operation_id, a.status)


def test_401_on_every_operation_conforms(judge: Judge, server: LocalServer) -> None:
    """Every operation, both prefixes, no key and a wrong key: 401 without echoing the key.
    The four answers per operation are the same error; one per operation is judged (the
    combination rotates, so each prefix and each case is judged on a quarter of them)."""
    combos = [(p, k) for p in PREFIXES for k in (None, "wrong")]
    problems = []
    http = requests.Session()
    http.trust_env = False
    for i, (method, template) in enumerate(sorted(served_operations(judge).values())):
        for prefix, key in combos:
            path = prefix + re.sub(r"\{[^}]+\}", "x1", template[len("/api/v3") :])
            headers = {} if key is None else {"x-api-key": key}
            resp = http.request(method, server.url + path, headers=headers, timeout=10)
            assert resp.status_code == 401, path
            assert SENTINEL_KEY not in resp.text
            if (prefix, key) == combos[i % len(combos)]:
                problems += judge.response_problems(
                    method, path, 401, resp.headers["content-type"], resp.content
                )
    http.close()
    assert problems == []


def test_the_judge_maps_v3_1_onto_the_specs_paths(judge: Judge) -> None:
    assert judge.operation("GET", "/api/v3.1/connected_accounts/ca_1").operation_id == (
        "getConnectedAccountsByNanoid"
    )
    assert judge.operation("GET", "/api/v3/connected_accounts/ca_1").operation_id == (
        "getConnectedAccountsByNanoid"
    )


def test_the_judge_rejects_wrong_shapes_of_the_new_routes(judge: Judge) -> None:
    """The judge can say no on these schemas (so a green run above means something)."""
    cases = [
        # an OAuth2 account INITIATED without its redirectUrl in state.val
        (
            "GET",
            "/api/v3.1/connected_accounts/ca_1",
            200,
            b'{"toolkit":{"slug":"g"},"auth_config":{"id":"ac","auth_scheme":"OAUTH2",'
            b'"is_composio_managed":true,"is_disabled":false},"id":"ca_1","user_id":"u",'
            b'"status":"INITIATED","created_at":"t","updated_at":"t","state":{"authScheme":'
            b'"OAUTH2","val":{"status":"INITIATED"}},"data":{},"status_reason":null,'
            b'"is_disabled":false,"params":{}}',
        ),
        ("POST", "/api/v3.1/connected_accounts/link", 201, b'{"link_token":"t"}'),
        ("PATCH", "/api/v3/trigger_instances/manage/ti_1", 200, b'{"status":"done"}'),
        ("GET", "/api/v3.1/mcp/servers", 200, b'{"items":[],"total_pages":1}'),
        ("POST", "/api/v3.1/files/upload/request", 200, b'{"type":"new","key":"k"}'),
        ("POST", "/api/v3.1/tool_router/session", 201, b'{"session_id":"s"}'),
        ("GET", "/api/v3.1/auth_configs/ac_1", 404, b'{"message":"gone"}'),
    ]
    for method, path, status, body in cases:
        assert judge.response_problems(method, path, status, "application/json", body), path


def test_the_judge_accepts_id_formats_and_still_rejects_bad_requests(judge: Judge) -> None:
    good = {"x-api-key": "k", "content-type": "application/json"}
    assert judge.request_problems("GET", "/api/v3.1/connected_accounts/ca_1", {}, good, b"") == []
    bad = [
        ("POST", "/api/v3.1/connected_accounts/link", b'{"user_id": ""}'),
        ("PATCH", "/api/v3.1/connected_accounts/ca_1/status", b'{"enabled": "yes"}'),
        ("POST", "/api/v3.1/tool_router/session", b'{"user_id": "u", "toolkits": ["github"]}'),
        ("PATCH", "/api/v3.1/trigger_instances/manage/ti_1", b'{"status": "on"}'),
    ]
    for method, path, body in bad:
        assert judge.request_problems(method, path, {}, good, body), path


def test_every_scheme_and_status_renders_a_state_the_spec_accepts(
    judge: Judge, server: LocalServer
) -> None:
    """The state table is judged whole: every auth scheme the spec knows, in every status
    the spec lists, as ``GET /connected_accounts/{id}`` and in the list."""
    walker = Walker(server, "/api/v3.1")
    statuses = ("INITIALIZING", "INITIATED", "ACTIVE", "FAILED", "EXPIRED", "INACTIVE")
    accounts = []
    for scheme in STATE_FIELDS:
        made = walker.call(
            "POST",
            "/auth_configs",
            201,
            json={
                "toolkit": {"slug": "slack"},
                "auth_config": {"type": "use_custom_auth", "authScheme": scheme},
            },
        )
        accounts.append(
            walker.call(
                "POST",
                "/connected_accounts",
                201,
                json={"auth_config": {"id": made["auth_config"]["id"]}, "connection": {}},
            )["id"]
        )
    for status in statuses:  # one list per status shows every scheme in it
        for account in accounts:
            server.set_connection_status(account, status)
        page = walker.call("GET", "/connected_accounts", 200, params={"limit": 100})
        assert {a["status"] for a in page["items"]} == {status}
        assert len(page["items"]) == len(STATE_FIELDS)
    walker.call("GET", f"/connected_accounts/{accounts[0]}", 200)
    assert _judge_all(judge, walker.answers) == []
