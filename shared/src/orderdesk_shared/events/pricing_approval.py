"""Events pricing-approval records."""

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event, WireModel
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.serviceability import SiteQualification


class PriceComponent(WireModel):
    """One catalogue price of an item (TMF620 productOfferingPrice): its id is what billing codes map."""

    id: str
    kind: str  # "recurring" | "oneTime"
    amount: Decimal


class PricedItem(WireModel):
    item_id: str
    list_mrc: Decimal
    net_mrc: Decimal
    nrc: Decimal
    discount_percent: Decimal
    term_months: int
    price_components: list[PriceComponent] = Field(default_factory=list)


class Pricing(WireModel):
    items: list[PricedItem]
    mrc_total: Decimal
    nrc_total: Decimal
    total_contract_value: Decimal


class ApprovalRequirement(WireModel):
    role: str
    reason: str


class OrderPriced(Event):
    """The order was priced and the approvals it needs were decided."""

    event_type: ClassVar[str] = "com.orderdesk.order.priced.v1"
    topic: ClassVar[str] = "orders.priced"

    order: ProductOrder
    sites: list[SiteQualification]
    pricing: Pricing
    required_approvals: list[ApprovalRequirement]


class ApprovalGranted(WireModel):
    role: str
    approver: str
    comment: str | None = None


class OrderApproved(Event):
    """Every required approval was granted (or none was needed)."""

    event_type: ClassVar[str] = "com.orderdesk.order.approved.v1"
    topic: ClassVar[str] = "orders.approved"

    order: ProductOrder
    sites: list[SiteQualification]
    pricing: Pricing
    approvals: list[ApprovalGranted]
