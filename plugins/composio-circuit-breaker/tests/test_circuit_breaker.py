"""composio-circuit-breaker against the local server, over loopback."""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

import composio_circuit_breaker as cb
import pytest
from composio_circuit_breaker import (
    CircuitBreaker,
    CircuitBreakerMiddleware,
    CircuitOpenError,
)

import composio
from composio import (
    APIConnectionError,
    APITimeoutError,
    CallNext,
    Composio,
    ComposioError,
    InternalServerError,
    PluginError,
    RateLimitError,
    Request,
    Response,
    RetryDecision,
    Stage,
    Timeout,
    ValidationError,
)
from composio.testing import Fault, LocalServer

TOOLS = "/api/v3/tools"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def failing(n: int, status: int = 503) -> list[Fault]:
    # retry-after-ms: 0 -> a retry, when the SDK makes one, waits nothing.
    return [Fault(status=status, headers={"retry-after-ms": "0"})] * n


def together(n: int, fn: Callable[[], object]) -> list[object]:
    """Run ``fn`` on ``n`` threads released at once by a barrier; each one's result or
    exception, in no particular order."""
    start = threading.Barrier(n)
    out: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait(10)
        try:
            result: object = fn()
        except BaseException as exc:
            result = exc
        with lock:
            out.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(out) == n, "a thread did not finish"
    return out


@pytest.fixture(autouse=True)
def _only_explicit_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv(cb.FAILURES_ENV, raising=False)
    monkeypatch.delenv(cb.COOLDOWN_ENV, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _client(server: LocalServer, *plugins: object, **kw: object) -> Composio:
    kw.setdefault("max_retries", 0)
    return Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        plugins=list(plugins),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(composio_server: LocalServer, clock: FakeClock) -> Iterator[Composio]:
    c = _client(composio_server, CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock))
    yield c
    c.close()


def _open(client: Composio, server: LocalServer, n: int = 3) -> None:
    server.fail_next(TOOLS, failing(n))
    for _ in range(n):
        with pytest.raises(InternalServerError):
            client.tools.list()


def test_opens_after_n_consecutive_failures_and_fails_fast_without_sending(
    client: Composio, composio_server: LocalServer, clock: FakeClock
) -> None:
    _open(client, composio_server)
    sent = len(composio_server.requests)
    assert sent == 3

    with pytest.raises(CircuitOpenError) as info:
        client.tools.list(toolkit_slug="secret-toolkit")
    err = info.value
    assert len(composio_server.requests) == sent  # nothing was sent
    assert isinstance(err, ComposioError) and not isinstance(err, APIConnectionError)
    assert (err.origin, err.failures, err.state) == (composio_server.url, 3, "open")
    assert err.half_open_in == pytest.approx(30.0)
    msg = str(err)
    assert composio_server.url in msg and "3 consecutive failures" in msg
    assert "GET /api/v3.1/tools was not sent" in msg and "half-opens in 30.0s" in msg
    assert "secret-toolkit" not in msg  # the query is not repeated in the message

    clock.advance(12.5)
    with pytest.raises(CircuitOpenError, match=r"half-opens in 17\.5s"):
        client.toolkits.list()  # every operation to that host is refused
    assert len(composio_server.requests) == sent


def test_a_success_resets_the_consecutive_count(
    client: Composio, composio_server: LocalServer
) -> None:
    for _ in range(2):
        composio_server.fail_next(TOOLS, failing(2))
        for _ in range(2):
            with pytest.raises(InternalServerError):
                client.tools.list()
        client.tools.list()  # 2 consecutive < 3; this success resets the count
    assert len(composio_server.requests) == 6


def test_429_neither_counts_nor_resets_and_4xx_is_a_success(
    client: Composio, composio_server: LocalServer
) -> None:
    composio_server.fail_next(TOOLS, [*failing(2), *failing(1, 429), *failing(1)])
    for expected in (InternalServerError, InternalServerError, RateLimitError, InternalServerError):
        with pytest.raises(expected):
            client.tools.list()
    with pytest.raises(CircuitOpenError):  # 503, 503, (429), 503: three in a row
        client.tools.list()

    fresh = _client(composio_server, CircuitBreaker(failure_threshold=2))
    composio_server.fail_next(TOOLS, [*failing(1), *failing(1, 404), *failing(1)])
    for _ in range(3):
        with pytest.raises(composio.APIStatusError):
            fresh.tools.list()
    fresh.tools.list()  # the 404 reset the count: 503, (404), 503 is one in a row
    fresh.close()


def test_half_open_probe_success_closes(
    client: Composio, composio_server: LocalServer, clock: FakeClock
) -> None:
    _open(client, composio_server)
    clock.advance(29.9)
    with pytest.raises(CircuitOpenError):
        client.tools.list()
    clock.advance(0.1)
    assert client.tools.list().items  # the probe
    for _ in range(3):
        client.tools.list()  # closed again
    assert len(composio_server.requests) == 3 + 1 + 3


def test_half_open_probe_failure_reopens_for_a_fresh_cooldown(
    client: Composio, composio_server: LocalServer, clock: FakeClock
) -> None:
    _open(client, composio_server)
    clock.advance(30)
    composio_server.fail_next(TOOLS, failing(1))
    with pytest.raises(InternalServerError):
        client.tools.list()  # the probe failed
    with pytest.raises(CircuitOpenError) as info:
        client.tools.list()
    assert info.value.half_open_in == pytest.approx(30.0)
    assert info.value.failures == 4
    clock.advance(29.9)
    with pytest.raises(CircuitOpenError):
        client.tools.list()
    clock.advance(0.1)
    client.tools.list()
    assert len(composio_server.requests) == 3 + 1 + 1


def test_the_sdk_stops_retrying_when_an_attempt_opens_the_circuit(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    class ForceRetry:
        """A plugin that would retry every 503 (registered after the breaker, so pluggy
        would ask it first; the breaker's ``tryfirst`` veto must still win)."""

        composio_plugin_name = "force-retry"

        @composio.hookimpl
        def composio_retry_decision(self, response: Response | None) -> RetryDecision | None:
            if response is not None and response.status_code == 503:
                return RetryDecision.after(0.0, "always")
            return None

    breaker = CircuitBreaker(failure_threshold=2, cooldown=30, clock=clock)
    with _client(composio_server, breaker, ForceRetry(), max_retries=5) as c:
        composio_server.fail_next(TOOLS, failing(10))
        with pytest.raises(InternalServerError):  # the real error, not CircuitOpenError
            c.tools.list()
        attempts = composio_server.requests_to(TOOLS)
        assert [r.header("x-retry-count") for r in attempts] == ["0", "1"]


def test_a_retry_refused_because_other_calls_opened_the_circuit_fails_fast(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    """Between this call's attempts, other calls open the circuit: the retry is refused with
    CircuitOpenError (not sent), and the SDK does not retry that."""

    class OthersFailMeanwhile:
        """Before the breaker: on this call's first retry, two other calls' failures land."""

        name = "others"
        stage = Stage.ATTEMPT
        order = -200

        def __call__(self, request: Request, call_next: CallNext) -> Response:
            attempts.append(request.headers.get("x-retry-count"))
            if request.headers.get("x-retry-count") == "1":
                breaker_mw = next(m for m in c.chain if m.name == "circuit-breaker")
                circuit = breaker_mw.circuit(request.url)  # type: ignore[attr-defined]
                circuit.failure(False)
                circuit.failure(False)
            return call_next(request)

    attempts: list[str | None] = []
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    with _client(composio_server, breaker, middlewares=[OthersFailMeanwhile()], max_retries=3) as c:
        composio_server.fail_next(TOOLS, failing(1))
        with pytest.raises(CircuitOpenError, match="after 3 consecutive failures"):
            c.tools.list()
    assert len(composio_server.requests_to(TOOLS)) == 1  # the refused retry was not sent
    assert attempts == ["0", "1"]  # and the refusal itself was not retried


def test_connection_errors_count(clock: FakeClock) -> None:
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    breaker = CircuitBreaker(failure_threshold=2, cooldown=5, clock=clock)
    with Composio(
        api_key="k",
        base_url=f"http://127.0.0.1:{port}",
        allow_tracking=False,
        plugins=[breaker],
        max_retries=0,
    ) as c:
        for _ in range(2):
            with pytest.raises(APIConnectionError):
                c.tools.list()
        with pytest.raises(CircuitOpenError, match=f"127.0.0.1:{port}"):
            c.tools.list()


def test_state_is_shared_by_a_root_client_and_its_sessions(
    client: Composio, composio_server: LocalServer
) -> None:
    alice = client.create_session(headers={"x-user-id": "alice"})
    bob = client.create_session(headers={"x-user-id": "bob"})
    _open(alice, composio_server)
    for c in (bob, client, bob.create_session(headers={"x-nested": "1"})):
        with pytest.raises(CircuitOpenError):
            c.tools.list()
    # Documented limit: a with_options copy is a new build with its own breaker, and so is
    # another root client.
    client.with_options(timeout=5.0).tools.list()
    other = _client(composio_server, CircuitBreaker(failure_threshold=3))
    other.tools.list()
    other.close()
    assert len(composio_server.requests) == 3 + 2


def test_sixteen_threads_half_open_lets_exactly_one_probe_through(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    armed = threading.Event()
    probe_inside = threading.Event()
    release = threading.Event()

    class Gate:
        """After the breaker: holds the first request that gets past it (the probe) in the
        chain until the other fifteen threads have had their answer."""

        name = "gate"
        stage = Stage.ATTEMPT
        order = 50

        def __call__(self, request: Request, call_next: CallNext) -> Response:
            if armed.is_set() and not probe_inside.is_set():
                probe_inside.set()
                assert release.wait(10), "the test never released the probe"
            return call_next(request)

    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    with _client(composio_server, breaker, middlewares=[Gate()]) as c:
        _open(c, composio_server)
        clock.advance(30)
        results: dict[str, object] = {}

        def probe() -> None:
            results["probe"] = c.tools.list().items

        prober = threading.Thread(target=probe)
        armed.set()
        prober.start()
        assert probe_inside.wait(10)

        errors = together(15, c.tools.list)
        release.set()
        prober.join(10)

    assert all(isinstance(e, CircuitOpenError) for e in errors), errors
    assert all(e.state == "half-open" and "probe" in str(e) for e in errors)  # type: ignore[attr-defined]
    assert results["probe"]
    assert len(composio_server.requests) == 3 + 1  # only the probe reached the server


def test_sixteen_threads_count_every_failure_and_race_for_one_probe(clock: FakeClock) -> None:
    mw = CircuitBreakerMiddleware(failure_threshold=10**9, cooldown=1, clock=clock)
    circuit = mw.circuit("http://h:1/x")

    def hammer() -> None:
        for _ in range(2000):
            circuit.failure(False)

    together(16, hammer)
    assert circuit.failures == 16 * 2000  # no lost update

    racer = CircuitBreakerMiddleware(failure_threshold=1, cooldown=1, clock=clock).circuit(
        "http://h:1/"
    )
    for _ in range(50):
        racer.failure(False)  # open (or re-open)
        if racer.state != "open":
            racer.failure(True)
        clock.advance(1)
        outcomes = together(16, lambda: racer.admit("GET", "http://h:1/x"))
        granted = [o is True for o in outcomes]
        assert all(o is True or isinstance(o, CircuitOpenError) for o in outcomes)
        assert sorted(granted) == [False] * 15 + [True]
        racer.failure(True)  # the probe failed: open again
        assert racer.state == "open"


def test_the_clock_is_injected_not_a_writable_attribute(clock: FakeClock) -> None:
    mw = CircuitBreakerMiddleware(clock=clock)
    assert not hasattr(mw, "clock")
    with pytest.raises(AttributeError):
        mw.clock = clock  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        CircuitBreaker().clock = clock  # type: ignore[attr-defined]


def test_bad_settings_are_clear_errors(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match="failure_threshold must be an int >= 1"):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValidationError, match="cooldown must be a positive"):
        CircuitBreaker(cooldown=float("inf"))
    monkeypatch.setenv(cb.COOLDOWN_ENV, "soon")
    with pytest.raises(PluginError, match=r"circuit-breaker.*COMPOSIO_CIRCUIT_BREAKER_COOLDOWN"):
        _client(composio_server, CircuitBreaker())
    monkeypatch.setenv(cb.COOLDOWN_ENV, "2")
    monkeypatch.setenv(cb.FAILURES_ENV, "1")
    with _client(composio_server, CircuitBreaker()) as c:  # the environment configures it
        composio_server.fail_next(TOOLS, failing(1))
        with pytest.raises(InternalServerError):
            c.tools.list()
        with pytest.raises(CircuitOpenError, match="after 1 consecutive failure;"):
            c.tools.list()


def test_a_refused_attempt_makes_no_http_span(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    """The breaker sits before ``tracing``: what was not sent is not traced as a request."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    breaker = CircuitBreaker(failure_threshold=1, cooldown=30, clock=clock)
    with _client(composio_server, breaker, tracer_provider=provider) as c:
        composio_server.fail_next(TOOLS, failing(1))
        with pytest.raises(InternalServerError):
            c.tools.list()
        traced = len(exporter.get_finished_spans())
        assert traced >= 1  # the sent attempt was traced
        with pytest.raises(CircuitOpenError):
            c.tools.list()
    assert len(exporter.get_finished_spans()) == traced


def test_the_error_pickles(client: Composio, composio_server: LocalServer) -> None:
    _open(client, composio_server)
    with pytest.raises(CircuitOpenError) as info:
        client.tools.list()
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is CircuitOpenError and str(copy) == str(info.value)
    assert (copy.origin, copy.failures, copy.state) == (
        info.value.origin,
        info.value.failures,
        info.value.state,
    )


def test_it_sits_in_the_attempt_stage_before_tracing(client: Composio) -> None:
    names = [m.name for m in client.chain]
    assert names.index("retry") < names.index("circuit-breaker") < names.index("tracing")


def test_the_package_registers_its_entry_point(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="composio")}
    assert eps.get("composio-circuit-breaker") == "composio_circuit_breaker:default_breaker"
    kw = dict(api_key=composio_server.api_key, base_url=composio_server.url, max_retries=0)
    with Composio(**kw) as off:  # type: ignore[arg-type]
        assert "circuit-breaker" not in [m.name for m in off.chain]
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv(cb.FAILURES_ENV, "2")
    with Composio(**kw) as c:  # type: ignore[arg-type]
        assert "composio-circuit-breaker" in c.plugin_names
        composio_server.fail_next(TOOLS, failing(2))
        for _ in range(2):
            with pytest.raises(InternalServerError):
                c.tools.list()
        with pytest.raises(CircuitOpenError):
            c.tools.list()
    with Composio(**kw, blocked_plugins=["composio-circuit-breaker"]) as blocked:  # type: ignore[arg-type]
        assert "circuit-breaker" not in [m.name for m in blocked.chain]


def _async_client_class() -> type:
    cls = getattr(composio, "AsyncComposio", None)
    if cls is None:
        pytest.skip("AsyncComposio not on this branch yet")
    return cls  # type: ignore[no-any-return]


def _async_client(server: LocalServer, *plugins: object, **kw: object) -> Any:
    """``_client``'s twin: an ``AsyncComposio`` with no retries and these plugins."""
    return _async_client_class()(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        max_retries=0,
        plugins=list(plugins),
        **kw,
    )


def test_async_client_opens_fails_fast_and_half_opens(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    async def scenario() -> None:
        breaker = CircuitBreaker(failure_threshold=2, cooldown=10, clock=clock)
        async with _async_client(composio_server, breaker) as c:
            composio_server.fail_next(TOOLS, failing(2))
            for _ in range(2):
                with pytest.raises(InternalServerError):
                    await c.tools.list()
            with pytest.raises(CircuitOpenError):
                await c.create_session(headers={"x-user-id": "a"}).tools.list()
            assert len(composio_server.requests) == 2
            clock.advance(10)
            assert (await c.tools.list()).items  # the probe closes it
            await c.tools.list()

    asyncio.run(scenario())
    assert len(composio_server.requests) == 4


def test_async_waiting_for_a_connection_of_its_own_pool_is_not_a_host_failure(
    composio_server: LocalServer, clock: FakeClock
) -> None:
    """An ``AsyncComposio`` attempt that found every connection of its own pool busy
    (``APITimeoutError(kind="pool_timeout")``) never reached the host: it neither counts
    nor opens the circuit (issue 16: the pool gate moved into the attempt)."""

    def arrived(n: int) -> None:
        while len(composio_server.requests_to("/echo")) < n:
            threading.Event().wait(0.01)  # the server records it when it arrives

    async def scenario() -> None:
        breaker = CircuitBreaker(failure_threshold=2, cooldown=10, clock=clock)
        async with _async_client(composio_server, breaker, pool_maxsize=1) as c:
            await c.request("GET", "/echo")  # the pool exists
            held = Fault(status=200, body={"held": True}, delay=5)
            composio_server.fail_next("/echo", [held])
            holder = asyncio.ensure_future(c.request("GET", "/echo"))
            await asyncio.wait_for(asyncio.to_thread(arrived, 2), 10)  # it holds the one slot
            for _ in range(3):
                with pytest.raises(APITimeoutError) as caught:
                    await c.request("GET", "/echo", timeout=Timeout(connect=0.1, total=30))
                assert caught.value.kind == "pool_timeout"
            assert (await holder).json() == {"held": True}
            assert (await c.request("GET", "/echo")).status_code == 200  # still closed

    asyncio.run(scenario())
    assert len(composio_server.requests_to("/echo")) == 3
