"""Events pricing-approval records."""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event, Fact, WireModel
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.serviceability import SiteQualification


class PriceComponent(WireModel):
    """One catalogue price of an item (TMF620 productOfferingPrice): its id is what billing codes map."""

    id: str
    kind: str  # "recurring" | "oneTime"
    amount: Decimal


class PricedItem(WireModel):
    """An item's prices for its quantity: `list_mrc` after the term discount, `nrc` the net one-time charge."""

    item_id: str
    list_mrc: Decimal
    net_mrc: Decimal
    nrc: Decimal
    discount_percent: Decimal
    term_months: int
    price_components: list[PriceComponent] = Field(default_factory=list)
    offering_id: str | None = None
    quantity: int | None = None
    # The MRC after the promotion, which the discount is measured from.
    promoted_mrc: Decimal | None = None
    list_nrc: Decimal | None = None
    promotion_code: str | None = None
    # Why the promotion code on the item was not applied.
    promotion_note: str | None = None
    icb_reasons: list[str] | None = None


class SiteCapital(WireModel):
    """One site that drives the order's capital: what its build costs (near-net) or its vendor takes (off-net), what
    its items contribute a month, and its own payback and NPV over the order's term, before any CIAC.

    The order's construction estimate is the sum of its sites' estimates; its monthly contribution is theirs plus
    that of the items needing neither a build nor a vendor (on-net). CIAC is the order's, not a site's.
    """

    item_id: str
    location_id: str | None = None
    access_medium: str | None = None
    distance_to_fiber_ft: int | None = None
    construction_estimate: Decimal
    vendor_mrc_cost: Decimal | None = None
    net_mrc: Decimal
    # The site's share of the order's net MRC.
    mrc_share_percent: Decimal
    monthly_contribution: Decimal
    payback_months: Decimal | None = None  # absent: the site's contribution never pays its build back
    npv: Decimal


class CapitalFigures(WireModel):
    """The capital view of an order that needs construction: payback, ROI and NPV over the term, and the sites that
    drive it."""

    construction_estimate: Decimal
    ciac: Decimal
    net_capex: Decimal
    monthly_contribution: Decimal
    term_months: int
    payback_months: Decimal | None = None  # absent: the contribution never pays the capex back
    simple_roi_percent: Decimal | None = None
    npv: Decimal
    # Absent on orders priced before the capital view listed its sites.
    sites: list[SiteCapital] = Field(default_factory=list)


class Pricing(WireModel):
    items: list[PricedItem]
    mrc_total: Decimal
    nrc_total: Decimal
    total_contract_value: Decimal
    capital: CapitalFigures | None = None
    catalogue_version: str | None = None
    approval_policy_version: str | None = None


class ApprovalRequirement(WireModel):
    """One approval the order needs: the role, why (in plain words), and by when."""

    role: str
    reason: str
    request_id: str | None = None
    sla_business_days: int | None = None
    due_at: datetime | None = None
    # "pending", or "granted" when a grant for the same inputs on an earlier version still holds.
    status: str | None = None


class PricedOrderEvent(Event):
    """An event from pricing on: it carries the order with its sites and its pricing, for the stages after it."""

    order: ProductOrder
    sites: list[SiteQualification]
    pricing: Pricing


class OrderPriced(PricedOrderEvent):
    """The order was priced and the approvals it needs were decided."""

    event_type: ClassVar[str] = "com.orderdesk.order.priced.v1"
    topic: ClassVar[str] = "orders.priced"

    required_approvals: list[ApprovalRequirement]


class ApprovalGranted(WireModel):
    role: str
    approver: str
    comment: str | None = None
    decided_at: datetime | None = None


class ApprovedOrderEvent(PricedOrderEvent):
    """An event from approval on: the priced order with the approvals granted for it."""

    approvals: list[ApprovalGranted]


class OrderApproved(ApprovedOrderEvent):
    """Every required approval was granted (or none was needed)."""

    event_type: ClassVar[str] = "com.orderdesk.order.approved.v1"
    topic: ClassVar[str] = "orders.approved"


class OfferedCharacteristic(WireModel):
    """A characteristic an order item sets, and the values the offering is sold with."""

    name: str
    values: list[int | str]


class CatalogueOffering(WireModel):
    """What a service checking orders needs to know of an offering (TMF620 productOffering, abridged)."""

    id: str
    name: str
    family: str
    active: bool
    requires_service_location: bool
    characteristics: list[OfferedCharacteristic]
    terms_months: list[int]


class CataloguePublished(Fact):
    """A catalogue version came into force: services that check orders against it follow it from here."""

    event_type: ClassVar[str] = "com.orderdesk.catalogue.published.v1"
    topic: ClassVar[str] = "catalogue.published"
    announces_state: ClassVar[bool] = True

    version: str
    offerings: list[CatalogueOffering]

    @property
    def subject(self) -> str:
        """`catalogue`: one key, so versions stay in the order they were published."""
        return "catalogue"
