"""What ratifying an order version brings about: the order announced ratified, and the reps' commission accrued to
the decision."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from commission.domain.ledger import Holding, Posting, accrue, postings_for
from commission.domain.ratification import Ratification
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff


@dataclass(frozen=True)
class Accrual:
    """The order announced ratified, and the postings that bring its reps' commission to what was ratified."""

    ratified: OrderRatified
    postings: tuple[Posting, ...]


def accrual(
    event: OrderHandedOff,
    decision: Ratification,
    *,
    order_date: date,
    holdings: Mapping[str, Holding],
    installed: bool,
) -> Accrual:
    """The accrual of a ratified order version over what the ledger holds on the order (`installed`: Operations
    reported the whole order installed before, so the commission is payable at once)."""
    entries = accrue(
        decision.reps,
        holdings,
        installed=installed,
        reason=f"ratified version {event.order_version}: {decision.commission_total} in all",
    )
    ratified = OrderRatified(
        order_id=event.order_id,
        order_version=event.order_version,
        eligible=decision.eligible,
        reasons=decision.reasons,
        commissionable_mrr=decision.commissionable_mrr,
        commission_total=decision.commission_total,
        reps=decision.reps,
        explanation=decision.explanation,
        multiplier=decision.multiplier,
        order_date=order_date,
    )
    postings = postings_for(event.order_id, entries, key=f"v{event.order_version}", on=order_date)
    return Accrual(ratified=ratified, postings=tuple(postings))
