"""What Operations reports back about a handed-off order (produced outside OrderDesk)."""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event


class OpsStatus(StrEnum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    # A new installation date, after a failed attempt or a date that could not be kept.
    RESCHEDULED = "rescheduled"
    INSTALLED = "installed"
    FAILED = "failed"
    # Operations stopped the work on the order (or items) at OrderDesk's request: the cancel took effect.
    CANCELLED = "cancelled"


class OpsOrderStatusChanged(Event):
    """Operations moved the order along (or failed it) in fulfillment."""

    event_type: ClassVar[str] = "com.orderdesk.ops.order-status.v1"
    topic: ClassVar[str] = "ops.order-status.v1"

    status: OpsStatus
    effective_date: date | None = None
    reason: str | None = None
    # The order items the report is about; empty: every item of the order.
    item_ids: list[str] = Field(default_factory=list)
    # Who in Operations reported it, when it came through fulfillment-handoff's API.
    reported_by: str | None = None
