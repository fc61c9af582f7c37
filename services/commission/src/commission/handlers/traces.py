"""Which trace what a handler emits belongs to, when it is not the trace of the event being handled."""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from commission import repository
from orderdesk_shared.telemetry import context_from_carrier


@dataclass(frozen=True)
class KeptTrace:
    """An earlier sale's trace context, read with the sale, for `order_step`."""

    sale: repository.Sale

    async def order_trace(self, order_id: str) -> Context | None:
        return context_from_carrier(self.sale.trace_carrier) if self.sale.trace_carrier else None


@contextlib.contextmanager
def in_trace(trace_context: Context) -> Iterator[None]:
    """Make `trace_context` current: what is emitted in the block belongs to that trace."""
    token = otel_context.attach(trace_context)
    try:
        yield
    finally:
        otel_context.detach(token)
