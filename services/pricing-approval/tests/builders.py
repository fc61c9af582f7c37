"""Orders as pricing-approval receives them, priced from the shipped catalogue: for unit and integration tests."""

from datetime import date
from decimal import Decimal

from orderdesk_shared.events.order import (
    Account,
    Agreement,
    Channel,
    Contact,
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

SIGNED_IN_THE_CRM = date(2026, 11, 2)


def internet_order(
    order_id: str,
    *,
    discount: str = "5",
    non_standard_terms: str | None = None,
    ciac: str = "0",
    promotion_code: str | None = None,
    signed_date: date | None = SIGNED_IN_THE_CRM,
) -> ProductOrder:
    """Dedicated Internet, 1 Gbps on 36 months: lists at $1,665.00 a month and $1,500.00 once.

    Sold by rep-007, submitted by sam-specialist, for a new client whose contact is Priya Raman; the contract
    comes signed from the CRM unless `signed_date` is None.
    """
    return ProductOrder(
        id=order_id,
        channel=Channel.CRM,
        order_type=OrderType.NEW,
        account=Account(legal_name="Lakeshore Logistics LLC"),
        contacts=[Contact(name="Priya Raman", email="priya.raman@lakeshore.example.com")],
        sales_reps=[SalesRep(rep_id="rep-007")],
        submitted_by="sam-specialist",
        agreement=Agreement(
            contract_id="MSA-2211",
            term_months=36,
            signed_date=signed_date,
            non_standard_terms=non_standard_terms,
            ciac=Decimal(ciac),
        ),
        items=[
            OrderItem(
                id="1",
                product_offering_id="DIA-FIBER",
                characteristics={"bandwidth_mbps": 1000},
                price=ItemPrice(mrc_discount_percent=Decimal(discount)),
                promotion_code=promotion_code,
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
            distance_to_fiber_ft=near_net_feet,
        )
    return ServiceabilityQualified(order_id=order.id, order_version=version, order=order, sites=[site])
