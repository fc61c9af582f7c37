"""Events fulfillment-handoff records: the hand-off package Operations consumes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event, WireModel
from orderdesk_shared.events.pricing_approval import ApprovedOrderEvent


class ProcessingPath(StrEnum):
    STANDARD = "standard"
    COMPLEX_ENGINEERING = "complex-engineering"
    CONSTRUCTION = "construction"
    OFF_NET = "off-net"
    CUSTOM = "custom"


class BillingLine(WireModel):
    """The code the market's billing system bills one price component of an item with."""

    item_id: str
    price_component: str
    billing_system: str
    billing_code: str
    market: str | None = None
    # The client's account in that billing system the line is billed on (the order's `accounts`, opened by intake).
    billing_account: str | None = None


class EngineeringNote(WireModel):
    """Something Operations must design, confirm or order before installing (an item's, or the order's)."""

    item_id: str | None = None
    topic: str
    note: str


class OrderHandedOff(ApprovedOrderEvent):
    """The complete hand-off package was published for Operations."""

    event_type: ClassVar[str] = "com.orderdesk.order.handed-off.v1"
    topic: ClassVar[str] = "orders.handed-off"

    processing_path: ProcessingPath
    billing_lines: list[BillingLine]
    engineering_notes: list[EngineeringNote] = Field(default_factory=list)
    # The day the billing codes were chosen for: the requested completion date, else the hand-off day.
    billing_date: date | None = None
    # The version handed off before, which this one changes: Operations works to this version from now on.
    replaces_version: int | None = None


class HandOffCancelled(Event):
    """Operations is asked to stop the work on a handed-off order: the order was cancelled before installation.

    Operations answers on ops.order-status.v1: `cancelled` once the work is stopped, or `installed` if too late.
    """

    event_type: ClassVar[str] = "com.orderdesk.order.hand-off-cancelled.v1"
    topic: ClassVar[str] = "orders.handed-off"

    reason: str
    requested_by: str | None = None
