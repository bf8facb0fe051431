"""Fork then call (SPEC §7, §11): the child gets a fresh pool and a fresh telemetry thread."""

from __future__ import annotations

import json
import os
import select
import traceback
import warnings
from collections.abc import Iterator

import pytest

from composio import Composio, _fork
from composio.telemetry._queue import THREAD_NAME
from composio.testing import LocalServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
TOOLS = "/api/v3/tools"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.delenv("COMPOSIO_DISABLE_TELEMETRY", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with LocalServer() as srv:
        monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", srv.url + "/v1/metrics/invocations")
        yield srv


def _fork_and_run(child: object) -> dict[str, object]:
    """Run ``child()`` in a forked process; return the dict it reports through a pipe."""
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            os.close(read_fd)
            result = child()  # type: ignore[operator]
        except BaseException:
            result = {"error": traceback.format_exc()}
            code = 1
        try:
            os.write(write_fd, json.dumps(result).encode())
            os.close(write_fd)
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([read_fd], [], [], 30.0)
            assert ready, "the child did not report within 30 s"
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    report = json.loads(b"".join(chunks) or b"{}")
    assert "error" not in report, report.get("error")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return dict(report)


def test_fork_then_call(server: LocalServer) -> None:
    client = Composio(api_key=server.api_key, base_url=server.url)
    session = client.create_session(headers={"x-request-id": "parent-session"})
    session.tools.list()
    runtime = client._runtime
    assert runtime in _fork.live_runtimes()
    (sink,) = runtime.telemetry.sinks
    assert runtime.telemetry.flush(5.0)
    parent_thread = sink.thread
    parent_pool = runtime.transport.session
    assert parent_thread is not None and parent_thread.is_alive()
    assert len(server.telemetry_events) == 1

    def child() -> dict[str, object]:
        before_call = sink.thread is None and sink.qsize() == 0
        fresh_pool = runtime.transport.session is not parent_pool
        page = client.create_session(headers={"x-request-id": "child"}).tools.list()
        session.tools.list()
        new_thread = sink.thread
        report = {
            "reset_before_call": before_call,
            "fresh_pool": fresh_pool,
            "items": len(page.items),
            "new_thread": new_thread is not None and new_thread is not parent_thread,
            "thread_alive": new_thread is not None and new_thread.is_alive(),
            "thread_name": new_thread.name if new_thread is not None else None,
            "pid": os.getpid(),
        }
        client.close()  # flushes the child's events
        return report

    report = _fork_and_run(child)
    assert report["reset_before_call"] is True
    assert report["fresh_pool"] is True
    assert report["items"] == 20
    assert report["new_thread"] is True and report["thread_alive"] is True
    assert report["thread_name"] == THREAD_NAME
    assert report["pid"] != os.getpid()
    # the child's two operations arrived; the parent's event was not sent twice
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"] * 3
    ids = [r.header("x-request-id") for r in server.requests_to(TOOLS)]
    assert ids == ["parent-session", "child", "parent-session"]

    # the parent is unharmed: same pool, same thread, still sending
    session.tools.list()
    assert runtime.transport.session is parent_pool
    assert sink.thread is parent_thread
    client.close()
    assert len(server.telemetry_events) == 4


def test_fork_with_tracking_off_starts_no_thread_in_the_child(server: LocalServer) -> None:
    client = Composio(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    client.tools.list()

    def child() -> dict[str, object]:
        client.tools.list()
        import threading

        names = [t.name for t in threading.enumerate()]
        client.close()
        return {"telemetry_threads": names.count(THREAD_NAME)}

    assert _fork_and_run(child) == {"telemetry_threads": 0}
    client.close()
    assert server.telemetry_events == []
    assert len(server.requests_to(TOOLS)) == 2
