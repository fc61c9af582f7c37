"""Events fulfillment-handoff records: the hand-off package Operations consumes."""

from enum import StrEnum
from typing import ClassVar

from orderdesk_shared.events.base import Event, WireModel
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import ApprovalGranted, Pricing
from orderdesk_shared.events.serviceability import SiteQualification


class ProcessingPath(StrEnum):
    STANDARD = "standard"
    COMPLEX_ENGINEERING = "complex-engineering"
    CONSTRUCTION = "construction"
    OFF_NET = "off-net"
    CUSTOM = "custom"


class BillingLine(WireModel):
    item_id: str
    price_component: str
    billing_system: str
    billing_code: str


class OrderHandedOff(Event):
    """The complete hand-off package was published for Operations."""

    event_type: ClassVar[str] = "com.orderdesk.order.handed-off.v1"
    topic: ClassVar[str] = "orders.handed-off"

    order: ProductOrder
    sites: list[SiteQualification]
    pricing: Pricing
    approvals: list[ApprovalGranted]
    processing_path: ProcessingPath
    billing_lines: list[BillingLine]
