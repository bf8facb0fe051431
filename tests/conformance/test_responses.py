"""Every response the local server gives is judged by the spec's response schemas, errors
included: the fake must not teach the SDK a shape the real API never sends."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from composio import Composio, NotFoundError
from composio.testing import LocalServer
from tests.conformance._judge import Judge
from tests.conformance._scenario import exercise
from tests.conformance.conftest import ResponseRecorder
from tests.conftest import SENTINEL_KEY


def test_every_response_the_sdk_receives_conforms(
    judge: Judge, client: Composio, recorder: ResponseRecorder
) -> None:
    exercise(client)
    statuses = {r.status_code for r in recorder.responses}
    assert statuses == {200, 201, 400, 404}, statuses  # created, "use link", not found
    problems = []
    for resp in recorder.responses:
        problems += judge.response_problems(
            resp.request.method,
            urlsplit(resp.request.url).path,
            resp.status_code,
            resp.headers.get("content-type", ""),
            resp.content,
        )
    assert problems == []


def test_error_responses_through_the_escape_hatch_conform(judge: Judge, client: Composio) -> None:
    """``client.request`` raises on 4xx; the error's ``.response`` is what gets judged."""
    cases = [
        ("GET", "/api/v3/tools/NOPE", None, None, 404),
        ("GET", "/api/v3/toolkits/nope", None, None, 404),
        ("POST", "/api/v3/tools/execute/NOPE", None, {"arguments": {}}, 404),
        ("GET", "/api/v3/tools", {"limit": "0"}, None, 400),
        ("GET", "/api/v3/tools", {"cursor": "not-a-cursor"}, None, 400),
        ("GET", "/api/v3/tools", {"important": "yes"}, None, 400),
        ("GET", "/api/v3/toolkits", {"limit": "abc"}, None, 400),
        ("POST", "/api/v3/tools/execute/MATH_ADD", None, {"arguments": [1]}, 400),
        ("POST", "/api/v3/tools/execute/MATH_ADD", None, {"arguments": {}, "text": "x"}, 400),
        ("POST", "/api/v3/tools/execute/MATH_ADD", None, {"user_id": 5}, 400),
    ]
    problems = []
    for method, path, params, body, status in cases:
        with pytest.raises(Exception) as info:
            client.request(method, path, params=params, json=body)
        resp = info.value.response  # type: ignore[attr-defined]
        assert resp.status_code == status, (path, params, body)
        problems += judge.response_problems(
            method, path, status, resp.headers["content-type"], resp.content
        )
    assert problems == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v3/tools"),
        ("GET", "/api/v3/tools/TEXT_UPPERCASE"),
        ("POST", "/api/v3/tools/execute/TEXT_UPPERCASE"),
        ("GET", "/api/v3/toolkits"),
        ("GET", "/api/v3/toolkits/github"),
    ],
)
def test_401_without_or_with_a_wrong_key_conforms(
    judge: Judge, server: LocalServer, method: str, path: str
) -> None:
    for headers in ({}, {"x-api-key": "wrong"}):
        resp = requests.request(method, server.url + path, headers=headers, json={}, timeout=10)
        assert resp.status_code == 401
        assert SENTINEL_KEY not in resp.text
        assert (
            judge.response_problems(method, path, 401, resp.headers["content-type"], resp.content)
            == []
        )


def test_unknown_slug_error_names_the_slug(client: Composio) -> None:
    for call in (
        lambda: client.tools.retrieve("NO_SUCH_TOOL"),
        lambda: client.tools.execute("NO_SUCH_TOOL", {}),
        lambda: client.tools.get("u", slug="NO_SUCH_TOOL"),
    ):
        with pytest.raises(NotFoundError, match="NO_SUCH_TOOL") as info:
            call()
        assert info.value.status_code == 404
        assert info.value.code == 4041  # the spec's Error.code, parsed


def test_the_judge_rejects_non_conforming_responses(judge: Judge) -> None:
    cases = [
        ("POST", "/api/v3/tools/execute/X", 200, b'{"data": {}, "error": null}'),
        ("GET", "/api/v3/tools", 200, b'{"items": [{"slug": "X"}]}'),
        ("GET", "/api/v3/tools/X", 404, b'{"error": {"message": "m"}}'),
        ("GET", "/api/v3/toolkits/x", 200, b'{"slug": "x"}'),
        ("GET", "/api/v3/tools", 418, b"{}"),
    ]
    for method, path, status, body in cases:
        assert judge.response_problems(method, path, status, "application/json", body), path
