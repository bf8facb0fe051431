"""Examples that export over OTLP find a Collector: a loopback OTLP/HTTP receiver, named by
the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` the examples read, so they stay user code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_SIGNALS = ("/v1/traces", "/v1/metrics")


@pytest.fixture(autouse=True)
def _otlp_collector(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """For an example that sends a signal to the Collector, the signal must arrive and decode:
    an exporter that failed quietly (it only logs) would otherwise pass."""
    params = getattr(request.node, "callspec", None)
    code = params.params.get("code", "") if params is not None else ""
    signals = [s for s in _SIGNALS if s in code]
    if not signals or "opentelemetry.exporter.otlp" not in code:
        yield
        return
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    from tests._otlp import running_collector

    with running_collector() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        yield
        decoded = {"/v1/traces": collector.spans, "/v1/metrics": collector.metrics}
        for signal in signals:
            assert decoded[signal](), f"the example exported nothing to {signal}"
