"""A record's trace context reads as the W3C propagator reads it, whatever its traceparent holds."""

import pytest
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from orderdesk_shared.telemetry import context_from_carrier

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SPAN_ID = "b7ad6b7169203331"


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-01"},
        {"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-00"},
        {"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-01", "tracestate": "vendor=value"},
        {"traceparent": f"00-{'0' * 32}-{SPAN_ID}-01"},
        {"traceparent": f"00-{TRACE_ID}-{'0' * 16}-01"},
        {"traceparent": f"00-{TRACE_ID.upper()}-{SPAN_ID}-01"},
        {"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-01-extra"},
        {"traceparent": f"01-{TRACE_ID}-{SPAN_ID}-01-future"},
        {"traceparent": f"ff-{TRACE_ID}-{SPAN_ID}-01"},
        {"traceparent": "garbage"},
        {"traceparent": ""},
        {},
    ],
)
def test_a_carrier_names_the_span_the_propagator_finds_in_it(carrier):
    expected = TraceContextTextMapPropagator().extract(carrier)
    found = context_from_carrier(carrier)
    assert trace.get_current_span(found).get_span_context() == trace.get_current_span(expected).get_span_context()
    assert bool(dict(found)) == bool(dict(expected))  # no span at all where the propagator finds none
