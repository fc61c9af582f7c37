import httpx
from fastapi import Depends, FastAPI
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from orderdesk_shared.telemetry import (
    ORDER_ID,
    ORDER_VERSION,
    REQUEST_ORDER_ID,
    current_trace_headers,
    name_the_order,
    order_step,
    tracer,
    without_query_string,
)


async def test_search_terms_in_a_query_string_stay_out_of_the_server_span():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.get("/orders")
    async def search(q: str = "") -> dict:
        return {"q": q}

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, exclude_spans=["receive", "send"], server_request_hook=without_query_string
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.get("/orders", params={"q": "jane.doe@example.com"})

    assert response.json() == {"q": "jane.doe@example.com"}
    [span] = exporter.get_finished_spans()
    assert span.name == "GET /orders"
    assert span.attributes["http.url"] == "http://test/orders"
    assert not any("jane.doe" in str(value) for value in span.attributes.values())


def _trace_id(span) -> str:
    return format(span.context.trace_id, "032x")


async def test_a_step_on_an_order_joins_the_order_trace_and_links_to_the_request(recorded_spans):
    recorded_spans.clear()
    with tracer().start_as_current_span("the order's intake") as first:
        kept = propagate.extract(current_trace_headers())
    uow = _KeptTraces({"PO-1": kept})

    with tracer().start_as_current_span("POST /approvals/{request_id}/approve", kind=SpanKind.SERVER) as request:
        async with order_step(uow, "PO-1", "grant approval", version=2):
            emitted_with = current_trace_headers()["traceparent"]
    recorded = {span.name: span for span in recorded_spans.get_finished_spans()}

    step = recorded["grant approval"]
    assert _trace_id(step) == _trace_id(first) != _trace_id(request)
    assert step.parent.span_id == first.get_span_context().span_id
    assert emitted_with.split("-")[1] == _trace_id(first), "events emitted in the step carry the order's trace"
    assert [link.context.span_id for link in step.links] == [request.get_span_context().span_id]
    assert dict(step.attributes) == {ORDER_ID: "PO-1", ORDER_VERSION: 2}
    request_span = recorded["POST /approvals/{request_id}/approve"]
    assert ORDER_ID not in request_span.attributes, "a search by the order id finds the order's trace alone"
    assert request_span.attributes[REQUEST_ORDER_ID] == "PO-1"


async def test_a_step_on_an_order_kept_by_nobody_stays_in_the_request_trace(recorded_spans):
    recorded_spans.clear()
    with tracer().start_as_current_span("POST /cancelProductOrder", kind=SpanKind.SERVER) as request:
        async with order_step(_KeptTraces({}), "PO-OLD", "cancel order"):
            pass
    step = next(span for span in recorded_spans.get_finished_spans() if span.name == "cancel order")
    assert step.parent.span_id == request.get_span_context().span_id
    assert step.attributes[ORDER_ID] == "PO-OLD"


async def test_the_server_span_of_a_route_about_an_order_names_it_as_the_order_asked_about(recorded_spans):
    app = FastAPI(dependencies=[Depends(name_the_order)])

    @app.get("/orders/{order_id}")
    async def order(order_id: str) -> dict:
        return {"id": order_id}

    @app.get("/orders")
    async def orders() -> list:
        return []

    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"])
    recorded_spans.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        await http.get("/orders/PO-7")
        await http.get("/orders")

    spans = {span.name: span for span in recorded_spans.get_finished_spans()}
    assert spans["GET /orders/{order_id}"].attributes[REQUEST_ORDER_ID] == "PO-7"
    assert REQUEST_ORDER_ID not in spans["GET /orders"].attributes


class _KeptTraces:
    """The trace contexts a service kept for its orders, as a unit of work reads them."""

    def __init__(self, kept: dict[str, Context]) -> None:
        self._kept = kept

    async def order_trace(self, order_id: str) -> Context | None:
        return self._kept.get(order_id)
