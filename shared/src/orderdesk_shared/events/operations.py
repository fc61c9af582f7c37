"""What Operations reports back about a handed-off order (produced outside OrderDesk)."""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from orderdesk_shared.events.base import Event


class OpsStatus(StrEnum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    INSTALLED = "installed"
    FAILED = "failed"


class OpsOrderStatusChanged(Event):
    """Operations moved the order along (or failed it) in fulfilment."""

    event_type: ClassVar[str] = "com.orderdesk.ops.order-status.v1"
    topic: ClassVar[str] = "ops.order-status.v1"

    status: OpsStatus
    effective_date: date | None = None
    reason: str | None = None
