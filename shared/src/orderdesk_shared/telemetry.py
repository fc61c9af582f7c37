"""OpenTelemetry set-up and the helpers that carry a trace across Kafka records."""

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor

TRACER_NAME = "orderdesk"
# Span attributes that may hold a request's query string, by the old and the stable HTTP conventions.
_URL_ATTRIBUTES = ("http.url", "http.target", "url.full")
_QUERY_ATTRIBUTE = "url.query"

T = TypeVar("T")


def configure_tracing(service_name: str, *, extra_processors: Iterable[SpanProcessor] = ()) -> TracerProvider:
    """Install a tracer provider for this process; export OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider


def without_query_string(span: trace.Span, _scope: dict) -> None:
    """A server request hook: drop the query string from the span's URL attributes.

    Queries carry search terms (names, emails, account numbers); traces are kept and shared far more
    widely than the data itself. The route template in the span name still says what was asked.
    """
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        if isinstance(value := attributes.get(name), str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if attributes.get(_QUERY_ATTRIBUTE):
        span.set_attribute(_QUERY_ATTRIBUTE, "")


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


@dataclass(frozen=True, slots=True)
class Traced(Generic[T]):
    """An item and the trace context it was handed over in, for work done on it later in a batch."""

    item: T
    trace_context: Context

    @classmethod
    def here(cls, item: T) -> "Traced[T]":
        """`item` in the current trace context."""
        return cls(item, otel_context.get_current())


@contextlib.contextmanager
def batch_span(name: str, batch: Sequence[Traced]) -> Iterator[trace.Span]:
    """The span of work shared by several traces: a root of its own, linked to the trace of every item."""
    links = [trace.Link(trace.get_current_span(traced.trace_context).get_span_context()) for traced in batch]
    with tracer().start_as_current_span(name, context=Context(), links=links) as span:
        span.set_attribute("orderdesk.batch_size", len(batch))
        yield span


def context_from_headers(headers: Iterable[tuple[str, bytes]]) -> Context:
    """The trace context a record carries in its W3C `traceparent`/`tracestate` headers."""
    carrier = {name: value.decode(errors="replace") for name, value in headers if name in ("traceparent", "tracestate")}
    return propagate.extract(carrier)


def context_from_carrier(carrier: dict[str, str]) -> Context:
    return propagate.extract(carrier)


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
