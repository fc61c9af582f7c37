"""Fallout: any stage's record that an order left the happy path, or came back to it."""

from enum import StrEnum
from typing import ClassVar

from orderdesk_shared.events.base import Event, WireModel
from orderdesk_shared.events.order import Stage


class FalloutKind(StrEnum):
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    RELEASED = "released"
    JEOPARDY = "jeopardy"
    ESCALATED = "escalated"
    # The cancel took effect: the order was never handed off, or Operations confirmed it (final).
    CANCELLED = "cancelled"
    # A cancel of an order already handed off was accepted: it waits for Operations to stop the work.
    CANCELLATION_REQUESTED = "cancellation-requested"


class Finding(WireModel):
    """One reason, where it is on the order, and how the rep can fix it."""

    reason_code: str
    field_path: str | None = None
    message: str
    fix: str | None = None


class OrderFallout(Event):
    """An order was rejected, held, released, put in jeopardy, escalated, or cancelled (or its cancel requested)."""

    event_type: ClassVar[str] = "com.orderdesk.order.fallout.v1"
    topic: ClassVar[str] = "orders.fallout"

    stage: Stage
    kind: FalloutKind
    findings: list[Finding]
    # Who corrected the order, when this fallout is intake's verdict on a correction (its PATCH).
    corrected_by: str | None = None
