"""Sessions under concurrency, over real loopback HTTP (SPEC §2, §4, issue 2)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from composio.testing import LocalServer
from tests._drivers import Driver


def _client(driver: Driver, server: LocalServer, **kw: object) -> Any:
    """A ``Composio`` or an ``AsyncComposio`` (``driver``): every rule here holds for both."""
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False, **kw)


def test_16_threads_x_50_sessions_no_cross_talk(
    driver: Driver, composio_server: LocalServer
) -> None:
    composio_server.record = False  # the echo answers carry what arrived; keep memory flat
    client = _client(driver, composio_server, default_headers={"x-app": "demo"})
    sessions = [
        client.create_session(
            headers={
                "x-user-id": f"user-{t}-{i}",
                "x-tenant-id": f"tenant-{t}",
                "x-request-id": f"req-{t}-{i}",
            }
        )
        for t in range(16)
        for i in range(50)
    ]
    start = threading.Barrier(16)
    mismatches: list[str] = []

    def worker(t: int) -> int:
        start.wait()
        done = 0
        for i in range(50):
            session = sessions[t * 50 + i]
            extra = {"x-call": f"{t}-{i}"}
            seen = session.request("GET", "/echo", extra_headers=extra).json()["headers"]
            want = {
                "x-user-id": f"user-{t}-{i}",
                "x-tenant-id": f"tenant-{t}",
                "x-request-id": f"req-{t}-{i}",
                "x-call": f"{t}-{i}",
                "x-app": "demo",
            }
            got = {k: seen.get(k) for k in want}
            if got != want:
                mismatches.append(f"{t}-{i}: {got}")
            done += 1
        return done

    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(worker, range(16)))
    assert total == 800
    assert mismatches == []
    # one shared pool: at most one socket per concurrent thread, never one per session
    assert composio_server.accepted_connections <= 16
    client.close()


def test_parent_unchanged_and_sessions_do_not_leak_into_each_other(
    driver: Driver, composio_server: LocalServer
) -> None:
    client = _client(driver, composio_server)
    a = client.create_session(headers={"x-user-id": "a"})
    b = a.create_session(headers={"x-user-id": None, "x-b": "b"})
    client.request("GET", "/echo")
    a.request("GET", "/echo")
    b.request("GET", "/echo")
    plain, via_a, via_b = composio_server.requests_to("/echo")
    assert plain.header("x-user-id") is None and plain.header("x-b") is None
    assert via_a.header("x-user-id") == "a" and via_a.header("x-b") is None
    assert via_b.header("x-user-id") is None and via_b.header("x-b") == "b"
    client.close()


def test_extra_headers_top_the_precedence_and_none_removes(
    driver: Driver, composio_server: LocalServer
) -> None:
    client = _client(driver, composio_server, default_headers={"x-level": "default", "x-gone": "d"})
    session = client.create_session(headers={"x-level": "session"})
    session.tools.list(limit=1, extra_headers={"X-Level": "call", "x-gone": None})
    seen = composio_server.requests[-1]
    assert seen.header("x-level") == "call"
    assert seen.header("x-gone") is None
    client.close()


def test_request_id_generated_per_operation_unless_a_layer_sets_it(
    driver: Driver, composio_server: LocalServer
) -> None:
    client = _client(driver, composio_server)
    client.tools.list(limit=1)
    client.tools.list(limit=1)
    client.create_session(headers={"x-request-id": "fixed"}).tools.list(limit=1)
    first, second, third = (r.header("x-request-id") for r in composio_server.requests)
    assert first and second and first != second
    assert len(first) == 32 and first[12] == "4"  # uuid4 hex
    assert third == "fixed"
    client.close()


def _client_threads() -> set[str]:
    """Threads of this process except the local server's per-connection handlers."""
    return {t.name for t in threading.enumerate() if "process_request_thread" not in t.name}


def test_10000_sessions_open_no_new_socket(driver: Driver, composio_server: LocalServer) -> None:
    client = _client(driver, composio_server)
    client.tools.list(limit=1)
    before = composio_server.accepted_connections
    threads_before = _client_threads()
    sessions = [client.create_session(headers={"x-user-id": f"u{i}"}) for i in range(10_000)]
    assert composio_server.accepted_connections == before
    assert _client_threads() == threads_before
    for s in sessions[::1000]:
        s.tools.list(limit=1)
    # sequential calls reuse the one pooled connection
    assert composio_server.accepted_connections == before
    client.close()


def test_sessions_share_the_pool_after_parent_close_of_session(
    driver: Driver, composio_server: LocalServer
) -> None:
    client = _client(driver, composio_server)
    session = client.create_session(headers={"x-a": "1"})
    session.close()
    assert client.tools.list(limit=1).items
    client.close()


def test_16_threads_x_50_sessions_keep_their_headers_during_retries(
    driver: Driver, composio_server: LocalServer
) -> None:
    from composio._retry_budget import RetryBudget

    # A thread may meet several faults in a row: allow enough retries that every call ends ok.
    from composio.middlewares.retry import RetrySeams
    from composio.testing import Fault

    seams = RetrySeams(sleep=lambda seconds: None)  # the async client's wait calls it too
    client = _client(driver, composio_server, max_retries=100, plugins=[seams])
    retry = next(m for m in client.chain if m.name == "retry")
    # The 100 faults hit the first 100 calls at once: a burst the default retry budget would
    # (rightly) refuse to amplify. This test is about header isolation, so lift the budget.
    retry._budget = RetryBudget(ratio=1.0, per_second=1000.0)  # type: ignore[attr-defined]
    # 100 of the 800 calls hit a 503 first (whichever arrive first), then are retried
    composio_server.fail_next("/echo", [Fault(status=503)] * 100)
    sessions = [
        client.create_session(headers={"x-user-id": f"u-{t}-{i}", "x-tenant-id": f"t-{t}"})
        for t in range(16)
        for i in range(50)
    ]
    start = threading.Barrier(16)

    def worker(t: int) -> None:
        start.wait()
        for i in range(50):
            sessions[t * 50 + i].request("GET", "/echo", extra_headers={"x-call": f"{t}-{i}"})

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(worker, range(16)))
    seen = composio_server.requests_to("/echo")
    assert len(seen) == 900  # 800 calls + 100 retries, no amplification
    retried = [r for r in seen if r.header("x-retry-count") != "0"]
    assert len(retried) == 100
    by_request_id: dict[str, set[str]] = {}
    for rec in seen:  # failed attempts and their retries alike
        t, i = (rec.header("x-call") or "?-?").split("-")
        assert rec.header("x-user-id") == f"u-{t}-{i}"
        assert rec.header("x-tenant-id") == f"t-{t}"
        by_request_id.setdefault(rec.header("x-request-id") or "", set()).add(f"{t}-{i}")
    # every retry reused its own operation's x-request-id, never another call's
    assert all(len(calls) == 1 for calls in by_request_id.values())
    assert len(by_request_id) == 800
    client.close()


class _EarlyHeader:
    """A plugin policy between ``identity`` and ``default-headers`` (CALL, order 250)."""

    name = "early-header"
    order = 250

    def __init__(self) -> None:
        from composio import Stage

        self.stage = Stage.CALL

    def on_request(self, request: Any) -> None:
        request.headers["x-early"] = "plugin"


def test_issue21_default_headers_none_still_removes_what_an_earlier_layer_set(
    driver: Driver, composio_server: LocalServer
) -> None:
    """Built-in layers without a removal marker are written in one ``dict.update``; a
    ``default_headers`` layer with one still removes what the identity layer or a plugin
    middleware ahead of it set, and adds its other headers."""
    plain = _client(driver, composio_server, middlewares=[_EarlyHeader()])
    removing = _client(
        driver,
        composio_server,
        middlewares=[_EarlyHeader()],
        default_headers={"x-early": None, "User-Agent": None, "x-app": "demo"},
    )
    plain.request("GET", "/echo")
    removing.request("GET", "/echo")
    kept, removed = composio_server.requests_to("/echo")
    assert kept.header("x-early") == "plugin"
    assert (kept.header("user-agent") or "").startswith("composio-python/")
    assert removed.header("x-early") is None
    assert not (removed.header("user-agent") or "").startswith("composio-python/")
    assert removed.header("x-app") == "demo" and removed.header("x-api-key") is not None
    plain.close()
    removing.close()
