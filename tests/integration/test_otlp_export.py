"""Spans leave the process through the standard OTLP/HTTP exporter (SPEC §16, §6, §8).

The real ``OTLPSpanExporter`` (``opentelemetry-exporter-otlp-proto-http``) behind a real
``BatchSpanProcessor`` posts to a loopback receiver that decodes with ``opentelemetry-proto``,
as a Collector does. Both clients, plain and gzip-compressed exports; a sentinel API key and
secret default/session headers are planted, and the bytes that crossed the wire are searched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import composio
from composio import NotFoundError
from composio.testing import Fault, LocalServer
from tests._drivers import Driver
from tests._otlp import Collector, running_collector
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import assert_no_secret

TOOLS = "/api/v3/tools"
TENANT_SECRET = "tenant-secret-3d9a61f0"
USER_SECRET = "user-secret-b27c04e5"


@pytest.fixture
def collector() -> Iterator[Collector]:
    with running_collector() as c:
        yield c


def _value(value: AnyValue) -> Any:
    return getattr(value, value.WhichOneof("value"))


def _attributes(span: Span) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in span.attributes}


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_otlp_exporter_delivers_each_attempts_span_and_no_secret(
    driver: Driver,
    sentinel_server: LocalServer,
    collector: Collector,
    compression: Compression,
) -> None:
    provider = TracerProvider()
    exporter = OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces", compression=compression)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    try:
        client = driver.client(
            api_key=SENTINEL_KEY,
            base_url=sentinel_server.url,
            allow_tracking=False,
            allow_tracing=True,
            tracer_provider=provider,
            default_headers={"x-tenant-token": TENANT_SECRET},
        )
        session = client.create_session(headers={"x-user-secret": USER_SECRET})
        sentinel_server.fail_next(TOOLS, [Fault(503, headers={"retry-after-ms": "0"})])
        list(session.tools.list(search="needle-private"))  # a 503, then a retry that succeeds
        sentinel_server.fail_next(TOOLS, [Fault(404)])
        with pytest.raises(NotFoundError):
            list(session.tools.list())
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()

    posts = collector.posts("/v1/traces")
    assert posts, "the exporter posted nothing to /v1/traces"
    for headers, _ in posts:
        assert headers["content-type"] == "application/x-protobuf"
        assert headers.get("content-encoding") == (
            "gzip" if compression is Compression.Gzip else None
        )

    exported = collector.spans()
    assert {(scope.name, scope.version) for scope, _ in exported} == {
        ("composio", composio.__version__)
    }
    spans = sorted((s for _, s in exported), key=lambda s: s.start_time_unix_nano)
    assert [(s.name, s.kind) for s in spans] == [("GET", Span.SPAN_KIND_CLIENT)] * 3
    first, retry, missing = (_attributes(s) for s in spans)
    port = urlsplit(sentinel_server.url).port
    attempts = [r for r in sentinel_server.requests if r.path.endswith("/tools")]
    assert len(attempts) == 3
    for attrs, attempt in zip((first, retry, missing), attempts, strict=True):
        assert attrs["http.request.method"] == "GET"
        assert attrs["composio.operation"] == "tools.list"
        assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", port)
        assert attrs["url.full"].partition("?")[0] == sentinel_server.url + attempt.path
    assert "search=***" in first["url.full"] and "search=***" in retry["url.full"]
    assert (first["http.response.status_code"], first["error.type"]) == (503, "503")
    assert "http.request.resend_count" not in first
    assert (retry["http.response.status_code"], retry["http.request.resend_count"]) == (200, 1)
    assert "error.type" not in retry
    assert (missing["http.response.status_code"], missing["error.type"]) == (404, "404")
    statuses = [s.status.code for s in spans]
    assert statuses == [
        Status.STATUS_CODE_ERROR,
        Status.STATUS_CODE_UNSET,
        Status.STATUS_CODE_ERROR,
    ]

    # They are this call's spans: each attempt's traceparent names the span that arrived.
    sent = [(r.header("traceparent") or "").split("-")[1:3] for r in attempts]
    assert sent == [[s.trace_id.hex(), s.span_id.hex()] for s in spans]

    # No secret in any byte that crossed the wire, compressed or not, headers included.
    wire = [
        f"{headers}\n{body.decode('latin-1')}"
        for headers, body in [*collector.receiver.received, *posts]
    ]
    assert any("search=***" in text for text in wire)  # the search below reads span payloads
    for secret in (SENTINEL_KEY, TENANT_SECRET, USER_SECRET, "needle-private"):
        assert_no_secret(secret, *wire)
