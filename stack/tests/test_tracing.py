"""The stack's Jaeger: who exports to it and where the console links, and, run alone, it keeps the spans sent to
it, which JaegerQuery reads back as sent."""

import asyncio
import secrets
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from orderdesk_stack import jaeger_server
from orderdesk_stack.jaeger_server import JaegerServer
from orderdesk_stack.processes import LocalProcess, free_ports
from orderdesk_stack.services import service_named
from orderdesk_stack.stack import JAEGER, Stack
from orderdesk_stack.tracing import JaegerQuery


def test_with_jaeger_built_every_service_exports_to_it_and_the_console_links_there(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    built = tmp_path / "jaeger"
    built.touch()
    monkeypatch.setattr(jaeger_server, "binary_path", lambda: built)
    stack = Stack(run_dir=tmp_path / "run", tracing=True, jaeger_otlp_port=24318, jaeger_query_port=26686)

    assert stack.jaeger.process().name == JAEGER and stack.jaeger.process().command[0] == str(built)
    assert stack.jaeger_url == "http://127.0.0.1:26686"
    intake, console = (stack.service_program(service_named(name)).env for name in ("intake", "console"))
    assert intake["OTEL_EXPORTER_OTLP_ENDPOINT"] == console["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:24318"
    assert console["CONSOLE_TRACE_URL_TEMPLATE"] == "http://127.0.0.1:26686/trace/{trace_id}"
    assert "CONSOLE_TRACE_URL_TEMPLATE" not in intake


def test_without_jaeger_no_service_exports(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setattr(jaeger_server, "binary_path", lambda: tmp_path / "never-built" / "jaeger")
    for stack in (Stack(run_dir=tmp_path / "run", tracing=True), Stack(run_dir=tmp_path / "run", tracing=False)):
        assert stack.jaeger is None and stack.jaeger_url is None
        env = stack.service_program(service_named("console")).env
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in env and "CONSOLE_TRACE_URL_TEMPLATE" not in env


@pytest.fixture
def jaeger(tmp_path: Path):
    if not jaeger_server.binary_path().is_file():
        pytest.fail(jaeger_server.SKIPPED)
    otlp_port, query_port = free_ports(2)
    server = JaegerServer(tmp_path / "jaeger", otlp_port=otlp_port, query_port=query_port)
    server.write_config()
    log_path = tmp_path / "jaeger.log"
    process = LocalProcess(server.process(), log_path=log_path, cwd=tmp_path)
    process.start()
    try:
        server.wait_ready(log_path=log_path, still_running=process.is_running)
        yield server
    finally:
        process.stop()


def export(endpoint: str, service: str, spans: list[tuple[str, dict, list[trace.Link]]]) -> list[trace.SpanContext]:
    """Send `spans` (name, attributes, links), each a child of the first, as `service`; their contexts."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
    tracer = provider.get_tracer("test")
    contexts = []
    with tracer.start_as_current_span(spans[0][0], attributes=spans[0][1], links=spans[0][2]) as root:
        contexts.append(root.get_span_context())
        for name, attributes, links in spans[1:]:
            with tracer.start_as_current_span(name, attributes=attributes, links=links) as child:
                contexts.append(child.get_span_context())
    provider.shutdown()
    return contexts


@pytest.mark.integration
async def test_jaeger_keeps_the_spans_it_receives_and_finds_their_trace_by_tag(jaeger: JaegerServer) -> None:
    tag = f"order-{secrets.token_hex(4)}"
    [earlier] = await asyncio.to_thread(export, jaeger.otlp_endpoint, "intake", [("POST /orders", {}, [])])
    root, child = await asyncio.to_thread(
        export,
        jaeger.otlp_endpoint,
        "commission",
        [
            ("orders.handed-off process", {"orderdesk.order.id": tag, "orderdesk.order.version": 2}, []),
            ("INSERT commission.accrual", {"db.system": "postgresql"}, [trace.Link(earlier)]),
        ],
    )
    trace_id = format(root.trace_id, "032x")

    async with JaegerQuery(jaeger.url) as query:
        spans = await query.wait_for_spans(trace_id, lambda spans: len(spans) == 2)
        assert await query.trace_ids_for_order(tag) == {trace_id}
        assert await query.trace_ids_for_order("no-such-order") == set()
        assert await query.services() == {"intake", "commission"}
        assert await query.trace(secrets.token_hex(16)) == []

    by_name = {span["name"]: span for span in spans}
    process, insert = by_name["orders.handed-off process"], by_name["INSERT commission.accrual"]
    assert (process["service"], process["parent_span_id"]) == ("commission", None)
    assert process["attributes"] == {"orderdesk.order.id": tag, "orderdesk.order.version": 2}
    assert insert["parent_span_id"] == format(root.span_id, "016x") == process["span_id"]
    assert insert["span_id"] == format(child.span_id, "016x")
    assert [(link["trace_id"], link["span_id"]) for link in insert["links"]] == [
        (format(earlier.trace_id, "032x"), format(earlier.span_id, "016x"))
    ]
