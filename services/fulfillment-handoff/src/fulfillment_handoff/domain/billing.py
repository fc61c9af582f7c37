"""The billing-code map: each price component of an item, in its market's billing system, to a billing code."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.fulfillment import BillingLine
from orderdesk_shared.events.order import ItemAction, OrderItem, ProductOrder
from orderdesk_shared.events.pricing_approval import Pricing
from orderdesk_shared.events.serviceability import SiteQualification
from orderdesk_shared.markets import Market, Markets


class CodeKey(NamedTuple):
    """What a billing code is looked up by."""

    price_component: str
    billing_system: str
    market: str

    def describe(self) -> str:
        return f"{self.price_component} in {self.market} ({self.billing_system})"


@dataclass(frozen=True)
class BillingCode:
    """One entry of the map, in effect from `effective_from` to `effective_to` (its last day) or for good."""

    key: CodeKey
    billing_code: str
    effective_from: date
    effective_to: date | None = None

    def in_effect_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def overlaps(self, other: "BillingCode") -> bool:
        """Two entries for the same key whose periods share a day: the map would be ambiguous."""
        if self.key != other.key:
            return False
        ends_before_other = self.effective_to is not None and self.effective_to < other.effective_from
        starts_after_other = other.effective_to is not None and other.effective_to < self.effective_from
        return not (ends_before_other or starts_after_other)


@dataclass(frozen=True)
class MissingCode:
    key: CodeKey
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class BillingMapping:
    """The billing lines of an order, or what stops it: codes missing from the map, sites outside every market,
    items with no address to find a market by."""

    lines: list[BillingLine]
    missing: list[MissingCode]
    items_outside_markets: list[str]
    items_without_address: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.items_outside_markets and not self.items_without_address

    def findings(self) -> list[Finding]:
        """One finding per missing code and per item no market covers, saying who can fix it."""
        missing_codes = [
            Finding(
                reason_code="MISSING_BILLING_CODE",
                field_path=f"items[{','.join(missing.item_ids)}].priceComponents",
                message=f"no billing code for {missing.key.describe()}",
                fix="the catalogue team adds the code; the order is then handed off by itself",
            )
            for missing in self.missing
        ]
        unplaced = [
            Finding(
                reason_code=code,
                field_path=f"items[{item_id}].location.address",
                message=message.format(item_id),
                fix=fix,
            )
            for code, item_ids, message, fix in (
                (
                    "INVALID_ADDRESS",
                    self.items_outside_markets,
                    "item {}'s service address is in no market this provider bills",
                    "correct the service address and resubmit the order",
                ),
                (
                    "INCOMPLETE_DATA",
                    self.items_without_address,
                    "item {} has no service address (nor the account a billing address) to find its market",
                    "give the item its service address (a disconnect: the installed service's site) and resubmit",
                ),
            )
            for item_id in item_ids
        ]
        return missing_codes + unplaced


def billing_date(order: ProductOrder, *, today: date) -> date:
    """Billing starts at completion: codes are chosen for the requested completion date, else for today."""
    return order.requested_completion_date or today


def price_components(item: OrderItem, pricing: Pricing) -> list[str]:
    """The catalogue prices of an item; an item priced without them is billed by its offering id."""
    priced = next((priced for priced in pricing.items if priced.item_id == item.id), None)
    if priced is not None and priced.price_components:
        return [component.id for component in priced.price_components]
    return [item.product_offering_id]


def item_market(
    item: OrderItem, order: ProductOrder, markets: Markets, sites: Sequence[SiteQualification] = ()
) -> Market | None:
    """The market serviceability found the item's site in, else that of its service address, else of the
    account's billing address."""
    found = next((site.market for site in sites if site.item_id == item.id and site.market), None)
    if found and (market := markets.named(found)):
        return market
    address = (item.location.address if item.location else None) or order.account.billing_address
    return markets.market_for(address) if address else None


def billed_items(order: ProductOrder) -> list[OrderItem]:
    """Items whose billing changes: everything but items left as they are."""
    return [item for item in order.items if item.action is not ItemAction.NO_CHANGE]


def codes_needed(
    order: ProductOrder, pricing: Pricing, markets: Markets, sites: Sequence[SiteQualification] = ()
) -> set[CodeKey]:
    """Every key the order's billing lines are looked up by."""
    return {
        CodeKey(component, market.billing_system, market.code)
        for item in billed_items(order)
        if (market := item_market(item, order, markets, sites)) is not None
        for component in price_components(item, pricing)
    }


def map_billing_codes(
    *,
    order: ProductOrder,
    pricing: Pricing,
    markets: Markets,
    codes: Iterable[BillingCode],
    on: date,
    sites: Sequence[SiteQualification] = (),
) -> BillingMapping:
    """Each price component of each billed item, to the code in effect `on` that day in its market's system."""
    in_effect = {code.key: code for code in codes if code.in_effect_on(on)}
    lines: list[BillingLine] = []
    missing: dict[CodeKey, list[str]] = {}
    outside: list[str] = []
    without_address: list[str] = []
    for item in billed_items(order):
        market = item_market(item, order, markets, sites)
        if market is None:
            placed = (item.location and item.location.address) or order.account.billing_address
            (outside if placed else without_address).append(item.id)
            continue
        for component in price_components(item, pricing):
            key = CodeKey(component, market.billing_system, market.code)
            if (code := in_effect.get(key)) is None:
                missing.setdefault(key, []).append(item.id)
                continue
            lines.append(
                BillingLine(
                    item_id=item.id,
                    price_component=component,
                    billing_system=market.billing_system,
                    billing_code=code.billing_code,
                    market=market.code,
                    billing_account=order.accounts.billing_account_in(market.billing_system)
                    if order.accounts
                    else None,
                )
            )
    return BillingMapping(
        lines=lines,
        missing=[MissingCode(key, tuple(item_ids)) for key, item_ids in missing.items()],
        items_outside_markets=outside,
        items_without_address=without_address,
    )
