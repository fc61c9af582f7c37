"""Tracing for tests: spans are recorded by the real SDK so trace propagation can be asserted."""

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orderdesk_shared.telemetry import configure_tracing


@pytest.fixture(scope="session", autouse=True)
def recorded_spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    configure_tracing("orderdesk-tests", extra_processors=[SimpleSpanProcessor(exporter)])
    return exporter
