"""A loopback OTLP/HTTP endpoint standing in for an OpenTelemetry Collector (SPEC §16).

The HTTP side is the tests' webhook receiver (``http.server`` in a thread, every POST recorded
with its path before the 200 goes back, so a returned ``force_flush`` finds it recorded). What
arrived is decoded with the Collector's own schema, ``opentelemetry-proto``, so a test reads
exactly what a Collector would, and can also search the undecoded bytes for secrets.
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.integration._webhook_receiver import Receiver, running_receiver

__all__ = ["Collector", "running_collector"]

_DECODERS = {"gzip": gzip.decompress, "deflate": zlib.decompress}


@dataclass
class Collector:
    receiver: Receiver
    #: What ``OTEL_EXPORTER_OTLP_ENDPOINT`` would hold: the exporters append ``/v1/traces``...
    endpoint: str

    def posts(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        """Headers and body (uncompressed, as the exporter serialised it) of each POST to
        ``path``."""
        with self.receiver.lock:
            arrived = list(zip(self.receiver.paths, self.receiver.received, strict=True))
        out = []
        for got, (headers, body) in arrived:
            if got == path:
                decode = _DECODERS.get(headers.get("content-encoding", ""), bytes)
                out.append((headers, decode(body)))
        return out

    def spans(self) -> list[tuple[InstrumentationScope, Span]]:
        """Every span exported to ``/v1/traces``, with its instrumentation scope."""
        found = []
        for _, body in self.posts("/v1/traces"):
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    found.extend((scope_spans.scope, s) for s in scope_spans.spans)
        return found

    def metrics(self) -> list[Metric]:
        """Every metric exported to ``/v1/metrics``."""
        found = []
        for _, body in self.posts("/v1/metrics"):
            request = ExportMetricsServiceRequest.FromString(body)
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    found.extend(scope_metrics.metrics)
        return found


@contextlib.contextmanager
def running_collector() -> Iterator[Collector]:
    with running_receiver() as receiver:
        parts = urlsplit(receiver.url)
        yield Collector(receiver, f"{parts.scheme}://{parts.netloc}")
