"""Issue 23 (dev-server ``--log``): LocalServer's public ``on_request`` hook, which the CLI's
request log is built on instead of overriding a private method, and the log line it prints."""

from __future__ import annotations

import requests

from composio import Composio
from composio.testing import LocalServer
from composio.testing.server import RecordedRequest


def test_item23_on_request_sees_every_request_even_unrecorded() -> None:
    seen: list[RecordedRequest] = []
    with (
        LocalServer(record=False, on_request=seen.append) as server,
        Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as client,
    ):
        client.tools.list(toolkit_slug="math")
        client.tools.execute("TEXT_UPPERCASE", {"text": "hi"}, user_id="u1")
    assert server.requests == []
    assert [r.log_line() for r in seen] == [
        "GET /api/v3.1/tools",
        "POST /api/v3.1/tools/execute/TEXT_UPPERCASE",
    ]


def test_item23_log_line_hides_the_connect_token_and_the_query() -> None:
    seen: list[RecordedRequest] = []
    with (
        LocalServer(on_request=seen.append) as server,
        Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False) as client,
    ):
        link = client.toolkits.authorize("alice", "github")
        requests.get(f"{link.redirect_url}?state=s3cr3t-state-value", timeout=10)
    token = (link.redirect_url or "").rsplit("/", 1)[1]
    lines = [r.log_line() for r in seen]
    assert "GET /_local/connect/***" in lines
    assert not [line for line in lines if token in line or "s3cr3t" in line]


def test_item23_a_failing_hook_leaves_the_server_answering() -> None:
    def broken(rec: RecordedRequest) -> None:
        raise RuntimeError("hook bug")

    with (
        LocalServer(on_request=broken) as server,
        Composio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False, max_retries=0
        ) as client,
    ):
        assert client.tools.list().items
        assert client.tools.list().items  # and again: the server kept serving
