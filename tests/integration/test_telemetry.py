"""Usage telemetry (SPEC §7) end to end: the default transport POSTs to the local server's
``/v1/metrics/invocations`` (``COMPOSIO_TELEMETRY_URL``), over real loopback HTTP."""

from __future__ import annotations

import base64
import gc
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import pytest

from composio import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    Composio,
    NotFoundError,
    ToolExecutionError,
    hookimpl,
)
from composio.telemetry import EVENT_FIELDS
from composio.telemetry._queue import THREAD_NAME
from composio.testing import Fault, LocalServer
from composio.testing.catalog import TOOLS as CATALOG
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY

TOOLS = "/api/v3/tools"
WAIT = 5.0


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.delenv("COMPOSIO_DISABLE_TELEMETRY", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", srv.url + "/v1/metrics/invocations")
        yield srv


@pytest.fixture
def make(driver: Driver) -> Any:
    """``_client`` on the test's driver: the telemetry rules hold for both clients."""

    def make_client(server: LocalServer, **kw: Any) -> Composio:
        kw.setdefault("allow_tracing", False)
        client: Composio = driver.client(api_key=SENTINEL_KEY, base_url=server.url, **kw)
        return client

    return make_client


def _telemetry_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def _wait_threads_gone(before: set[int]) -> None:
    for t in _telemetry_threads():
        if id(t) not in before:
            t.join(WAIT)


# -- the event --------------------------------------------------------------------------------
def test_one_event_per_operation_with_exactly_the_spec_fields(
    make: Any, server: LocalServer
) -> None:
    client = make(server)
    session = client.create_session(headers={"x-request-id": "r-1", "x-user-id": "user-42"})
    session.tools.list(search="secret-search-term")
    with pytest.raises(NotFoundError):
        session.tools.retrieve("no-such-tool")
    client.toolkits.list()
    client.close()  # flushes

    events = server.telemetry_events
    assert [e["functionName"] for e in events] == ["tools.list", "tools.retrieve", "toolkits.list"]
    for e in events:
        assert tuple(e) == EVENT_FIELDS
        assert e["source"] == "PYTHON_SDK"
        assert e["provider"] == "openai"
        assert e["attempts"] == 1
        assert isinstance(e["durationMs"], (int, float)) and e["durationMs"] >= 0
        assert e["timestamp"].endswith("Z")
    assert [e["status"] for e in events] == ["ok", "NotFoundError", "ok"]
    dumped = json.dumps(events)
    forbidden = [
        SENTINEL_KEY,
        SENTINEL_KEY[:8],
        quote(SENTINEL_KEY, safe=""),
        base64.b64encode(SENTINEL_KEY.encode()).decode(),
        "user-42",
        "r-1",
        "secret-search-term",
        "no-such-tool",
        "127.0.0.1",
    ]
    for word in forbidden:
        assert word not in dumped
    # the posts carried no credentials either
    assert server.requests_to("/v1/metrics/invocations") == []  # not recorded as API calls


def test_attempts_count_retries(make: Any, server: LocalServer) -> None:
    client = make(server, max_retries=2)
    server.fail_next(TOOLS, [503])
    client.tools.list()
    client.close()
    assert len(server.requests_to(TOOLS)) == 2
    (event,) = server.telemetry_events
    assert event["attempts"] == 2
    assert event["status"] == "ok"


def test_connection_error_status_is_the_exception_class(server: LocalServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Composio(api_key=SENTINEL_KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(APIConnectionError):
        client.tools.list()
    client.close()
    (event,) = server.telemetry_events
    assert event["status"] == "APIConnectionError"


def test_failed_tool_execution_is_reported_as_tool_execution_error(
    make: Any, server: LocalServer
) -> None:
    client = make(server)
    with pytest.raises(ToolExecutionError):
        client.tools.execute("MATH_DIVIDE", {"a": 1, "b": 0})
    ok = client.tools.execute("MATH_DIVIDE", {"a": 1, "b": 0}, raise_on_error=False)
    assert ok.successful is False
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    client.close()
    statuses = [(e["functionName"], e["status"]) for e in server.telemetry_events]
    # the event names what the operation's outcome was, whatever the caller chose to raise
    assert statuses == [
        ("tools.execute", "ToolExecutionError"),
        ("tools.execute", "ToolExecutionError"),
        ("tools.execute", "ok"),
    ]


def test_hook_observes_each_event(make: Any, server: LocalServer) -> None:
    seen: list[Mapping[str, Any]] = []

    class Observer:
        @hookimpl
        def composio_telemetry_event(self, event: Mapping[str, Any]) -> None:
            seen.append(event)

    client = make(server, plugins=[Observer()])
    client.tools.list()
    client.close()
    assert [e["functionName"] for e in seen] == ["tools.list"]
    assert seen == server.telemetry_events


# -- opt-out ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("how", "env"),
    [
        ("keyword", {}),
        ("env", {"COMPOSIO_DISABLE_TELEMETRY": "1"}),
        ("env", {"COMPOSIO_DISABLE_TELEMETRY": "true"}),
        ("env", {"COMPOSIO_DISABLE_TELEMETRY": "YES"}),
        ("env", {"DO_NOT_TRACK": "1"}),
        ("env", {"DO_NOT_TRACK": "anything"}),
    ],
)
def test_opted_out_means_no_thread_no_socket_no_event(
    make: Any, server: LocalServer, monkeypatch: pytest.MonkeyPatch, how: str, env: dict[str, str]
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    before = {id(t) for t in _telemetry_threads()}
    client = make(server, allow_tracking=(how != "keyword"))
    assert client.allow_tracking is False
    session = client.create_session(headers={"x-request-id": "s"})
    for _ in range(3):
        session.tools.list()
    with pytest.raises(NotFoundError):
        client.tools.retrieve("missing")
    assert {id(t) for t in _telemetry_threads()} - before == set()
    assert client._runtime.telemetry.sinks == ()  # no queue was even created
    client.close()
    assert server.telemetry_events == []
    assert server.accepted_connections == 1  # the API pool's one keep-alive connection


@pytest.mark.parametrize("value", ["", "0"])
def test_do_not_track_empty_or_zero_keeps_tracking_on(
    make: Any, server: LocalServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", value)
    client = make(server)
    assert client.allow_tracking is True
    client.tools.list()
    client.close()
    assert len(server.telemetry_events) == 1


def test_a_session_of_an_opted_out_client_is_opted_out(make: Any, server: LocalServer) -> None:
    client = make(server, allow_tracking=False)
    session = client.create_session(headers={"x-request-id": "s"}).create_session()
    assert session.allow_tracking is False
    session.tools.list()
    client.close()
    assert server.telemetry_events == []


def test_a_session_of_a_tracking_client_sends(make: Any, server: LocalServer) -> None:
    client = make(server)
    client.create_session(headers={"x-request-id": "s"}).tools.list()
    client.close()
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"]


def test_with_options_opts_one_client_out_while_the_parent_keeps_sending(
    make: Any,
    server: LocalServer,
) -> None:
    parent = make(server)
    quiet = parent.with_options(allow_tracking=False)
    assert quiet.allow_tracking is False and parent.allow_tracking is True
    quiet.toolkits.list()
    quiet.create_session(headers={"x-request-id": "q"}).toolkits.list()
    parent.tools.list()
    parent.create_session(headers={"x-request-id": "p"}).tools.list()
    quiet.close()  # not the owner: closes nothing
    parent.close()
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list", "tools.list"]


def test_with_options_can_turn_tracking_back_on(make: Any, server: LocalServer) -> None:
    quiet = make(server, allow_tracking=False)
    loud = quiet.with_options(allow_tracking=True)
    loud.tools.list()
    quiet.tools.list()
    quiet.close()
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"]


# -- custom transports ------------------------------------------------------------------------
class Recording:
    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []
        self.threads: set[str] = set()
        self.closed = False

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.extend(events)

    def close(self) -> None:
        self.closed = True


def test_custom_transport_gets_events_on_the_telemetry_thread(
    make: Any, server: LocalServer
) -> None:
    transport = Recording()
    client = make(server, telemetry_transport=transport)
    client.tools.list()
    client.close()
    assert [e["functionName"] for e in transport.events] == ["tools.list"]
    assert transport.threads == {THREAD_NAME}
    assert transport.closed
    assert server.telemetry_events == []  # the default transport was not used


class Raising:
    def send(self, events: list[Mapping[str, Any]]) -> None:
        raise ConnectionError("telemetry endpoint is down")

    def close(self) -> None:
        raise RuntimeError("and close fails")


class Hanging:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.entered.set()
        self.release.wait(10.0)  # a transport that blocks for 10 s

    def close(self) -> None:
        self.release.wait(10.0)


@pytest.mark.parametrize("kind", ["raising", "hanging"])
def test_a_raising_or_hanging_transport_adds_no_latency(
    make: Any, server: LocalServer, kind: str
) -> None:
    transport: Any = Raising() if kind == "raising" else Hanging()
    client = make(server, telemetry_transport=transport)
    try:
        started = time.monotonic()
        for _ in range(20):
            client.tools.list()
        elapsed = time.monotonic() - started
        assert elapsed < 3.0, elapsed
        if isinstance(transport, Hanging):
            assert transport.entered.wait(WAIT)  # it really is stuck in send
        started = time.monotonic()
        client.close()  # flush is bounded at 1 s
        assert time.monotonic() - started < 2.5
    finally:
        if isinstance(transport, Hanging):
            transport.release.set()


def _hanging_endpoint() -> tuple[socket.socket, str]:
    """Accepts connections (kernel backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/v1/metrics/invocations"


@pytest.mark.parametrize("mode", ["down", "hanging"])
def test_default_transport_endpoint_down_or_hanging_adds_no_latency(
    make: Any, server: LocalServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    if mode == "hanging":
        sock, url = _hanging_endpoint()
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}/v1/metrics/invocations"
        sock = None
    monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", url)
    try:
        client = make(server)
        started = time.monotonic()
        for _ in range(20):
            client.tools.list()
        assert time.monotonic() - started < 3.0
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < 2.5
        assert len(server.requests_to(TOOLS)) == 20
    finally:
        if sock is not None:
            sock.close()


def test_telemetry_url_is_read_when_the_client_is_built(
    make: Any, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make(server)  # built while the env points at the server
    monkeypatch.setenv("COMPOSIO_TELEMETRY_URL", "http://127.0.0.1:9/nowhere")
    client.tools.list()
    client.close()
    assert len(server.telemetry_events) == 1


def test_thread_starts_on_first_event_not_at_construction(make: Any, server: LocalServer) -> None:
    before = {id(t) for t in _telemetry_threads()}
    client = make(server)
    session = client.create_session(headers={"x-request-id": "s"})
    assert {id(t) for t in _telemetry_threads()} - before == set()
    assert server.accepted_connections == 0
    session.tools.list()
    (sink,) = client._runtime.telemetry.sinks
    assert sink.thread is not None and sink.thread.name == THREAD_NAME
    client.close()
    _wait_threads_gone(before)
    assert {id(t) for t in _telemetry_threads() if t.is_alive()} - before == set()


# -- SPEC §12.11: telemetry is true ------------------------------------------------------------
# Each public operation reports one event under its own functionName with the outcome the
# caller got: a 200 whose body cannot be parsed is an APIError, not ok.
HTML = b"<html><body>502 Bad Gateway (but sent as 200)</body></html>"


@pytest.fixture
def client(server: LocalServer, driver: Driver) -> Iterator[Composio]:
    """``Composio`` or ``AsyncComposio`` (``driver``): §12.11 holds for both clients."""
    c: Composio = driver.client(
        api_key=SENTINEL_KEY, base_url=server.url, allow_tracing=False, max_retries=0
    )
    yield c
    c.close()


def _events(server: LocalServer, client: Composio) -> list[tuple[str, str, int]]:
    client.close()  # flushes the telemetry thread
    return [(e["functionName"], e["status"], e["attempts"]) for e in server.telemetry_events]


# -- functionName -------------------------------------------------------------------------------
def test_tools_get_is_reported_as_tools_get_not_the_list_it_runs(
    server: LocalServer, client: Composio
) -> None:
    client.tools.get("user-1")
    assert len(server.requests_to(TOOLS)) == 1
    assert _events(server, client) == [("tools.get", "ok", 1)]


def test_tools_get_by_slug_is_one_tools_get_event(server: LocalServer, client: Composio) -> None:
    client.tools.get("user-1", slug="MATH_ADD")
    with pytest.raises(NotFoundError):
        client.tools.get("user-1", slug="NO_SUCH_TOOL")
    assert _events(server, client) == [
        ("tools.get", "ok", 1),
        ("tools.get", "NotFoundError", 1),
    ]


def test_tools_get_making_two_requests_is_still_one_event(
    server: LocalServer, client: Composio
) -> None:
    """``tools=`` and ``toolkits=`` together: two list calls inside one public call."""
    client.tools.get("user-1", tools=["MATH_ADD"], toolkits=["text"])
    assert len(server.requests_to(TOOLS)) == 2
    assert _events(server, client) == [("tools.get", "ok", 2)]


def test_tools_get_walking_pages_is_one_event(server: LocalServer, client: Composio) -> None:
    """``tools.get(tools=...)`` walks every page of the answer: a first page cut short (with a
    cursor to the real second page) makes it two requests, still one public call."""
    first, second = CATALOG[0], CATALOG[1]
    cursor = base64.urlsafe_b64encode(b"offset:1").decode().rstrip("=")
    server.fail_next(TOOLS, [Fault(status=200, body={"items": [first], "next_cursor": cursor})])
    wrapped = client.tools.get("user-1", tools=[first["slug"], second["slug"]])
    assert len(wrapped) == 2
    assert len(server.requests_to(TOOLS)) == 2
    assert _events(server, client) == [("tools.get", "ok", 2)]


def test_each_public_method_names_itself(server: LocalServer, client: Composio) -> None:
    page = client.tools.list(limit=1)
    client.tools.retrieve("MATH_ADD")
    client.tools.execute("MATH_ADD", {"a": 1, "b": 2})
    client.toolkits.list()
    client.toolkits.retrieve("math")
    client.request("GET", TOOLS)
    nxt = page.next_page()  # a page fetched later is its own tools.list call
    assert nxt is not None
    assert [name for name, _, _ in _events(server, client)] == [
        "tools.list",
        "tools.retrieve",
        "tools.execute",
        "toolkits.list",
        "toolkits.retrieve",
        "request",
        "tools.list",
    ]


def test_a_call_that_never_reached_the_chain_sends_no_event(
    server: LocalServer, client: Composio
) -> None:
    with pytest.raises(ValueError):
        client.tools.get("")  # ValidationError before any request
    assert _events(server, client) == []


# -- an unparsable 200 is APIError --------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "operation", "call"),
    [
        (TOOLS, "tools.list", lambda c: c.tools.list()),
        (TOOLS + "/MATH_ADD", "tools.retrieve", lambda c: c.tools.retrieve("MATH_ADD")),
        (TOOLS, "tools.get", lambda c: c.tools.get("user-1")),
        (
            TOOLS + "/execute/MATH_ADD",
            "tools.execute",
            lambda c: c.tools.execute("MATH_ADD", {"a": 1, "b": 2}),
        ),
        ("/api/v3/toolkits", "toolkits.list", lambda c: c.toolkits.list()),
    ],
)
@pytest.mark.parametrize(
    "body", [HTML, b'{"items": "not a list"}', b""], ids=["html", "shape", "empty"]
)
def test_a_200_that_cannot_be_parsed_is_reported_as_api_error(
    server: LocalServer, client: Composio, path: str, operation: str, call: Any, body: bytes
) -> None:
    if operation in ("tools.retrieve", "tools.execute") and body.startswith(b"{"):
        body = b'{"slug": 7}' if operation == "tools.retrieve" else b'{"successful": "maybe"}'
    server.fail_next(path, [Fault(status=200, body=body)])
    with pytest.raises(APIError) as info:
        call(client)
    assert type(info.value) is APIError  # the caller got a plain APIError...
    assert _events(server, client) == [(operation, "APIError", 1)]  # ...and so did telemetry


def test_an_unparsable_next_page_is_reported_as_api_error(
    server: LocalServer, client: Composio
) -> None:
    page = client.tools.list(limit=1)
    assert page.next_cursor
    server.fail_next(TOOLS, [Fault(status=200, body=HTML)])
    with pytest.raises(APIError):
        page.next_page()
    assert _events(server, client) == [("tools.list", "ok", 1), ("tools.list", "APIError", 1)]


def test_request_returns_a_200_html_body_as_is_and_reports_ok(
    server: LocalServer, client: Composio
) -> None:
    """``client.request`` does not parse: an HTML 200 is a success there, not an error."""
    server.fail_next(TOOLS, [Fault(status=200, body=HTML)])
    assert client.request("GET", TOOLS).content == HTML
    assert _events(server, client) == [("request", "ok", 1)]


# -- SPEC §14 operations: one event per public call, named after it ------------------------------
def test_connect_flow_operations_each_report_their_own_name_once(
    server: LocalServer, client: Composio
) -> None:
    import requests

    request = client.toolkits.authorize("user-1", "github")  # list, create, link: one event
    requests.get(request.redirect_url or "", timeout=10)
    client.connected_accounts.wait_for_connection(request.id)
    config_id = json.loads(server.requests[2].body)["auth_config_id"]
    waiting = client.connected_accounts.link("user-2", config_id)
    with pytest.raises(APITimeoutError):  # two polls and a sleep, then the deadline
        client.connected_accounts.wait_for_connection(waiting.id, timeout=0.7)
    polls = len(server.requests_to(f"/api/v3.1/connected_accounts/{waiting.id}"))
    assert polls >= 2
    # One event per public call; ``attempts`` counts its requests (every poll of a wait).
    assert _events(server, client) == [
        ("toolkits.authorize", "ok", 3),
        ("connected_accounts.wait_for_connection", "ok", 1),
        ("connected_accounts.link", "ok", 1),
        ("connected_accounts.wait_for_connection", "APITimeoutError", polls),
    ]


# -- issue 16 item 21: a client dropped without close() --------------------------------------
def test_item21_a_dropped_client_stops_its_telemetry_thread(
    driver: Driver, server: LocalServer
) -> None:
    """Clients dropped without ``close()`` kept their telemetry threads until the 30 s idle
    timeout (50 dropped: 23 threads still alive after 33 s). Once collected, each client's
    thread sends what it holds and ends: joined here, not slept for."""
    threads: list[threading.Thread] = []
    for i in range(5):
        kw: dict[str, Any] = {
            "api_key": SENTINEL_KEY,
            "base_url": server.url,
            "allow_tracing": False,
        }
        if driver.loop is None:
            client: Any = Composio(**kw)
            session = client.create_session(headers={"x-request-id": f"dropped-{i}"})
            session.tools.list()
        else:
            from composio import AsyncComposio

            async def call(kw: dict[str, Any], request_id: str) -> Any:
                c = AsyncComposio(**kw)
                session = c.create_session(headers={"x-request-id": request_id})
                await session.tools.list()
                # Its sockets are another item's (15): only the telemetry thread is left.
                await c._runtime.transport.aclose()
                return c

            client = driver.loop.run(call(kw, f"dropped-{i}"))
            session = None
        (sink,) = client._runtime.telemetry.sinks
        assert sink.thread is not None and sink.thread.is_alive()
        threads.append(sink.thread)
        del client, session, sink
    gc.collect()
    for thread in threads:
        thread.join(WAIT)
    assert [t for t in threads if t.is_alive()] == []
    # What the dropped clients had queued was delivered on the way out, not lost.
    assert [e["functionName"] for e in server.telemetry_events] == ["tools.list"] * 5
