"""OpenTelemetry set-up, the helpers that carry a trace across Kafka records, and the step that keeps a person's or
a watchdog's work on an order in the order's one trace."""

import contextlib
import functools
import os
import re
from collections.abc import AsyncIterator, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACER_NAME = "orderdesk"
# The request headers a trace context is read from (W3C trace context and baggage), all a server span needs of them.
_PROPAGATED_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})

# What an SRE holding an order searches by: on every span of the order's own trace that handles the order.
ORDER_ID = "orderdesk.order.id"
ORDER_VERSION = "orderdesk.order.version"
# The order a request asked about or acted on, on its server span: a request is a trace of its own (a step it
# takes joins the order's trace by a link), and a search by the order id finds the order's one trace only.
REQUEST_ORDER_ID = "orderdesk.request.order.id"

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


class ServerSpans:
    """One server span per HTTP request, named by its method and route template, in the trace the caller's W3C
    `traceparent` names (a new one when it names none): the work a request does and the events it emits join it.

    Pure ASGI and lean: a span, its route, its status; no receive/send spans, no metrics (Prometheus keeps those).
    The span leaves out the query string, as queries carry search terms (names, emails, account numbers) and
    traces are kept and shared far more widely than the data itself. A route about one order (an `order_id` path
    parameter) names the order (REQUEST_ORDER_ID), so that an SRE holding the id finds the requests made about it.
    """

    def __init__(self, app: ASGIApp, *, excluded_paths: Collection[str] = ()) -> None:
        self._app = app
        self._excluded = frozenset(excluded_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._excluded:
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _PROPAGATED_HEADERS
        }
        parent = propagate.extract(carrier) if carrier else Context()
        status_code = 500

        async def noted_send(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        with tracer().start_as_current_span(
            method,
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.scheme": scope["scheme"], "url.path": scope["path"]},
            record_exception=True,
            set_status_on_exception=True,
        ) as span:
            try:
                await self._app(scope, receive, noted_send)
            finally:
                if (route := getattr(scope.get("route"), "path", None)) is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                if (order_id := scope.get("path_params", {}).get("order_id")) is not None:
                    span.set_attribute(REQUEST_ORDER_ID, order_id)
                span.set_attribute("http.response.status_code", status_code)
                if status_code >= 500:
                    span.set_status(trace.StatusCode.ERROR)


@functools.cache
def tracer() -> trace.Tracer:
    """The services' tracer: made once, as making one costs more than the span it would start."""
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


# Records and outbox rows carry W3C trace context only (no baggage): read and written by its propagator itself
# rather than the global composite one, which every record of every consumer went through at twice the cost.
_TRACE_CONTEXT = TraceContextTextMapPropagator()


# What nearly every record carries: a version-00 traceparent, no tracestate.
_PLAIN_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_INVALID_TRACE_ID, _INVALID_SPAN_ID = "0" * 32, "0" * 16


def context_from_carrier(carrier: dict[str, str]) -> Context:
    """The trace context a W3C `traceparent`/`tracestate` carrier names (an empty one when it names none).

    A plain traceparent is read here, at half the cost of the propagator's general reading (every record of every
    consumer is read so); anything else, the propagator reads.
    """
    traceparent = carrier.get("traceparent")
    plain = _PLAIN_TRACEPARENT.fullmatch(traceparent) if traceparent and "tracestate" not in carrier else None
    if plain is None or plain[1] == _INVALID_TRACE_ID or plain[2] == _INVALID_SPAN_ID:
        return _TRACE_CONTEXT.extract(carrier)
    remote = trace.SpanContext(
        int(plain[1], 16), int(plain[2], 16), is_remote=True, trace_flags=trace.TraceFlags(int(plain[3], 16))
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(remote), Context())


def trace_carrier(context: Context | None = None) -> dict[str, str]:
    """The W3C `traceparent`/`tracestate` of `context` (the current one when None), as a record carries them."""
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier, context=context)
    return carrier


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def order_attributes(order_id: str, version: int | None = None) -> dict[str, str | int]:
    """The span attributes naming an order (and its version, when known)."""
    return {ORDER_ID: order_id} if version is None else {ORDER_ID: order_id, ORDER_VERSION: version}


class KeepsOrderTraces(Protocol):
    """What `order_step` needs of a unit of work: the trace context a service keeps for an order."""

    async def order_trace(self, order_id: str) -> Context | None: ...


@contextlib.asynccontextmanager
async def order_step(
    uow: KeepsOrderTraces, order_id: str, name: str, *, version: int | None = None
) -> AsyncIterator[trace.Span]:
    """A step a person or a watchdog takes on an order, as a span in the order's own trace.

    The span's parent is the trace context the service keeps for the order, so the events emitted in the
    block carry the order's trace, not the request's; a link leads from it to the span that caused it (the
    HTTP request, which names the order as the one it acted on). An order the service kept no context for (one
    from before it kept them) takes the current trace, which is then kept as the order's.
    """
    cause = trace.get_current_span()
    cause_context = cause.get_span_context()
    if cause.is_recording() and REQUEST_ORDER_ID not in (getattr(cause, "attributes", None) or {}):
        # A request that steps into several orders (a billing code releasing them) is named after the first.
        cause.set_attribute(REQUEST_ORDER_ID, order_id)
    with tracer().start_as_current_span(
        name,
        context=await uow.order_trace(order_id),
        links=[trace.Link(cause_context)] if cause_context.is_valid else (),
        attributes=order_attributes(order_id, version),
    ) as span:
        yield span
