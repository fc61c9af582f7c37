import httpx
from fastapi import FastAPI
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, StatusCode

from orderdesk_shared.app import WITHOUT_NATIVE_TELEMETRY
from orderdesk_shared.telemetry import (
    ORDER_ID,
    ORDER_VERSION,
    REQUEST_ORDER_ID,
    ServerSpans,
    current_trace_headers,
    order_step,
    tracer,
)


async def test_search_terms_in_a_query_string_stay_out_of_the_server_span(recorded_spans):
    app = FastAPI(telemetry=WITHOUT_NATIVE_TELEMETRY)

    @app.get("/orders")
    async def search(q: str = "") -> dict:
        return {"q": q}

    app.add_middleware(ServerSpans)
    recorded_spans.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.get("/orders", params={"q": "jane.doe@example.com"})

    assert response.json() == {"q": "jane.doe@example.com"}
    [span] = recorded_spans.get_finished_spans()
    assert (span.name, span.kind) == ("GET /orders", SpanKind.SERVER)
    assert span.attributes["url.path"] == "/orders"
    assert span.attributes["http.response.status_code"] == 200
    assert not any("jane.doe" in str(value) for value in span.attributes.values())


async def test_a_request_joins_the_trace_its_caller_names_and_excluded_paths_make_no_span(recorded_spans):
    app = FastAPI(telemetry=WITHOUT_NATIVE_TELEMETRY)

    @app.post("/tmf/productOrder")
    async def create() -> dict:
        return {"traceparent": current_trace_headers()["traceparent"]}

    @app.get("/healthz")
    async def healthz() -> dict:
        return {}

    app.add_middleware(ServerSpans, excluded_paths=("/healthz",))
    recorded_spans.clear()
    with tracer().start_as_current_span("the caller") as caller:
        headers = current_trace_headers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        answered = (await http.post("/tmf/productOrder", headers=headers)).json()
        await http.get("/healthz")
        await http.get("/nowhere")

    spans = {span.name: span for span in recorded_spans.get_finished_spans() if span.name != "the caller"}
    assert set(spans) == {"POST /tmf/productOrder", "GET"}, "an unrouted request is named by its method alone"
    request = spans["POST /tmf/productOrder"]
    assert request.parent.span_id == caller.get_span_context().span_id
    assert answered["traceparent"].split("-")[1:3] == [_trace_id(request), format(request.context.span_id, "016x")]
    assert spans["GET"].attributes["http.response.status_code"] == 404


async def test_a_request_that_fails_is_an_error_span(recorded_spans):
    app = FastAPI(telemetry=WITHOUT_NATIVE_TELEMETRY)

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("broken")

    app.add_middleware(ServerSpans)
    recorded_spans.clear()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
    ) as http:
        assert (await http.get("/boom")).status_code == 500

    [span] = recorded_spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 500
    assert [event.name for event in span.events] == ["exception"]


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
    app = FastAPI(telemetry=WITHOUT_NATIVE_TELEMETRY)

    @app.get("/orders/{order_id}")
    async def order(order_id: str) -> dict:
        return {"id": order_id}

    @app.get("/orders")
    async def orders() -> list:
        return []

    app.add_middleware(ServerSpans)
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
