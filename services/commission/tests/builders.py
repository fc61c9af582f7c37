"""Handed-off orders as commission receives them, for the unit and integration tests."""

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from orderdesk_shared.events.fulfillment import BillingLine, OrderHandedOff, ProcessingPath
from orderdesk_shared.events.order import (
    Account,
    Agreement,
    Channel,
    ItemAction,
    OrderItem,
    OrderType,
    ProductOrder,
    SalesRep,
    ServiceLocation,
)
from orderdesk_shared.events.pricing_approval import PriceComponent, PricedItem, Pricing

CATALOGUE = Path(__file__).resolve().parents[2] / "pricing-approval" / "catalogue" / "catalogue.v1.json"

SIGNED = date(2026, 11, 2)
_ACTIONS = {
    OrderType.NEW: ItemAction.ADD,
    OrderType.ADD: ItemAction.ADD,
    OrderType.DISCONNECT: ItemAction.DELETE,
}


def handed_off(
    order_id: str,
    order_type: OrderType = OrderType.ADD,
    *,
    mrc: str | dict[str, str] = "1000.00",
    account: str | None = "ACC-10001",
    reps: tuple[tuple[str, str], ...] = (("rep-001", "100"),),
    location: str = "LOC-CHI-0001",
    signed: date | None = SIGNED,
    billed: bool = True,
    unbilled: frozenset[str] = frozenset(),
    version: int = 1,
) -> OrderHandedOff:
    """An order of one item per offering (DIA-FIBER by default), each priced at its MRC with the catalogue's price
    components, and a billing line for each component (none when not `billed`, none for the `unbilled` ones)."""
    prices = {"DIA-FIBER": mrc} if isinstance(mrc, str) else mrc
    action = _ACTIONS.get(order_type, ItemAction.MODIFY)
    items = [
        OrderItem(
            id=str(n),
            action=action,
            product_offering_id=offering,
            location=ServiceLocation(location_id=location),
            existing_product_id=None if action is ItemAction.ADD else f"PRD-{n}",
        )
        for n, offering in enumerate(prices, start=1)
    ]
    priced = [
        PricedItem(
            item_id=item.id,
            list_mrc=Decimal(prices[item.product_offering_id]),
            net_mrc=Decimal(prices[item.product_offering_id]),
            nrc=Decimal(0),
            discount_percent=Decimal(0),
            term_months=36,
            price_components=_components(item.product_offering_id, prices[item.product_offering_id]),
        )
        for item in items
        if item.action is not ItemAction.DELETE
    ]
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=order_type,
        account=Account(id=account) if account else Account(legal_name="Acme Fabrication LLC", tax_id="12-3456789"),
        sales_reps=[SalesRep(rep_id=rep, split_percent=Decimal(split)) for rep, split in reps],
        agreement=Agreement(contract_id="MSA-1", term_months=36, signed_date=signed),
        items=items,
    )
    mrc_total = sum((item.net_mrc for item in priced), Decimal(0))
    return OrderHandedOff(
        order_id=order_id,
        order_version=version,
        order=order,
        sites=[],
        pricing=Pricing(items=priced, mrc_total=mrc_total, nrc_total=Decimal(0), total_contract_value=mrc_total * 36),
        approvals=[],
        processing_path=ProcessingPath.STANDARD,
        billing_lines=[
            BillingLine(item_id=item.item_id, price_component=component.id, billing_system="CSG", billing_code="X")
            for item in priced
            for component in item.price_components
            if billed and component.id not in unbilled
        ],
    )


def _components(offering_id: str, mrc: str) -> list[PriceComponent]:
    """The offering's first monthly and first one-time price in the catalogue, the monthly one at `mrc`."""
    recurring, one_time = catalogue_components(offering_id)
    return [
        PriceComponent(id=recurring, kind="recurring", amount=Decimal(mrc)),
        PriceComponent(id=one_time, kind="oneTime", amount=Decimal(0)),
    ]


@cache
def catalogue_components(offering_id: str) -> tuple[str, str]:
    """The ids of an offering's first recurring and first one-time price, as pricing-approval's catalogue names them."""
    offerings = json.loads(CATALOGUE.read_text())["productOffering"]
    prices = next(offering for offering in offerings if offering["id"] == offering_id)["productOfferingPrice"]
    return tuple(next(p["id"] for p in prices if p["priceType"] == kind) for kind in ("recurring", "oneTime"))
