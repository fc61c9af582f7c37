"""The record behind the event a handler is handling, for the handler to read (`current_delivery`): what a read
model keeps beside the event itself. The runtime sets it around each handler; `delivering` sets it for code that
feeds handlers records of its own (a read model's rebuild)."""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from aiokafka import ConsumerRecord

from orderdesk_shared.codec import IncomingEvent


@dataclass(frozen=True)
class Delivery:
    """The record behind the event a handler is handling: what a read model keeps beside the event itself."""

    message_id: str
    source: str
    time: datetime | None
    # The event's own topic, also when the record is an SRE's replay read from the service's replay topic.
    topic: str
    trace_id: str | None


delivery_in_this_task: ContextVar[Delivery | None] = ContextVar("current_delivery", default=None)


def current_delivery() -> Delivery | None:
    """The delivery being handled in this task, or None outside a handler."""
    return delivery_in_this_task.get()


@contextlib.contextmanager
def delivering(record: ConsumerRecord, incoming: IncomingEvent, *, topic: str | None = None) -> Iterator[Delivery]:
    """Make `record` the current delivery while its handler runs; `topic`: the event's own, when not the record's."""
    delivery = delivery_of(incoming, topic=topic or record.topic, traceparent=incoming.trace_carrier.get("traceparent"))
    token = delivery_in_this_task.set(delivery)
    try:
        yield delivery
    finally:
        delivery_in_this_task.reset(token)


def delivery_of(incoming: IncomingEvent, *, topic: str, traceparent: str | None) -> Delivery:
    trace_fields = (traceparent or "").split("-")
    return Delivery(
        message_id=incoming.id,
        source=incoming.source,
        time=incoming.time,
        topic=topic,
        trace_id=trace_fields[1] if len(trace_fields) == 4 else None,
    )
