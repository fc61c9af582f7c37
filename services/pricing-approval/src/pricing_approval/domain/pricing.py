"""Prices an order from the catalogue (DOMAIN.md, "Pricing and approvals").

Each item gets its list price (the tier its characteristics select, less the catalogue's discount for
its term), the promotion its code names when that is valid on the order date and the item is eligible,
and the net price the rep asks for. Amounts are rounded half-up to the cent at these points only:
  1. each price component for the item's quantity, after the term discount (the list price);
  2. each component after the promotion;
  3. the net MRC when the rep asks for a discount percent, and each amount the rep gives.
The item's discount is a percentage rounded to 0.01 point; the approval matrix compares that figure,
so a rep who asks for exactly 10% off is not pushed above 10% by the rounding of cents. Totals and
the total contract value are sums of cents, hence exact.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from orderdesk_shared.events.order import ItemAction, OrderItem, OrderType, ProductOrder
from orderdesk_shared.money import CENT, HUNDRED, dollars, percent_off, round_half_up, to_cents
from orderdesk_shared.product_catalogue import Catalogue, ProductOffering, Promotion

TERM_KEEPING_ORDER_TYPES = frozenset({OrderType.CHANGE, OrderType.TRANSFER})


class PricingError(ValueError):
    """An item cannot be priced from the catalogue; the message names the item and says why."""


@dataclass(frozen=True)
class ComponentPrice:
    """One catalogue price component of an item; `price_id` is what the billing-code map keys on."""

    price_id: str
    name: str
    price_type: Literal["recurring", "oneTime"]
    list_amount: Decimal
    promoted_amount: Decimal
    icb: bool


@dataclass(frozen=True)
class QuoteLine:
    """An item's prices for its quantity: list (after the term discount), after promotion, and net."""

    item_id: str
    offering_id: str
    family: str
    quantity: int
    term_months: int
    characteristics: Mapping[str, str]
    components: tuple[ComponentPrice, ...]
    promotion_code: str | None
    promotion_note: str | None
    list_mrc: Decimal
    promoted_mrc: Decimal
    net_mrc: Decimal
    promoted_nrc: Decimal
    net_nrc: Decimal
    discount_percent: Decimal
    icb_reasons: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    mrc_total: Decimal
    nrc_total: Decimal
    total_contract_value: Decimal


def quote_order(order: ProductOrder, *, catalogue: Catalogue, order_date: date) -> Quote:
    """Every charged item priced; TCV = Σ net MRC × the item's term + Σ net NRC.

    An item being deleted stops its charges, so it has no line. The rep's requested prices are read
    from each item's `price`, per unit: `mrc` is the net MRC asked for; without it,
    `mrcDiscountPercent` is taken off the price after promotion; `nrc` is the net NRC asked for.
    """
    lines = tuple(
        _quote_line(order, item, catalogue=catalogue, order_date=order_date)
        for item in order.items
        if item.action is not ItemAction.DELETE
    )
    mrc_total = sum((line.net_mrc for line in lines), Decimal("0.00"))
    nrc_total = sum((line.net_nrc for line in lines), Decimal("0.00"))
    tcv = sum((line.net_mrc * line.term_months for line in lines), Decimal("0.00")) + nrc_total
    return Quote(lines=lines, mrc_total=mrc_total, nrc_total=nrc_total, total_contract_value=tcv)


def _quote_line(order: ProductOrder, item: OrderItem, *, catalogue: Catalogue, order_date: date) -> QuoteLine:
    offering = catalogue.offerings.get(item.product_offering_id)
    if offering is None:
        raise PricingError(f"item {item.id}: offering {item.product_offering_id} is not in the catalogue")
    if item.quantity < 1:
        raise PricingError(f"item {item.id}: quantity {item.quantity} is less than 1")
    term = _term(order, item, offering)
    characteristics = _characteristics(item, offering)
    promotion, promotion_note = _promotion(order, item, offering, term=term, catalogue=catalogue, day=order_date)
    components = tuple(_components(offering, characteristics, quantity=item.quantity, term=term, promotion=promotion))
    recurring = [c for c in components if c.price_type == "recurring"]
    one_time = [c for c in components if c.price_type == "oneTime"]
    list_mrc = sum((c.list_amount for c in recurring), Decimal("0.00"))
    promoted_mrc = sum((c.promoted_amount for c in recurring), Decimal("0.00"))
    promoted_nrc = sum((c.promoted_amount for c in one_time), Decimal("0.00"))
    net_mrc, net_nrc = _net_prices(item, promoted_mrc=promoted_mrc, promoted_nrc=promoted_nrc)
    icb_reasons = tuple(f"{c.name} is priced case by case" for c in components if c.icb)
    if net_nrc < promoted_nrc:
        icb_reasons += (f"one-time charge {dollars(net_nrc)} is below the catalogue's {dollars(promoted_nrc)}",)
    return QuoteLine(
        item_id=item.id,
        offering_id=offering.id,
        family=offering.family,
        quantity=item.quantity,
        term_months=term,
        characteristics=characteristics,
        components=components,
        promotion_code=promotion.code if promotion else None,
        promotion_note=promotion_note,
        list_mrc=list_mrc,
        promoted_mrc=promoted_mrc,
        net_mrc=net_mrc,
        promoted_nrc=promoted_nrc,
        net_nrc=net_nrc,
        discount_percent=_discount_percent(net=net_mrc, before=promoted_mrc),
        icb_reasons=icb_reasons,
    )


def _term(order: ProductOrder, item: OrderItem, offering: ProductOffering) -> int:
    """The item's term, else the agreement's; a change or transfer without one keeps the shortest term sold.

    A change or a transfer alters a product already under contract and often states no new term; pricing
    it on the shortest term makes no longer commitment than the customer gave. Every other order type
    commits to a term, so one without is an error.
    """
    term = item.item_term_months or (order.agreement.term_months if order.agreement else None)
    if term is None and order.order_type in TERM_KEEPING_ORDER_TYPES:
        term = min(offering.terms)
    if term is None:
        raise PricingError(f"item {item.id}: no term on the item or the agreement")
    if term not in offering.terms:
        raise PricingError(f"item {item.id}: {offering.id} is not sold on a {term}-month term")
    return term


def _characteristics(item: OrderItem, offering: ProductOffering) -> dict[str, str]:
    """The item's characteristic values as text, with the catalogue's default for any it leaves out."""
    given = {name: str(value) for name, value in item.characteristics.items()}
    for name, value in given.items():
        allowed = offering.characteristics.get(name)
        if allowed is None:
            raise PricingError(f"item {item.id}: {offering.id} has no characteristic {name}")
        if value not in allowed:
            raise PricingError(f"item {item.id}: {offering.id} is not sold with {name} {value}")
    return offering.defaults | given


def _promotion(
    order: ProductOrder, item: OrderItem, offering: ProductOffering, *, term: int, catalogue: Catalogue, day: date
) -> tuple[Promotion | None, str | None]:
    """The promotion to apply, or none and why the code on the item does not apply."""
    code = item.promotion_code
    if code is None:
        return None, None
    promotion = catalogue.promotions.get(code)
    if promotion is None:
        return None, f"promotion code {code} does not exist"
    eligibility = promotion.eligibility
    reason = None
    if day < promotion.valid_from:
        reason = f"starts on {promotion.valid_from}"
    elif day > promotion.valid_to:
        reason = f"ended on {promotion.valid_to}"
    elif eligibility.order_types is not None and order.order_type not in eligibility.order_types:
        reason = f"is not for {order.order_type} orders"
    elif (eligibility.families is not None and offering.family not in eligibility.families) or (
        eligibility.offerings is not None and offering.id not in eligibility.offerings
    ):
        reason = f"does not cover {offering.name}"
    elif term < eligibility.min_term_months:
        reason = f"needs a term of at least {eligibility.min_term_months} months, not {term}"
    if reason:
        return None, f"promotion {code} {reason}"
    return promotion, None


def _components(
    offering: ProductOffering,
    characteristics: Mapping[str, str],
    *,
    quantity: int,
    term: int,
    promotion: Promotion | None,
) -> Iterator[ComponentPrice]:
    for price_type in ("recurring", "oneTime"):
        is_recurring = price_type == "recurring"
        for price in offering.components(price_type, characteristics):
            list_amount = offering.list_amount(price, characteristics, quantity=quantity, term=term)
            promotion_percent = Decimal(0)
            if promotion:
                promotion_percent = promotion.mrc_discount_percent if is_recurring else promotion.nrc_discount_percent
            yield ComponentPrice(
                price_id=price.id,
                name=price.name,
                price_type=price_type,
                list_amount=list_amount,
                promoted_amount=percent_off(list_amount, promotion_percent),
                icb=price.icb,
            )


def _net_prices(item: OrderItem, *, promoted_mrc: Decimal, promoted_nrc: Decimal) -> tuple[Decimal, Decimal]:
    requested = item.price
    net_mrc, net_nrc = promoted_mrc, promoted_nrc
    if requested is None:
        return net_mrc, net_nrc
    for field, value in (("mrc", requested.mrc), ("nrc", requested.nrc)):
        if value is not None and value < 0:
            raise PricingError(f"item {item.id}: the requested {field} {value} is negative")
    if requested.mrc is not None:
        net_mrc = to_cents(requested.mrc) * item.quantity
    elif requested.mrc_discount_percent is not None:
        if not 0 <= requested.mrc_discount_percent <= HUNDRED:
            raise PricingError(f"item {item.id}: a discount of {requested.mrc_discount_percent}% is not 0 to 100")
        net_mrc = percent_off(promoted_mrc, requested.mrc_discount_percent)
    if requested.nrc is not None:
        net_nrc = to_cents(requested.nrc) * item.quantity
    return net_mrc, net_nrc


def _discount_percent(*, net: Decimal, before: Decimal) -> Decimal:
    """1 − net / price after promotion, as a percentage to 0.01 point; nothing to discount is 0%."""
    if not before:
        return Decimal("0.00")
    return round_half_up((1 - net / before) * HUNDRED, CENT)
