"""Realistic orders priced with the shipped catalogue and policies."""

from datetime import date
from decimal import Decimal

import pytest

from orderdesk_shared.events.order import Account, Agreement, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification
from pricing_approval.domain.pricing import Quote, quote_order
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings

ORDER_DATE = date(2026, 11, 30)
RULES = load_rules(Settings.model_construct())


@pytest.fixture(scope="session")
def catalogue():
    return RULES.catalogue


@pytest.fixture(scope="session")
def policy():
    return RULES.policy


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
