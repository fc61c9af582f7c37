"""The processing path an order takes through Operations, and the engineering notes it needs."""

from dataclasses import dataclass
from decimal import Decimal

from fulfillment_handoff.domain.billing import price_components
from orderdesk_shared.events.fulfillment import EngineeringNote, ProcessingPath
from orderdesk_shared.events.order import Address, OrderItem, ProductOrder
from orderdesk_shared.events.pricing_approval import Pricing
from orderdesk_shared.events.serviceability import SiteQualification

NOTE_PLACEHOLDERS = frozenset(
    {
        "address",
        "bandwidth_mbps",
        "router_class",
        "job_reference",
        "construction_estimate",
        "vendor_mrc_cost",
        "price_components",
    }
)


@dataclass(frozen=True)
class NoteRule:
    """A note every item meeting the condition gets: one of `offerings`, a site reach in `site_reach`, or ICB."""

    topic: str
    text: str
    offerings: frozenset[str] = frozenset()
    site_reach: frozenset[str] = frozenset()
    icb: bool = False


@dataclass(frozen=True)
class PathPolicy:
    version: str
    precedence: tuple[ProcessingPath, ...]
    icb_price_components: frozenset[str]
    construction_reach: frozenset[str]
    off_net_reach: frozenset[str]
    complex_offerings: frozenset[str]
    complex_bandwidth_above_mbps: int
    complex_when_more_than_one_site: bool
    notes: tuple[NoteRule, ...]


@dataclass(frozen=True)
class _Order:
    """The facts the path rules read, gathered once."""

    order: ProductOrder
    sites: dict[str, SiteQualification]
    pricing: Pricing

    def reach(self, item: OrderItem) -> str | None:
        site = self.sites.get(item.id)
        return site.reach.value if site else None

    def is_icb(self, item: OrderItem, policy: PathPolicy) -> bool:
        return not policy.icb_price_components.isdisjoint(price_components(item, self.pricing))


def choose_path(
    *, order: ProductOrder, sites: list[SiteQualification], pricing: Pricing, policy: PathPolicy
) -> ProcessingPath:
    """The first path in the policy's precedence whose rule the order meets."""
    facts = _Order(order, {site.item_id: site for site in sites}, pricing)
    return next(path for path in policy.precedence if _meets(path, facts, policy))


def _meets(path: ProcessingPath, facts: _Order, policy: PathPolicy) -> bool:
    items = facts.order.items
    match path:
        case ProcessingPath.CUSTOM:
            return any(facts.is_icb(item, policy) for item in items)
        case ProcessingPath.CONSTRUCTION:
            return any(facts.reach(item) in policy.construction_reach for item in items)
        case ProcessingPath.OFF_NET:
            return any(facts.reach(item) in policy.off_net_reach for item in items)
        case ProcessingPath.COMPLEX_ENGINEERING:
            return (
                any(item.product_offering_id in policy.complex_offerings for item in items)
                or any((_bandwidth(item) or 0) > policy.complex_bandwidth_above_mbps for item in items)
                or (policy.complex_when_more_than_one_site and len(_sites_of(facts.order)) > 1)
            )
        case ProcessingPath.STANDARD:
            return True


def engineering_notes(
    *, order: ProductOrder, sites: list[SiteQualification], pricing: Pricing, policy: PathPolicy
) -> list[EngineeringNote]:
    """Each item's notes, in item order, then in the policy's note order."""
    facts = _Order(order, {site.item_id: site for site in sites}, pricing)
    return [
        EngineeringNote(item_id=item.id, topic=rule.topic, note=rule.text.format_map(_note_values(item, facts)))
        for item in order.items
        for rule in policy.notes
        if item.product_offering_id in rule.offerings
        or facts.reach(item) in rule.site_reach
        or (rule.icb and facts.is_icb(item, policy))
    ]


def _note_values(item: OrderItem, facts: _Order) -> dict[str, str]:
    site = facts.sites.get(item.id)
    return {
        "address": _place(item),
        "bandwidth_mbps": str(_bandwidth(item) or "the ordered"),
        "router_class": str(item.characteristics.get("router_class", "the ordered")),
        "job_reference": f"CJ-{facts.order.id}-{item.id}",
        "construction_estimate": _money(site.construction_estimate if site else None),
        "vendor_mrc_cost": _money(site.vendor_mrc_cost if site else None),
        "price_components": ", ".join(price_components(item, facts.pricing)),
    }


def _bandwidth(item: OrderItem) -> int | None:
    value = item.characteristics.get("bandwidth_mbps")
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _sites_of(order: ProductOrder) -> set[str]:
    return {_place(item) for item in order.items if item.location is not None}


def _place(item: OrderItem) -> str:
    location = item.location
    if location is None:
        return "the customer's site"
    if location.address is not None:
        return _one_line(location.address)
    return location.location_id or "the customer's site"


def _one_line(address: Address) -> str:
    return f"{address.street}, {address.city}, {address.state_or_province} {address.postcode}"


def _money(amount: Decimal | None) -> str:
    return f"{amount:,.2f}" if amount is not None else "(to be quoted)"
