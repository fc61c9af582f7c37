import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orderdesk_shared.telemetry import without_query_string


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
