"""Prices an order and decides the approvals it needs.

PLACEHOLDER (walking skeleton): the rep's own MRC is taken as the list price, the discount is
the one the rep entered, and no approval is ever required. The handler still prices with this
until issue #5 wires in the catalogue engine (`pricing.py`) and the approval policy (`approvals.py`);
this module is then deleted.
"""

from decimal import Decimal

from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import ApprovalRequirement, PricedItem, Pricing

CENT = Decimal("0.01")
DEFAULT_TERM_MONTHS = 36


def price(order: ProductOrder) -> Pricing:
    """List and net price per item, MRC and NRC totals, and the total contract value."""
    term = order.agreement.term_months if order.agreement and order.agreement.term_months else DEFAULT_TERM_MONTHS
    items = [_price_item(item, default_term=term) for item in order.items]
    mrc_total = sum((item.net_mrc for item in items), Decimal(0))
    nrc_total = sum((item.nrc for item in items), Decimal(0))
    tcv = sum((item.net_mrc * item.term_months for item in items), Decimal(0)) + nrc_total
    return Pricing(items=items, mrc_total=mrc_total, nrc_total=nrc_total, total_contract_value=tcv)


def _price_item(item, *, default_term: int) -> PricedItem:
    price = item.price
    quantity = Decimal(item.quantity)
    list_mrc = (price.mrc or Decimal(0)) * quantity if price else Decimal(0)
    discount = (price.mrc_discount_percent or Decimal(0)) if price else Decimal(0)
    net_mrc = (list_mrc * (1 - discount / 100)).quantize(CENT)
    return PricedItem(
        item_id=item.id,
        list_mrc=list_mrc.quantize(CENT),
        net_mrc=net_mrc,
        nrc=((price.nrc or Decimal(0)) * quantity).quantize(CENT) if price else Decimal("0.00"),
        discount_percent=discount,
        term_months=item.item_term_months or default_term,
    )


def required_approvals(pricing: Pricing) -> list[ApprovalRequirement]:
    """PLACEHOLDER: every order is approved automatically."""
    return []
