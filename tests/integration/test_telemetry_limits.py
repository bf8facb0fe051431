"""The same hardening for the telemetry side (SPEC §7, §12.6, §12.9): the default HTTP
telemetry transport bounds each POST by a total deadline (a trickling collector cannot hold
the telemetry thread forever), stays closed once closed (no reopened socket), and a copy of a
closed client starts no telemetry queue or thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from composio import ClientClosedError, Composio
from composio.telemetry._http import HttpTelemetryTransport
from composio.telemetry._queue import THREAD_NAME
from tests.integration._raw_servers import answer, raw_server, trickle

EVENT = {"functionName": "tools.list", "status": "ok"}


@pytest.mark.parametrize("mode", ["headers", "length", "chunk-size"])
def test_a_trickling_collector_cannot_hold_the_telemetry_thread(mode: str) -> None:
    with raw_server(trickle(mode)) as collector:
        transport = HttpTelemetryTransport(f"{collector.url}/v1/metrics", timeout=(0.5, 0.5))
        outcome: list[BaseException | None] = []

        def send() -> None:
            try:
                transport.send([EVENT])
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=send)
        started = time.monotonic()
        worker.start()
        worker.join(5.0)
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), f"{mode}: the POST is still reading after 5 s"
        assert elapsed <= 1.0 + 0.5  # connect + read timeouts make its total
        (error,) = outcome
        assert error is not None  # a half-read answer is a failed batch, not a success
        transport.close()
        assert collector.wait_open_connections(0)


def test_a_closed_telemetry_transport_does_not_reopen() -> None:
    with raw_server(answer(200, b"{}")) as collector:
        transport = HttpTelemetryTransport(f"{collector.url}/v1/metrics")
        transport.send([EVENT])
        assert collector.connections == 1
        transport.close()
        assert collector.wait_open_connections(0)
        with pytest.raises(ClientClosedError, match="telemetry transport was closed"):
            transport.send([EVENT])
        transport.close()  # twice is fine
        assert collector.connections == 1


class _Recorder:
    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.events.extend(events)

    def close(self) -> None:
        pass


def _telemetry_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == THREAD_NAME}


def test_a_copy_of_a_closed_client_starts_no_telemetry_thread() -> None:
    with raw_server(answer()) as server:
        root = Composio(api_key="k", base_url=server.url)  # tracking on
        root.close()
        before, sinks = _telemetry_threads(), root._runtime.telemetry.sinks
        recorder = _Recorder()
        copy = root.with_options(telemetry_transport=recorder)
        with pytest.raises(ClientClosedError):
            copy.request("GET", "/ping")
        assert _telemetry_threads() <= before  # no thread for a client that cannot call
        assert root._runtime.telemetry.sinks == sinks  # and no queue holding the recorder
        assert server.connections == 0


def test_telemetry_posts_keep_one_connection_and_error_answers_fail_the_batch() -> None:
    """Each batch is one POST over the pool below ``Session.send`` (SPEC §19): the answer is
    read so the one connection carries every batch, and an error status is a failed batch."""
    with raw_server(answer(200, b"{}")) as collector:
        transport = HttpTelemetryTransport(f"{collector.url}/v1/metrics")
        transport.send([EVENT])
        transport.send([EVENT, EVENT])
        transport.close()
        assert collector.wait_open_connections(0)
    assert collector.connections == 1
    assert len(collector.requests) == 2
    for head in collector.requests:
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /v1/metrics HTTP/1.1"
        assert b"Content-Type: application/json" in lines
        assert not any(line.lower().startswith(b"x-api-key") for line in lines)
    with raw_server(answer(503, b"{}")) as collector:
        transport = HttpTelemetryTransport(f"{collector.url}/v1/metrics")
        with pytest.raises(Exception, match="503"):
            transport.send([EVENT])
        transport.close()


def test_telemetry_goes_through_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy is resolved once, when the transport's session is made, by the API
    transport's rules (``composio._external.EnvProxies``)."""
    with raw_server(answer(200, b"{}")) as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.lower(), raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        transport = HttpTelemetryTransport("http://localhost:9/v1/metrics")
        transport.send([EVENT])
        transport.close()
    (head,) = proxy.requests
    assert head.split(b"\r\n")[0] == b"POST http://localhost:9/v1/metrics HTTP/1.1"


def test_telemetry_url_credentials_become_basic_auth_as_session_post_sent_them() -> None:
    """The POST goes below ``Session.post`` (``DeadlineAdapter.open``), which is where
    requests turned a URL's ``user:pass@`` into Basic auth: the transport resolves it once,
    and the credentials travel only in that header, not in the request line."""
    import base64

    with raw_server(answer(200, b"{}")) as collector:
        port = collector.url.rsplit(":", 1)[1]
        transport = HttpTelemetryTransport(f"http://ops:s3cr%40t@127.0.0.1:{port}/v1/metrics")
        transport.send([EVENT])
        transport.close()
    (head,) = collector.requests
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/metrics HTTP/1.1"
    assert b"Authorization: Basic " + base64.b64encode(b"ops:s3cr@t") in lines
