"""Pricing-approval against its real, migrated schema, with orders priced from the shipped catalogue."""

from decimal import Decimal

import pytest

from orderdesk_shared.db import Database
from orderdesk_shared.events.order import (
    Account,
    Agreement,
    Channel,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
    SalesRep,
)
from orderdesk_shared.events.serviceability import (
    NetworkReach,
    QualificationResult,
    ServiceabilityQualified,
    SiteQualification,
)
from pricing_approval.tables import messaging


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("pricing-approval"), tables=messaging, source="pricing-approval")
    yield db
    await db.dispose()


def internet_order(
    order_id: str, *, discount: str = "5", non_standard_terms: str | None = None, ciac: str = "0"
) -> ProductOrder:
    """Dedicated Internet, 1 Gbps on 36 months: lists at $1,665.00 a month and $1,500.00 once.

    Sold by rep-007, submitted by sam-specialist.
    """
    return ProductOrder(
        id=order_id,
        channel=Channel.CRM,
        order_type=OrderType.NEW,
        account=Account(legal_name="Lakeshore Logistics LLC"),
        sales_reps=[SalesRep(rep_id="rep-007")],
        submitted_by="sam-specialist",
        agreement=Agreement(term_months=36, non_standard_terms=non_standard_terms, ciac=Decimal(ciac)),
        items=[
            OrderItem(
                id="1",
                product_offering_id="DIA-FIBER",
                characteristics={"bandwidth_mbps": 1000},
                price=ItemPrice(mrc_discount_percent=Decimal(discount)),
            )
        ],
    )


def qualified(order: ProductOrder, *, version: int = 1, near_net_feet: int | None = None) -> ServiceabilityQualified:
    """The order as serviceability passes it on: on-net, or near-net at DOMAIN.md's $15,000 + $45 a foot."""
    site = SiteQualification(item_id="1", reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED)
    if near_net_feet is not None:
        site = SiteQualification(
            item_id="1",
            reach=NetworkReach.NEAR_NET,
            result=QualificationResult.QUALIFIED,
            construction_estimate=Decimal(15000 + 45 * near_net_feet),
        )
    return ServiceabilityQualified(order_id=order.id, order_version=version, order=order, sites=[site])
