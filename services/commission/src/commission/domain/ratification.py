"""Commission eligibility and amounts for a handed-off order.

PLACEHOLDER (walking skeleton): every order is eligible and earns its net MRC once (the existing-
account multiplier). Issue #7 replaces this with the eligibility checks, incremental MRR per
order type, multipliers and cap of DOMAIN.md. The split to the cent is already the real rule.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from orderdesk_shared.events.commission import RepCommission
from orderdesk_shared.events.order import SalesRep
from orderdesk_shared.events.pricing_approval import Pricing

CENT = Decimal("0.01")
PLACEHOLDER_MULTIPLIER = Decimal("1.0")


@dataclass(frozen=True)
class Ratification:
    eligible: bool
    reasons: list[str]
    commissionable_mrr: Decimal
    commission_total: Decimal
    reps: list[RepCommission]


def ratify(*, pricing: Pricing, reps: list[SalesRep]) -> Ratification:
    mrr = pricing.mrc_total.quantize(CENT)
    total = (mrr * PLACEHOLDER_MULTIPLIER).quantize(CENT)
    return Ratification(
        eligible=True,
        reasons=[f"placeholder rule: net MRC {mrr} x {PLACEHOLDER_MULTIPLIER}"],
        commissionable_mrr=mrr,
        commission_total=total,
        reps=split(total, reps),
    )


def split(total: Decimal, reps: list[SalesRep]) -> list[RepCommission]:
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
