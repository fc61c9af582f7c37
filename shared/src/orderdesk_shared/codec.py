"""CloudEvents 1.0 in Kafka binary content mode: attributes in `ce_*` headers, the event JSON as value.

Written out here rather than with the CloudEvents SDK: every record of every consumer passes through these two
functions, and the SDK's generic attribute handling cost more CPU than the handlers' own work.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orderdesk_shared.events.base import Fact
from orderdesk_shared.ids import new_id

CONTENT_TYPE = "application/json"
SPEC_VERSION = "1.0"
_CE_PREFIX = "ce_"
_CONTENT_TYPE_HEADER = "content-type"
_REQUIRED = ("id", "source", "type", "specversion")
_TRACE_HEADERS = ("traceparent", "tracestate")


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
    # The event's data as it came, JSON by the record's content type: `model.model_validate_json(payload)`.
    payload: bytes
    time: datetime | None = None
    # The record's W3C `traceparent`/`tracestate` headers, read in the same pass over its headers.
    trace_carrier: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Any:
        """The data parsed: JSON when it is JSON, else its text."""
        try:
            return json.loads(self.payload) if self.payload else None
        except (ValueError, UnicodeDecodeError):
            return self.payload.decode(errors="replace")


def encode(event: Fact, *, source: str, event_id: str | None = None) -> KafkaRecord:
    """Turn an event into a binary-mode Kafka record keyed by its subject (an order id, a source id)."""
    subject = event.subject
    headers = {
        "ce_id": event_id or new_id(),
        "ce_type": event.event_type,
        "ce_source": source,
        "ce_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "ce_subject": subject,
        _CONTENT_TYPE_HEADER: CONTENT_TYPE,
        "ce_specversion": SPEC_VERSION,
    }
    return KafkaRecord(topic=event.topic, key=subject, value=event.to_json_bytes(), headers=headers)


def decode(*, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> IncomingEvent:
    """Read a binary-mode record; raise InvalidEnvelope when it is not a CloudEvent."""
    attributes: dict[str, str] = {}
    trace_carrier: dict[str, str] = {}
    try:
        for name, raw in headers:
            if name in _TRACE_HEADERS:
                trace_carrier[name] = raw.decode(errors="replace")
                continue
            name = name.lower()
            if name.startswith(_CE_PREFIX):
                attributes[name[len(_CE_PREFIX) :]] = raw.decode()
            elif name == _CONTENT_TYPE_HEADER:
                attributes["datacontenttype"] = raw.decode()
    except UnicodeDecodeError as error:
        raise InvalidEnvelope(f"not a CloudEvents binary-mode record: a header is not UTF-8 ({error})") from error
    if missing := [name for name in _REQUIRED if not attributes.get(name)]:
        raise InvalidEnvelope(f"not a CloudEvents binary-mode record: no {', '.join(missing)}")
    if attributes["specversion"] != SPEC_VERSION:
        raise InvalidEnvelope(f"not a CloudEvents {SPEC_VERSION} record: specversion {attributes['specversion']!r}")
    return IncomingEvent(
        id=attributes["id"],
        type=attributes["type"],
        source=attributes["source"],
        subject=attributes.get("subject"),
        payload=value or b"",
        time=_time(attributes.get("time")),
        trace_carrier=trace_carrier,
    )


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidEnvelope(f"not a CloudEvents binary-mode record: time {text!r} is not RFC 3339") from error
