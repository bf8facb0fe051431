"""The retry middleware's rules (SPEC §5) with an in-memory ``call_next``.

Each test scripts the outcomes of successive attempts (a status with headers, or an
``APIConnectionError`` of a given kind) and checks how many attempts ran, what each carried,
and which waits were requested from the injected sleep.
"""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pluggy
import pytest
import requests
from requests.structures import CaseInsensitiveDict

from composio import (
    APIConnectionError,
    APITimeoutError,
    Composio,
    RetryDecision,
    Timeout,
    hookspecs,
)
from composio._retry_budget import RetryBudget
from composio.config import ClientConfig
from composio.headers import Headers
from composio.middlewares.retry import RetryMiddleware, RetrySeams, backoff_cap
from composio.pipeline import CallContext, Request, Response


class _SpyResponse(requests.Response):
    closed_by_sdk = False

    def close(self) -> None:
        self.closed_by_sdk = True


class Status:
    def __init__(self, code: int, headers: dict[str, str] | None = None) -> None:
        self.code = code
        self.headers = headers or {}


def conn_error(kind: str, sent: bool = True) -> APIConnectionError:
    cls = APITimeoutError if kind in ("read_timeout", "connect_timeout", "deadline") else None
    return (cls or APIConnectionError)(f"boom {kind}", request=None, sent=sent, kind=kind)


Outcome = Status | BaseException


class Script:
    """A ``call_next`` that plays scripted outcomes and records what each attempt carried."""

    def __init__(self, outcomes: Sequence[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.retry_counts: list[str | None] = []
        self.attempts: list[int] = []
        self.bodies: list[int] = []
        self.responses: list[Response] = []

    def __call__(self, request: Request) -> Response:
        self.retry_counts.append(request.headers.get("x-retry-count"))
        self.attempts.append(request.context.attempt)
        self.bodies.append(id(request.json))
        outcome = self.outcomes.pop(0) if self.outcomes else Status(200)
        if isinstance(outcome, BaseException):
            raise outcome
        raw = _SpyResponse()
        raw.status_code = outcome.code
        raw.headers = CaseInsensitiveDict(outcome.headers)
        raw._content = b"{}"
        response = Response(request, raw, b"{}", 0.0)
        self.responses.append(response)
        return response


@pytest.fixture(scope="module")
def config() -> Iterator[ClientConfig]:
    client = Composio(api_key="k_unit", base_url="http://127.0.0.1:9", allow_tracking=False)
    yield client.config
    client.close()


def make_mw(
    config: ClientConfig,
    *plugins: object,
    budget: RetryBudget | None = None,
    jitter: float | None = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
) -> tuple[RetryMiddleware, list[float]]:
    """A middleware whose sleeps are recorded (not slept) and whose jitter is fixed
    (``jitter=None``: the real ``random.random``)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    waits: list[float] = []
    seams = RetrySeams(
        sleep=sleep or waits.append,
        random=random.random if jitter is None else (lambda: jitter),
        clock=clock,
    )
    mw = RetryMiddleware(config, pm, budget or RetryBudget(ratio=1e9), seams=seams)
    return mw, waits


def make_request(
    method: str = "GET",
    *,
    max_retries: int = 2,
    total: float = 600.0,
    headers: dict[str, str] | None = None,
    operation: str = "tools.list",
) -> Request:
    ctx = CallContext(
        operation,
        Timeout(connect=10, read=total, total=total),
        time.monotonic() + total,
        max_retries,
    )
    return Request(
        method,
        "http://127.0.0.1:9/api/v3/x",
        context=ctx,
        json={"arguments": {"a": 1}} if method == "POST" else None,
        headers=Headers(headers),
    )


def run(
    mw: RetryMiddleware, request: Request, outcomes: Sequence[Outcome]
) -> tuple[Script, Response | BaseException]:
    script = Script(outcomes)
    try:
        return script, mw(request, script)
    except BaseException as exc:
        return script, exc


IDEM = {"Idempotency-Key": "k-1"}
S503, S500, S408, S429, S404 = Status(503), Status(500), Status(408), Status(429), Status(404)


@pytest.mark.parametrize(
    ("method", "headers", "outcome", "attempts"),
    [
        # 5xx and 408: idempotent methods (or an Idempotency-Key) only
        ("GET", None, S503, 3),
        ("HEAD", None, S500, 3),
        ("PUT", None, S500, 3),
        ("DELETE", None, S500, 3),
        ("OPTIONS", None, S500, 3),
        ("POST", None, S500, 1),
        ("PATCH", None, S503, 1),
        ("POST", IDEM, S500, 3),
        ("POST", {"idempotency-key": "lower"}, S503, 3),
        ("GET", None, S408, 3),
        ("POST", None, S408, 1),
        # 429: every method
        ("GET", None, S429, 3),
        ("POST", None, S429, 3),
        ("PATCH", None, S429, 3),
        # other 4xx: never
        ("GET", None, S404, 1),
        ("GET", None, Status(400), 1),
        ("GET", None, Status(401), 1),
        ("POST", IDEM, Status(409), 1),
        # connection errors
        ("POST", None, conn_error("refused", sent=False), 3),
        ("POST", None, conn_error("dns", sent=False), 3),
        ("POST", None, conn_error("connect_timeout", sent=False), 3),
        ("GET", None, conn_error("reset"), 3),
        ("POST", None, conn_error("reset"), 1),
        ("POST", IDEM, conn_error("reset"), 3),
        ("GET", None, conn_error("truncated"), 3),
        ("POST", None, conn_error("truncated"), 1),
        ("GET", None, conn_error("read_timeout"), 3),
        ("POST", None, conn_error("read_timeout"), 1),
        ("GET", None, conn_error("protocol"), 3),
        # never, whatever the method
        ("GET", None, conn_error("tls", sent=False), 1),
        ("POST", IDEM, conn_error("tls", sent=False), 1),
        ("GET", None, conn_error("deadline"), 1),
        ("GET", None, ValueError("not a transport error"), 1),
        # x-should-retry overrides the status rules
        ("GET", None, Status(503, {"x-should-retry": "false"}), 1),
        ("POST", None, Status(500, {"x-should-retry": "true"}), 3),
        ("GET", None, Status(400, {"X-Should-Retry": " TRUE "}), 3),
        ("POST", None, Status(500, {"x-should-retry": "maybe"}), 1),
        ("GET", None, Status(429, {"x-should-retry": "false"}), 1),
    ],
)
def test_what_is_retried(
    config: ClientConfig,
    method: str,
    headers: dict[str, str] | None,
    outcome: Outcome,
    attempts: int,
) -> None:
    mw, waits = make_mw(config)
    request = make_request(method, headers=headers)
    script, result = run(mw, request, [outcome] * 5)
    assert len(script.retry_counts) == attempts
    assert len(waits) == attempts - 1
    if isinstance(outcome, BaseException):
        assert result is outcome  # the last error itself surfaces, not a tenacity wrapper
    else:
        assert isinstance(result, Response) and result.status_code == outcome.code


def test_success_after_failures_returns_the_good_response(config: ClientConfig) -> None:
    mw, waits = make_mw(config)
    request = make_request("POST", headers=IDEM)
    body = request.json
    script, result = run(mw, request, [S503, conn_error("reset"), Status(201)])
    assert isinstance(result, Response) and result.status_code == 201
    assert script.retry_counts == ["0", "1", "2"]
    assert script.attempts == [0, 1, 2]
    assert request.context.attempt == 2
    assert script.bodies == [id(body)] * 3 and request.json == {"arguments": {"a": 1}}
    assert len(waits) == 2


def test_failed_responses_are_closed_before_retrying(config: ClientConfig) -> None:
    mw, _ = make_mw(config)
    script, result = run(mw, make_request(), [S503, S503])
    assert isinstance(result, Response) and result.status_code == 200
    assert [r.requests_response.closed_by_sdk for r in script.responses] == [True, True, False]  # type: ignore[attr-defined]


def test_the_last_failed_response_is_returned_open(config: ClientConfig) -> None:
    mw, _ = make_mw(config)
    script, result = run(mw, make_request(), [S503] * 3)
    assert isinstance(result, Response)
    assert result is script.responses[-1]
    assert not result.requests_response.closed_by_sdk  # type: ignore[attr-defined]


@pytest.mark.parametrize("max_retries", [0, 1, 5])
def test_max_retries_counts_retries_after_the_first_attempt(
    config: ClientConfig, max_retries: int
) -> None:
    mw, waits = make_mw(config)
    script, _ = run(mw, make_request(max_retries=max_retries), [S503] * 10)
    assert len(script.retry_counts) == max_retries + 1
    assert script.retry_counts == [str(n) for n in range(max_retries + 1)]
    assert len(waits) == max_retries


def test_backoff_is_exponential_capped_and_fully_jittered(config: ClientConfig) -> None:
    mw, waits = make_mw(config, jitter=1.0)  # the top of the jitter range
    run(mw, make_request(max_retries=7), [S503] * 10)
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    mw, waits = make_mw(config, jitter=0.0)
    run(mw, make_request(max_retries=3), [S503] * 10)
    assert waits == [0.0, 0.0, 0.0]
    assert [backoff_cap(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_cap(10_000) == 8.0


def test_default_jitter_stays_within_the_cap(config: ClientConfig) -> None:
    mw, waits = make_mw(config, jitter=None)
    for _ in range(50):
        run(mw, make_request(max_retries=4), [S503] * 5)
    assert len(waits) == 200
    for i, wait in enumerate(waits):
        assert 0.0 <= wait <= backoff_cap(i % 4)
    assert len(set(waits)) > 150  # really random, not a constant


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, [0.25, 0.25]),
        ({"Retry-After": "3"}, [3.0, 3.0]),
        ({"Retry-After": "3", "retry-after-ms": "10"}, [0.01, 0.01]),
        ({"Retry-After": "60"}, [60.0, 60.0]),
        ({"Retry-After": "0"}, [0.0, 0.0]),
        ({"Retry-After": "garbage"}, [0.25, 0.5]),  # jitter 0.5 x backoff
        ({"Retry-After": "-5"}, [0.25, 0.5]),
    ],
)
def test_server_wait_hints(
    config: ClientConfig, headers: dict[str, str], expected: list[float]
) -> None:
    mw, waits = make_mw(config)
    script, _ = run(mw, make_request(), [Status(429, headers)] * 3)
    assert waits == expected
    assert len(script.retry_counts) == 3


@pytest.mark.parametrize("hint", [{"Retry-After": "61"}, {"retry-after-ms": "3600000"}])
def test_a_hint_over_60_seconds_means_no_retry(config: ClientConfig, hint: dict[str, str]) -> None:
    mw, waits = make_mw(config)
    script, result = run(mw, make_request(), [Status(429, hint)])
    assert len(script.retry_counts) == 1 and waits == []
    assert isinstance(result, Response) and result.status_code == 429


def test_a_wait_that_would_cross_the_deadline_ends_the_retries(config: ClientConfig) -> None:
    mw, waits = make_mw(config)
    script, result = run(mw, make_request(total=2.0), [Status(503, {"Retry-After": "5"})] * 3)
    assert len(script.retry_counts) == 1 and waits == []
    assert isinstance(result, Response) and result.status_code == 503

    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    # waits 0.5, 1.0, 2.0...
    mw, _ = make_mw(config, jitter=1.0, clock=lambda: now[0], sleep=sleep)
    waits = slept
    request = make_request(total=1.2, max_retries=5)
    request.context.deadline = now[0] + 1.2
    script, result = run(mw, request, [conn_error("reset")] * 9)
    assert waits == [0.5]  # 0.5 fits in 1.2 s; 1.0 more would not
    assert len(script.retry_counts) == 2
    assert isinstance(result, APIConnectionError)


def test_a_spent_budget_surfaces_errors_at_once(
    config: ClientConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="composio")
    mw, waits = make_mw(config, budget=RetryBudget(ratio=0.0, per_second=0))
    script, result = run(mw, make_request(), [S503] * 3)
    assert len(script.retry_counts) == 1 and waits == []
    assert isinstance(result, Response) and result.status_code == 503
    assert "retry budget is spent" in caplog.text

    budget = RetryBudget(ratio=0.0, per_second=3, clock=lambda: 100.0)
    mw, waits = make_mw(config, budget=budget)
    for _ in range(3):
        run(mw, make_request(), [S503] * 3)
    assert len(waits) == 3  # three retries in the frozen second, shared across operations


def test_every_retry_is_logged_without_header_values(
    config: ClientConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="composio")
    mw, _ = make_mw(config)
    request = make_request(
        "POST", headers={"Idempotency-Key": "idem-SECRET-VALUE", "x-tenant": "tenant-SECRET"}
    )
    request.context.operation = "tools.execute"
    run(mw, request, [Status(503, {"x-should-retry": "true", "x-leak": "SECRET"}), S503])
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2
    first = retries[0].getMessage()
    assert "tools.execute" in first and "retry 1" in first
    assert "status 503" in first and "waiting 0.250s" in first
    assert all(r.levelno == logging.DEBUG and r.name == "composio" for r in retries)
    assert "SECRET" not in caplog.text


# -- plugins (composio_retry_decision) ---------------------------------------------------


class Decider:
    def __init__(self, decision: Any) -> None:
        self.decision = decision
        self.calls: list[tuple[int | None, str | None, int]] = []

    @hookspecs.hookimpl
    def composio_retry_decision(
        self, request: Request, response: Response | None, error: Any, attempt: int
    ) -> Any:
        self.calls.append(
            (
                response.status_code if response is not None else None,
                getattr(error, "kind", None),
                attempt,
            )
        )
        if isinstance(self.decision, BaseException):
            raise self.decision
        return self.decision


def test_no_plugin_means_no_hook_call(config: ClientConfig) -> None:
    mw, _ = make_mw(config)
    assert mw._hook is None


def test_a_plugin_can_veto_a_retry(config: ClientConfig) -> None:
    plugin = Decider(RetryDecision.stop("circuit open"))
    mw, waits = make_mw(config, plugin)
    script, _ = run(mw, make_request(), [S503] * 3)
    assert len(script.retry_counts) == 1 and waits == []
    assert plugin.calls == [(503, None, 0)]


def test_a_plugin_can_force_a_retry_with_its_own_wait_but_not_past_max_retries(
    config: ClientConfig,
) -> None:
    plugin = Decider(RetryDecision.after(0.125, "always"))
    mw, waits = make_mw(config, plugin)
    script, _ = run(mw, make_request("POST"), [S500] * 9)  # a POST 500: built-ins would not
    assert len(script.retry_counts) == 3
    assert waits == [0.125, 0.125]
    assert [c[2] for c in plugin.calls] == [0, 1, 2]


def test_a_plugin_retry_without_a_wait_uses_the_server_hint_or_backoff(
    config: ClientConfig,
) -> None:
    mw, waits = make_mw(config, Decider(RetryDecision.after()))
    run(mw, make_request("POST"), [Status(500, {"Retry-After": "2"}), Status(400)])
    assert waits == [2.0, 0.5]


def test_a_plugin_still_respects_deadline_and_budget(config: ClientConfig) -> None:
    mw, waits = make_mw(config, Decider(RetryDecision.after(10.0)))
    script, _ = run(mw, make_request(total=3.0), [S503] * 3)
    assert len(script.retry_counts) == 1 and waits == []
    mw, waits = make_mw(
        config, Decider(RetryDecision.after(0.0)), budget=RetryBudget(ratio=0, per_second=0)
    )
    script, _ = run(mw, make_request(), [S503] * 3)
    assert len(script.retry_counts) == 1


def test_plugins_are_not_consulted_on_success_or_tls(config: ClientConfig) -> None:
    plugin = Decider(RetryDecision.after(0.0))
    mw, _ = make_mw(config, plugin)
    run(mw, make_request(), [Status(200)])
    run(mw, make_request(), [conn_error("tls", sent=False)])
    assert plugin.calls == []


def test_plugin_none_defers_to_the_built_in_rules(config: ClientConfig) -> None:
    plugin = Decider(None)
    mw, _ = make_mw(config, plugin)
    script, _ = run(mw, make_request("POST"), [S500, S500])
    assert len(script.retry_counts) == 1
    script, _ = run(mw, make_request(), [conn_error("reset"), S503, Status(200)])
    assert len(script.retry_counts) == 3
    assert plugin.calls[-2:] == [(None, "reset", 0), (503, None, 1)]


@pytest.mark.parametrize("bad", [RuntimeError("plugin bug"), "yes please"])
def test_a_broken_plugin_falls_back_to_the_built_in_rules(
    config: ClientConfig, caplog: pytest.LogCaptureFixture, bad: Any
) -> None:
    mw, _ = make_mw(config, Decider(bad))
    script, result = run(mw, make_request(), [S503, Status(200)])
    assert isinstance(result, Response) and result.status_code == 200
    assert len(script.retry_counts) == 2
    assert "composio_retry_decision" in caplog.text


def test_retry_decision_validates_its_wait() -> None:
    with pytest.raises(ValueError):
        RetryDecision.after(-1.0)
    with pytest.raises(ValueError):
        RetryDecision.after(float("nan"))


# -- cost and sharing --------------------------------------------------------------------


def test_the_success_path_never_imports_tenacity() -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from composio import Composio, Timeout
        from composio.pipeline import CallContext, Request, Response
        from composio.headers import Headers
        from composio.middlewares.retry import RetryMiddleware
        from composio._retry_budget import RetryBudget
        import requests
        client = Composio(api_key="k", base_url="http://127.0.0.1:9", allow_tracking=False)
        mw = RetryMiddleware(client.config, None, RetryBudget())
        raw = requests.Response(); raw.status_code = 404
        def call_next(request):
            return Response(request, raw, b"", 0.0)
        for status in (200, 404):
            raw.status_code = status
            ctx = CallContext("op", Timeout(), time.monotonic() + 60, 2)
            mw(Request("GET", "http://x/", context=ctx, headers=Headers()), call_next)
        print("tenacity" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_one_middleware_serves_many_threads_without_cross_talk(config: ClientConfig) -> None:
    mw, waits = make_mw(config)
    barrier = threading.Barrier(8)
    results: dict[int, list[str | None]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(50):
                fails = n % 3  # each thread fails a different number of times
                request = make_request(headers={"x-worker": str(n)})
                script, result = run(mw, request, [S503] * fails)
                assert isinstance(result, Response) and result.status_code == 200
                assert script.retry_counts == [str(i) for i in range(fails + 1)]
                results[n] = script.retry_counts
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert {n: len(v) for n, v in results.items()} == {n: n % 3 + 1 for n in range(8)}
    assert len(waits) == 50 * sum(n % 3 for n in range(8))
