"""Events serviceability records."""

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from orderdesk_shared.events.base import Event, WireModel
from orderdesk_shared.events.order import ProductOrder


class NetworkReach(StrEnum):
    ON_NET = "on-net"
    NEAR_NET = "near-net"
    OFF_NET = "off-net"
    UNKNOWN = "unknown"


class QualificationResult(StrEnum):
    """TMF645 qualification results."""

    QUALIFIED = "qualified"
    ALTERNATE = "alternate"
    UNQUALIFIED = "unqualified"


class SiteQualification(WireModel):
    """How one item's site is served: reach and medium, and what construction (near-net) or a Type-2
    vendor (off-net) costs."""

    item_id: str
    location_id: str | None = None
    reach: NetworkReach
    result: QualificationResult
    access_medium: str | None = None
    max_bandwidth_mbps: int | None = None
    construction_estimate: Decimal | None = None
    vendor_mrc_cost: Decimal | None = None
    market: str | None = None
    distance_to_fiber_ft: int | None = None
    # The survey whose confirmed distance the construction estimate rests on.
    site_survey_id: str | None = None


class ServiceabilityQualified(Event):
    """Every site on the order can be served; carries what pricing needs about each site."""

    event_type: ClassVar[str] = "com.orderdesk.order.qualified.v1"
    topic: ClassVar[str] = "orders.qualified"

    order: ProductOrder
    sites: list[SiteQualification]
