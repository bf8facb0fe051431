"""The seed document's examples, translated to Python, over real loopback HTTP."""

from __future__ import annotations

import threading

from composio import Composio
from composio.testing import LocalServer


def test_session_with_headers_sends_them_on_tools_list(composio_server: LocalServer) -> None:
    composio = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    session_with_headers = composio.create_session(
        headers={
            "x-request-id": "1234567890",
            "x-correlation-id": "session-abc-123",
            "x-custom-header": "custom-value",
        }
    )
    page = session_with_headers.tools.list()
    assert len(page.items) == 20
    seen = composio_server.requests_to("/api/v3/tools")[-1]
    assert seen.header("x-request-id") == "1234567890"
    assert seen.header("x-correlation-id") == "session-abc-123"
    assert seen.header("x-custom-header") == "custom-value"
    assert seen.header("x-api-key") == composio_server.api_key
    composio.close()


def test_user_sessions_in_parallel_keep_their_own_headers(composio_server: LocalServer) -> None:
    composio = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    user_a = composio.create_session(headers={"x-user-id": "user-a", "x-tenant-id": "tenant-1"})
    user_b = composio.create_session(headers={"x-user-id": "user-b", "x-tenant-id": "tenant-2"})
    out: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def a() -> None:
        barrier.wait()
        out["a"] = user_a.tools.get("a")

    def b() -> None:
        barrier.wait()
        out["b"] = user_b.tools.list("b")

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wrapped = out["a"]
    assert isinstance(wrapped, list) and wrapped and wrapped[0]["type"] == "function"
    reqs = composio_server.requests_to("/api/v3/tools")
    by_user = {r.header("x-user-id"): r for r in reqs}
    assert by_user["user-a"].header("x-tenant-id") == "tenant-1"
    assert by_user["user-b"].header("x-tenant-id") == "tenant-2"
    assert by_user["user-b"].query["toolkit_slug"] == ["b"]
    assert "toolkit_slug" not in by_user["user-a"].query
    composio.close()


def test_default_headers_apply_to_client_and_sessions(composio_server: LocalServer) -> None:
    composio = Composio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        default_headers={"x-global-header": "global-value"},
        allow_tracking=False,
    )
    composio.tools.list()
    composio.create_session(headers={"content-type": "application/json"}).tools.list()
    first, second = composio_server.requests_to("/api/v3/tools")
    assert first.header("x-global-header") == second.header("x-global-header") == "global-value"
    assert second.header("content-type") == "application/json"
    composio.close()
