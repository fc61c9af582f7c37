"""Realistic orders priced with the shipped catalogue and policies."""

from datetime import date
from decimal import Decimal

import pytest

from orderdesk_shared.calendar import load_business_calendar
from orderdesk_shared.events.order import Account, Agreement, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification
from orderdesk_shared.product_catalogue import load_catalogue
from pricing_approval.domain.policy import DEFAULT_POLICY, load_approval_policy
from pricing_approval.domain.pricing import Quote, quote_order
from pricing_approval.rules import CATALOGUE_DIRECTORY

ORDER_DATE = date(2026, 11, 30)


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(CATALOGUE_DIRECTORY)


@pytest.fixture(scope="session")
def policy():
    return load_approval_policy(DEFAULT_POLICY, load_business_calendar())


def new_order(*items: OrderItem, term: int = 36, **fields) -> ProductOrder:
    return ProductOrder(
        id="PO-1",
        channel=Channel.CRM,
        order_type=OrderType.NEW,
        account=Account(legal_name="Lakeshore Logistics LLC"),
        agreement=Agreement(term_months=term),
        items=list(items),
        **fields,
    )


def internet(item_id: str = "1", *, mbps: int = 1000, net_mrc: str | None = None, **fields) -> OrderItem:
    """Dedicated Internet over fiber; 1 Gbps lists at $1,850.00, $1,665.00 on a 36-month term."""
    return OrderItem(
        id=item_id,
        product_offering_id="DIA-FIBER",
        characteristics={"bandwidth_mbps": mbps},
        price=ItemPrice(mrc=Decimal(net_mrc)) if net_mrc else None,
        **fields,
    )


def quote(catalogue, *items: OrderItem, term: int = 36) -> Quote:
    return quote_order(new_order(*items, term=term), catalogue=catalogue, order_date=ORDER_DATE)


def near_net(item_id: str = "1", *, feet: int) -> SiteQualification:
    """A site DOMAIN.md's way: $15,000 + $45 a foot to reach it."""
    return SiteQualification(
        item_id=item_id,
        reach=NetworkReach.NEAR_NET,
        result=QualificationResult.QUALIFIED,
        construction_estimate=Decimal(15000 + 45 * feet),
    )


def off_net(item_id: str, *, vendor_mrc_cost: str) -> SiteQualification:
    return SiteQualification(
        item_id=item_id,
        reach=NetworkReach.OFF_NET,
        result=QualificationResult.QUALIFIED,
        vendor_mrc_cost=Decimal(vendor_mrc_cost),
    )
