"""The ``telemetry`` middleware with an in-memory ``call_next`` and an in-memory sink."""

from __future__ import annotations

import time
from typing import Any

import pluggy
import pytest
import requests

from composio import Composio, hookimpl, hookspecs
from composio.config import ClientConfig, Timeout
from composio.errors import APIConnectionError
from composio.hookspecs import PROJECT_NAME
from composio.middlewares.telemetry import TelemetryMiddleware
from composio.pipeline import CallContext, Request, Response
from composio.providers import OpenAIProvider
from composio.telemetry import EVENT_FIELDS
from composio.telemetry._event import to_event


def _config() -> ClientConfig:
    return ClientConfig(
        api_key="k",
        base_url="http://127.0.0.1:1",
        allow_tracking=True,
        allow_tracing=False,
        provider=OpenAIProvider(),
        telemetry_transport=None,
        default_headers={},
        timeout=Timeout(),
        max_retries=2,
        verify=True,
        tracer_provider=None,
        middlewares=(),
        plugins=(),
        blocked_plugins=frozenset(),
    )


class Sink:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def put(self, item: Any) -> None:
        self.items.append(item)

    def events(self) -> list[dict[str, Any]]:
        return [to_event(i) if isinstance(i, tuple) else i for i in self.items]


def _request(op: str = "tools.list") -> Request:
    ctx = CallContext(op, Timeout(), time.monotonic() + 60, 2)
    return Request("GET", "http://127.0.0.1:1/api/v3/tools", context=ctx)


def _answer(status: int, attempts: int = 1) -> Any:
    def call_next(request: Request) -> Response:
        request.context.attempt = attempts - 1
        raw = requests.Response()
        raw.status_code = status
        return Response(request, raw, b"{}", 0.001)

    return call_next


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "ok"),
        (204, "ok"),
        (302, "ok"),
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (404, "NotFoundError"),
        (418, "APIStatusError"),
        (429, "RateLimitError"),
        (503, "InternalServerError"),
    ],
)
def test_status_maps_to_the_error_class_the_caller_will_see(status: int, expected: str) -> None:
    sink = Sink()
    mw = TelemetryMiddleware(_config(), None, sink)
    response = mw(_request(), _answer(status))
    assert response.status_code == status
    (event,) = sink.events()
    assert tuple(event) == EVENT_FIELDS
    assert event["status"] == expected
    assert event["functionName"] == "tools.list"
    assert event["provider"] == "openai"
    assert event["attempts"] == 1


def test_attempts_are_read_after_the_call() -> None:
    sink = Sink()
    TelemetryMiddleware(_config(), None, sink)(_request(), _answer(200, attempts=3))
    assert sink.events()[0]["attempts"] == 3


def test_an_exception_is_reported_by_class_name_and_reraised() -> None:
    sink = Sink()
    mw = TelemetryMiddleware(_config(), None, sink)

    def fail(request: Request) -> Response:
        raise APIConnectionError("refused", request=None, sent=False, kind="refused")

    with pytest.raises(APIConnectionError):
        mw(_request("tools.execute"), fail)
    (event,) = sink.events()
    assert event["status"] == "APIConnectionError"
    assert event["functionName"] == "tools.execute"


def test_no_sink_is_a_pass_through() -> None:
    mw = TelemetryMiddleware(_config(), None, None)
    assert mw(_request(), _answer(200)).status_code == 200


def test_a_broken_sink_never_breaks_the_call() -> None:
    class Broken:
        def put(self, item: Any) -> None:
            raise RuntimeError("full")

    mw = TelemetryMiddleware(_config(), None, Broken())
    assert mw(_request(), _answer(200)).status_code == 200


def test_duration_is_measured() -> None:
    sink = Sink()

    def slow(request: Request) -> Response:
        t_end = time.perf_counter() + 0.01
        while time.perf_counter() < t_end:  # busy wait: a measured duration, not a sync
            pass
        return _answer(200)(request)

    TelemetryMiddleware(_config(), None, sink)(_request(), slow)
    assert sink.events()[0]["durationMs"] >= 10.0


def _relay(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for p in plugins:
        pm.register(p)
    return pm


def test_hook_sees_each_event_and_a_raising_hook_is_contained() -> None:
    seen: list[dict[str, Any]] = []

    class Observer:
        @hookimpl
        def composio_telemetry_event(self, event: dict[str, Any]) -> None:
            seen.append(dict(event))

    class Raising:
        @hookimpl
        def composio_telemetry_event(self, event: dict[str, Any]) -> None:
            raise RuntimeError("observer bug")

    sink = Sink()
    mw = TelemetryMiddleware(_config(), _relay(Observer(), Raising()), sink)
    assert mw(_request(), _answer(200)).status_code == 200
    assert len(sink.items) == 1
    assert len(seen) == 1 and tuple(seen[0]) == EVENT_FIELDS


def test_hook_is_not_called_without_a_sink() -> None:
    seen: list[object] = []

    class Observer:
        @hookimpl
        def composio_telemetry_event(self, event: dict[str, Any]) -> None:
            seen.append(event)

    mw = TelemetryMiddleware(_config(), _relay(Observer()), None)
    mw(_request(), _answer(200))
    assert seen == []


def test_client_wires_the_middleware_first_in_the_chain() -> None:
    client = Composio(api_key="k", base_url="http://127.0.0.1:1", allow_tracking=False)
    assert client.chain[0].name == "telemetry"
    client.close()
