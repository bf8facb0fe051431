"""SPEC §12.5: redaction covers echoes.

A loopback server reflects every request header -- the API key, a session's secret header, a
per-call secret header -- back into its response body *and* its response headers (its
``x-request-id`` is the caller's API key). Whatever the outcome (4xx JSON, 5xx HTML after a
retry, a 200 that cannot be parsed, a failed tool, a connection reset after a redirect to a URL
carrying the secrets), no secret may appear in the error's text, ``repr``, ``.body``,
``.request``, ``.result``, its pickle, a DEBUG log record of logger ``composio``, a span
(real OpenTelemetry SDK) or a telemetry event.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from composio import (
    APIConnectionError,
    APIError,
    APIStatusError,
    BadRequestError,
    Composio,
    InternalServerError,
    NotFoundError,
    ToolExecutionError,
)
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import secret_forms

SESSION_SECRET = "tnt-SENTINEL-7d0c2b9e41f0"  # x-tenant-secret, from create_session
CALL_SECRET = "call-SENTINEL-55aa01c3"  # x-call-secret, from extra_headers
SECRETS = (SENTINEL_KEY, SESSION_SECRET, CALL_SECRET)
#: Short values (under the scrubber's minimum length): replaced only as whole values, so they
#: must not turn every "a" or "1" of a message into "***".
SHORT = {"x-flag": "a", "x-n": "1"}
#: Framing headers the echo must not copy onto its own response.
_FRAMING = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


@dataclass
class Echo:
    """What the echo server answers next (set by each test)."""

    status: int = 400
    kind: str = "json"  # json | html | shape | tool | redirect
    hits: list[str] = field(default_factory=list)


def _handler(echo: Echo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer()

        def _answer(self) -> None:
            echo.hits.append(self.path)
            sent = {k.lower(): v for k, v in self.headers.items()}
            every = " ".join(f"{k}={v}" for k, v in sent.items())
            kind, status = echo.kind, echo.status
            if kind == "redirect" and self.path.startswith("/next/"):
                self.close_connection = True  # no answer at all: a reset after the redirect
                return
            headers = {k: v for k, v in sent.items() if k not in _FRAMING}
            headers.update({f"x-echo-{k}": v for k, v in sent.items() if k not in _FRAMING})
            headers["x-request-id"] = sent.get("x-api-key", "")
            if kind == "redirect":
                secrets = quote(sent.get("x-api-key", "")) + "/" + sent.get("x-tenant-secret", "")
                headers["Location"] = f"/next/{secrets}?k={sent.get('x-call-secret')}"
                body = b""
            elif kind == "json":
                body = json.dumps(
                    {
                        "error": {
                            "message": f"rejected: {every}",
                            "code": sent.get("x-api-key"),
                            "suggested_fix": f"send x-tenant-secret={sent.get('x-tenant-secret')}",
                            "request_id": sent.get("x-call-secret"),
                        },
                        "echo": sent,
                        sent.get("x-api-key", ""): "a secret as a key",
                    }
                ).encode()
            elif kind == "shape":
                body = json.dumps({"items": "not a list", "echo": sent, "why": every}).encode()
            elif kind == "tool":
                body = json.dumps(
                    {
                        "successful": False,
                        "error": f"upstream said: {every}",
                        "data": {"echo": sent},
                        "log_id": sent.get("x-tenant-secret"),
                    }
                ).encode()
            else:  # html: the API key starts right where a 200-character excerpt would cut it
                lead = "<html><body>" + "x" * 183 + " "
                body = (lead + sent.get("x-api-key", "") + " " + every + "</body></html>").encode()
                headers["content-type"] = "text/html"
            if status >= 500:
                headers["retry-after"] = "0"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def echo() -> Iterator[tuple[Echo, str]]:
    state = Echo()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


CASES = [
    # (status, body kind, operation, expected error class)
    (400, "json", "tools.list", BadRequestError),
    (404, "html", "tools.retrieve", NotFoundError),
    (500, "json", "tools.list", InternalServerError),
    (503, "html", "tools.get", InternalServerError),
    (200, "html", "tools.list", APIError),
    (200, "shape", "toolkits.list", APIError),
    (200, "tool", "tools.execute", ToolExecutionError),
    (302, "redirect", "tools.retrieve", APIConnectionError),
]


def _call(session: Composio, operation: str) -> None:
    extra = {"x-call-secret": CALL_SECRET, **SHORT}
    if operation == "tools.list":
        session.tools.list(extra_headers=extra)
    elif operation == "tools.retrieve":
        session.tools.retrieve("MATH_ADD", extra_headers=extra)
    elif operation == "tools.get":
        session.tools.get("user-1", extra_headers=extra)
    elif operation == "toolkits.list":
        session.toolkits.list(extra_headers=extra)
    else:
        session.tools.execute("MATH_ADD", {"a": 1}, user_id="u", extra_headers=extra)


def _outputs(exc: BaseException, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    out = {
        "str": str(exc),
        "repr": repr(exc),
        "args": repr(exc.args),
        "request": repr(getattr(exc, "request", None)),
        "request_id": repr(getattr(exc, "request_id", None)),
        "pickle": pickle.dumps(exc).decode("latin-1"),
        "logs": "\n".join(
            f"{r.getMessage()} {r.args!r} {r.exc_text or ''}"
            for r in caplog.records
            if r.name.startswith("composio")
        ),
    }
    if isinstance(exc, APIStatusError):
        out["body"] = repr(exc.body) + json.dumps(exc.body)
        out["code"] = repr(exc.code) + repr(exc.suggested_fix)
    if isinstance(exc, ToolExecutionError):
        out["result"] = repr(exc.result) + repr(dict(exc.result.extra))
    return out


@pytest.mark.parametrize(("status", "kind", "operation", "cls"), CASES, ids=lambda v: str(v))
def test_no_echoed_secret_reaches_any_output(
    driver: Driver,
    echo: tuple[Echo, str],
    telemetry_sink: LocalServer,
    spans: tuple[TracerProvider, InMemorySpanExporter],
    caplog: pytest.LogCaptureFixture,
    status: int,
    kind: str,
    operation: str,
    cls: type[BaseException],
) -> None:
    state, url = echo
    state.status, state.kind = status, kind
    provider, exporter = spans
    caplog.set_level(logging.DEBUG, logger="composio")
    client = driver.client(
        api_key=SENTINEL_KEY, base_url=url, max_retries=1, tracer_provider=provider
    )
    session = client.create_session(headers={"x-tenant-secret": SESSION_SECRET})
    with pytest.raises(cls) as info:
        _call(session, operation)
    client.close()  # flushes telemetry
    err = info.value
    assert type(err) is cls
    if status >= 500:
        assert len(state.hits) == 2  # retried: the retry path logged at DEBUG
        assert any("retrying" in r.getMessage() for r in caplog.records)
    if kind == "redirect":  # followed to the echoed Location, then reset (and retried once)
        assert [h.startswith("/next/") for h in state.hits] == [False, True, False, True]

    outputs = _outputs(err, caplog)
    outputs["spans"] = "\n".join(s.to_json() for s in exporter.get_finished_spans())
    outputs["telemetry"] = json.dumps(telemetry_sink.telemetry_events)
    assert exporter.get_finished_spans() and telemetry_sink.telemetry_events  # really produced
    for where, text in outputs.items():
        for secret in SECRETS:
            for form in secret_forms(secret):
                assert form not in text, f"{form[:4]}... leaked into {where}: {text[:300]!r}"

    # Scrubbing is not mangling: the message still says what failed, where, and short header
    # values ("a", "1") did not turn every "a" and "1" into "***".
    text = str(err)
    assert url.removeprefix("http://") in text or kind == "tool"
    if kind == "redirect":
        assert "/next/***/***" in text and err.request is not None  # the hop, secrets removed
        assert "/next/***/***" in err.request.url
    elif kind != "tool":
        assert "/api/v3.1/" in text
    if kind == "json":
        assert "rejected:" in text and "***" in text
        assert isinstance(err, APIStatusError) and isinstance(err.body, dict)
        assert err.body["echo"]["x-flag"] == "***" and err.body["echo"]["x-n"] == "***"
        assert err.body["echo"]["user-agent"].startswith("composio-python/")  # allow-listed
    if kind == "html":
        assert "<html><body>" in text  # the excerpt is still there, cut after scrubbing
    if kind == "tool":
        assert isinstance(err, ToolExecutionError)
        assert err.result.successful is False and err.result.log_id == "***"
        assert err.result.data is not None and err.result.data["echo"]["x-tenant-secret"] == "***"
        assert pickle.loads(pickle.dumps(err)).result == err.result


def test_a_retry_plugin_reason_built_from_the_response_is_scrubbed_in_the_log(
    driver: Driver, echo: tuple[Echo, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin explaining its decision with server text must not put an echo into the log."""
    from composio import RetryDecision, hookimpl

    class Explains:
        @hookimpl
        def composio_retry_decision(self, request: Any, response: Any, error: Any) -> Any:
            if response is None:
                return None
            return RetryDecision(retry=True, wait=0, reason=f"server said {response.text[:400]}")

    state, url = echo
    state.status, state.kind = 503, "json"
    caplog.set_level(logging.DEBUG, logger="composio")
    client = driver.client(
        api_key=SENTINEL_KEY,
        base_url=url,
        allow_tracking=False,
        allow_tracing=False,
        plugins=[Explains()],
        max_retries=1,
    )
    with pytest.raises(InternalServerError):
        client.tools.list()
    client.close()
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "server said" in logs  # the plugin's reason was logged...
    for form in secret_forms(SENTINEL_KEY):
        assert form not in logs  # ...without the echo


@pytest.mark.parametrize("status", [400, 200])
def test_json_nested_too_deep_to_parse_is_a_clear_api_error(
    driver: Driver, sentinel_server: LocalServer, status: int
) -> None:
    """``json.loads`` raises ``RecursionError`` (not ``ValueError``) on a deep enough body; it
    must still become the right ``APIError``, not escape as a ``RecursionError``."""
    from composio.testing import Fault

    deep = b"[" * 100_000 + b"]" * 100_000
    sentinel_server.fail_next("/api/v3/tools", [Fault(status=status, body=deep)])
    client = driver.client(api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False)
    with pytest.raises(APIError) as info:
        client.tools.list()
    assert type(info.value) is (BadRequestError if status == 400 else APIError)
    assert "[[[" in str(info.value)  # the excerpt shows what came back
    client.tools.list()  # and the client is still usable
    client.close()
