"""Ratification: whether a handed-off order earns commission, how much, and for which reps (DOMAIN.md, "Commission").

Pure: the handler gives it the order, the plan and roster in effect, what commission already knows
of the account's services and its recent sales, and the day of ratification (the order date here).
Every check and every step of the amount is written as one line of the explanation.
"""

from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from commission.domain.rules import Plan, Roster
from orderdesk_shared.events.commission import RepCommission
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.order import Account, ItemAction, OrderItem, OrderType, SalesRep, ServiceLocation
from orderdesk_shared.events.pricing_approval import PricedItem

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The catalogue's kind of a monthly price component (TMF620 priceType), as pricing-approval passes it on.
RECURRING = "recurring"

# Order types that add a service on top of what the account has; the others replace its MRC.
_ADDING = frozenset({OrderType.NEW, OrderType.ADD})


@dataclass(frozen=True)
class EarlierSale:
    """An eligible sale ratified before, to the same account: what a duplicate is compared with."""

    order_id: str
    order_type: OrderType
    order_date: date
    offering_id: str
    location_keys: frozenset[str]


@dataclass(frozen=True)
class OfferingChange:
    """What the order does to the account's MRC for one offering, and how much of it earns commission."""

    offering_id: str
    location_keys: frozenset[str]
    previous_mrc: Decimal | None
    mrc_after: Decimal
    incremental_mrr: Decimal
    # MRC a change order takes away: a downgrade, debited from the sale that earned it if still in the window.
    downgraded_mrr: Decimal


@dataclass(frozen=True)
class Ratification:
    account_key: str
    eligible: bool
    reasons: list[str]
    explanation: list[str]
    commissionable_mrr: Decimal
    multiplier: Decimal
    commission_total: Decimal
    reps: list[RepCommission]
    offerings: list[OfferingChange]
    basis_mrc: Decimal
    billed_mrc: Decimal
    # Each item's part of the commissionable MRR: what a cancel or install of some items moves of the commission.
    item_mrr: dict[str, Decimal]


def account_key(account: Account) -> str:
    """The account an order is for: its id, or for a new logo its tax id (else its legal name)."""
    if account.id:
        return account.id
    if account.tax_id:
        return f"new:{account.tax_id}"
    return f"new:{(account.legal_name or '').strip().upper()}"


def location_key(location: ServiceLocation | None) -> str:
    if location is None:
        return "-"
    if location.location_id:
        return location.location_id
    if location.address is None:
        return "-"
    address = location.address
    return " ".join(f"{address.street}, {address.city}, {address.state_or_province} {address.postcode}".upper().split())


def ratify(
    *,
    event: OrderHandedOff,
    plan: Plan,
    roster: Roster,
    order_date: date,
    previous_mrc: Mapping[str, Decimal],
    earlier_sales: Sequence[EarlierSale],
) -> Ratification:
    """Eligibility (reps active, agreement signed, no duplicate, type commissionable), then
    incremental MRR x multiplier, capped per order and split across the reps to the cent."""
    order = event.order
    offerings = _offering_changes(event, previous_mrc)
    explanation: list[str] = []
    reasons = [
        *_rep_reasons(order.sales_reps, roster, order_date, explanation),
        *_agreement_reasons(event, order_date, explanation),
        *_duplicate_reasons(order.order_type, offerings, earlier_sales, plan, order_date, explanation),
    ]
    if order.order_type not in plan.commissionable_order_types:
        reasons.append(f"order type {order.order_type} is not commissionable")
    account = account_key(order.account)
    if reasons:
        explanation.extend(f"not eligible: {reason}" for reason in reasons)
        mrr = multiplier = total = ZERO
    else:
        mrr, multiplier, total = _commission(order.order_type, account, offerings, plan, explanation)
    reps = split(total, order.sales_reps)
    if not reasons:
        explanation.extend(f"{rep.rep_id} {rep.split_percent}% = {rep.amount}" for rep in reps)
    return Ratification(
        account_key=account,
        eligible=not reasons,
        reasons=reasons,
        explanation=explanation,
        commissionable_mrr=mrr,
        multiplier=multiplier,
        commission_total=total,
        reps=reps,
        offerings=offerings,
        basis_mrc=sum((item.net_mrc for item in event.pricing.items), ZERO),
        billed_mrc=_billed_mrc(event),
        item_mrr={} if reasons else _item_mrr(event, offerings),
    )


def _commission(
    order_type: OrderType, account: str, offerings: Sequence[OfferingChange], plan: Plan, explanation: list[str]
) -> tuple[Decimal, Decimal, Decimal]:
    """An eligible order's incremental MRR, its order type's multiplier, and their product capped per order; each
    step written to the explanation."""
    explanation.extend(_mrr_line(order_type, account, change) for change in offerings)
    mrr = sum((change.incremental_mrr for change in offerings), ZERO)
    multiplier, sale = plan.multipliers.of(order_type)
    uncapped = (mrr * multiplier).quantize(CENT, rounding=ROUND_HALF_UP)
    explanation.append(f"incremental MRR {mrr} x {multiplier} ({sale}) = {uncapped}")
    total = min(uncapped, plan.cap_per_order)
    if total < uncapped:
        explanation.append(f"capped at {plan.cap_per_order} per order")
    return mrr, multiplier, total


def reps_seen_by(reps: Sequence[Mapping[str, object]], rep_id: str | None) -> list[Mapping[str, object]]:
    """The reps' commissions (as stored: camelCase) a reader sees: every one for a reader who sees every rep (None),
    else only the rep's own, so that an order the rep is not named on shows nobody."""
    return [rep for rep in reps if rep_id in (None, rep["repId"])]


def share_of_items(
    item_mrr: Mapping[str, Decimal], items: Collection[str], *, settled: Collection[str]
) -> Decimal | None:
    """The share of the order's commission the items earn; None (whatever is left) once they and the items `settled`
    before (installed or cancelled) are every item of the order, so that no cent is left behind by rounding."""
    if set(item_mrr) <= {*items, *settled}:
        return None
    total = sum(item_mrr.values(), ZERO)
    return sum((item_mrr.get(item, ZERO) for item in items), ZERO) / total if total else ZERO


def split(total: Decimal, reps: Sequence[SalesRep]) -> list[RepCommission]:
    """Share `total` by split percent, rounded down to the cent; leftover cents go to the largest shares first."""
    if not reps:
        return []
    shares = [(total * rep.split_percent / 100).quantize(CENT, rounding=ROUND_DOWN) for rep in reps]
    leftover_cents = int((total - sum(shares)) / CENT)
    by_size = sorted(range(len(reps)), key=lambda i: (-reps[i].split_percent, i))
    for i in by_size[:leftover_cents]:
        shares[i] += CENT
    return [
        RepCommission(rep_id=rep.rep_id, split_percent=rep.split_percent, amount=share)
        for rep, share in zip(reps, shares, strict=True)
    ]


def _item_mrr(event: OrderHandedOff, offerings: Sequence[OfferingChange]) -> dict[str, Decimal]:
    """Each item's part of its offering's incremental MRR, in proportion to the items' net MRC (removals earn none)."""
    net_mrc = {item.item_id: item.net_mrc for item in event.pricing.items}
    increments = {change.offering_id: change.incremental_mrr for change in offerings}
    parts = {}
    for offering_id, items in _items_by_offering(event.order.items).items():
        mrc = {item.id: net_mrc.get(item.id, ZERO) for item in items if item.action is not ItemAction.DELETE}
        offering_mrc = sum(mrc.values(), ZERO)
        for item in items:
            share = mrc.get(item.id, ZERO) / offering_mrc if offering_mrc else ZERO
            parts[item.id] = (increments[offering_id] * share).quantize(CENT, rounding=ROUND_HALF_UP)
    return parts


def offering_locations(items: Sequence[OrderItem]) -> dict[str, frozenset[str]]:
    """Each offering on the order with the locations it is sold at: where a sale of it would be a duplicate."""
    return {offering_id: _locations(items) for offering_id, items in _items_by_offering(items).items()}


def _locations(items: Sequence[OrderItem]) -> frozenset[str]:
    return frozenset(location_key(item.location) for item in items)


def _items_by_offering(items: Sequence[OrderItem]) -> dict[str, list[OrderItem]]:
    by_offering: dict[str, list[OrderItem]] = {}
    for item in items:
        by_offering.setdefault(item.product_offering_id, []).append(item)
    return by_offering


def _offering_changes(event: OrderHandedOff, previous_mrc: Mapping[str, Decimal]) -> list[OfferingChange]:
    """Per offering on the order: the account's MRC before and after, and the increment that counts.

    New and add orders add a service: all of its MRC counts. Change, renewal, move and transfer
    replace the account's MRC for the offering: only a rise counts (a change's fall is a downgrade);
    unknown earlier MRC shows no rise. A disconnect ends the service. Construction, CIAC and taxes
    never reach the MRC, so they never count.
    """
    order = event.order
    net_mrc = {item.item_id: item.net_mrc for item in event.pricing.items}
    changes = []
    for offering_id, items in _items_by_offering(order.items).items():
        added = sum(
            (net_mrc.get(item.id, ZERO) for item in items if item.action is not ItemAction.DELETE), ZERO
        ).quantize(CENT)
        before = previous_mrc.get(offering_id)
        if order.order_type in _ADDING:
            after, increment, downgrade = (before or ZERO) + added, added, ZERO
        elif order.order_type is OrderType.DISCONNECT:
            after, increment, downgrade = ZERO, ZERO, ZERO
        else:
            after = added
            delta = ZERO if before is None else after - before
            increment = max(delta, ZERO)
            downgrade = -delta if delta < 0 and order.order_type is OrderType.CHANGE else ZERO
        changes.append(
            OfferingChange(
                offering_id=offering_id,
                location_keys=_locations(items),
                previous_mrc=before,
                mrc_after=after,
                incremental_mrr=increment,
                downgraded_mrr=downgrade,
            )
        )
    return changes


def _mrr_line(order_type: OrderType, account: str, change: OfferingChange) -> str:
    offering = change.offering_id
    if order_type in _ADDING:
        return f"{offering}: new MRC {change.incremental_mrr} counts in full ({order_type} order)"
    if order_type is OrderType.DISCONNECT:
        return f"{offering}: a disconnect earns nothing"
    if change.previous_mrc is None:
        return f"{offering}: no earlier MRC of {account} is known, so no rise is shown (MRC now {change.mrc_after})"
    line = f"{offering}: MRC {change.previous_mrc} -> {change.mrc_after}, {change.incremental_mrr} counts"
    if change.downgraded_mrr:
        line += f" (a downgrade of {change.downgraded_mrr})"
    return line


def _rep_reasons(reps: Sequence[SalesRep], roster: Roster, day: date, explanation: list[str]) -> list[str]:
    if not reps:
        return ["the order names no sales rep"]
    reasons = []
    for rep in reps:
        known = roster.reps.get(rep.rep_id)
        if known is None:
            reasons.append(f"{rep.rep_id} is not on the sales roster")
        elif not known.is_active_on(day):
            reasons.append(
                f"{rep.rep_id} is not active on {day} (active {known.active_from} to {known.active_to or '-'})"
            )
        else:
            explanation.append(f"{rep.rep_id} ({known.name}, {known.team}) is active on {day}")
    return reasons


def _agreement_reasons(event: OrderHandedOff, day: date, explanation: list[str]) -> list[str]:
    agreement = event.order.agreement
    if agreement is None or agreement.signed_date is None:
        return ["the agreement is not signed"]
    if agreement.signed_date > day:
        return [f"the agreement is signed only on {agreement.signed_date}, after {day}"]
    explanation.append(f"agreement {agreement.contract_id or '-'} signed on {agreement.signed_date}")
    return []


def _duplicate_reasons(
    order_type: OrderType,
    offerings: Sequence[OfferingChange],
    earlier_sales: Sequence[EarlierSale],
    plan: Plan,
    day: date,
    explanation: list[str],
) -> list[str]:
    """A duplicate: the same account, location and offering sold with the same order type within the window.

    The order type is part of it so that a change or renewal soon after a sale is not mistaken for that sale again.
    """
    since = day - timedelta(days=plan.duplicate_window_days)
    reasons = []
    for change in offerings:
        for sale in earlier_sales:
            if (
                sale.order_type is order_type
                and sale.offering_id == change.offering_id
                and since <= sale.order_date <= day
                and sale.location_keys & change.location_keys
            ):
                reasons.append(
                    f"duplicate of {sale.order_id} ({change.offering_id} at the same location, "
                    f"ratified {sale.order_date}, within {plan.duplicate_window_days} days)"
                )
                break
    if not reasons:
        explanation.append(f"no duplicate within {plan.duplicate_window_days} days")
    return reasons


def _billed_mrc(event: OrderHandedOff) -> Decimal:
    """The MRC Operations will bill: the items each of whose recurring catalogue prices carries a billing code."""
    billed = {(line.item_id, line.price_component) for line in event.billing_lines}
    return sum((item.net_mrc for item in event.pricing.items if _mrc_billed(item, billed)), ZERO)


def _mrc_billed(item: PricedItem, billed: Set[tuple[str, str]]) -> bool:
    # Components are named by the catalogue (DIA-FIBER-MRC-100M, ...): their kind says which ones are the MRC.
    recurring = [component.id for component in item.price_components if component.kind == RECURRING]
    return bool(recurring) and all((item.item_id, component) in billed for component in recurring)
