"""CloudEvents 1.0 in Kafka binary content mode: attributes in `ce_*` headers, the event JSON as value."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.v1.event import CloudEvent

from orderdesk_shared.events.base import Fact

CONTENT_TYPE = "application/json"


class InvalidEnvelope(ValueError):
    """The record is not a readable CloudEvent."""


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What goes onto (or came off) a topic: key, value and string headers."""

    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A decoded CloudEvent whose data is not yet validated against a model."""

    id: str
    type: str
    source: str
    subject: str | None
    data: Any
    time: datetime | None = None


def encode(event: Fact, *, source: str, event_id: str | None = None) -> KafkaRecord:
    """Turn an event into a binary-mode Kafka record keyed by its subject (an order id, a source id)."""
    cloud_event = CloudEvent(
        attributes={
            "id": event_id or str(uuid.uuid4()),
            "type": event.event_type,
            "source": source,
            "time": datetime.now(UTC),
            "subject": event.subject,
            "datacontenttype": CONTENT_TYPE,
        },
        data=event.to_json_bytes(),
    )
    message = kafka.to_binary_event(cloud_event, key_mapper=lambda _: event.subject)
    headers = {name: value.decode() for name, value in message.headers.items()}
    return KafkaRecord(topic=event.topic, key=event.subject, value=message.value, headers=headers)


def decode(*, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> IncomingEvent:
    """Read a binary-mode record; raise InvalidEnvelope when it is not a CloudEvent."""
    try:
        message = kafka.KafkaMessage(headers=dict(headers), key=key, value=value or b"")
        cloud_event = kafka.from_binary_event(message)
    except (CloudEventValidationError, UnicodeDecodeError, ValueError) as error:
        raise InvalidEnvelope(f"not a CloudEvents binary-mode record: {error}") from error
    return IncomingEvent(
        id=cloud_event.get_id(),
        type=cloud_event.get_type(),
        source=cloud_event.get_source(),
        subject=cloud_event.get_subject(),
        data=cloud_event.get_data(),
        time=cloud_event.get_time(),
    )
