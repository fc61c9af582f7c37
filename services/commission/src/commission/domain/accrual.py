"""What ratifying an order version brings about: the reps' commission accrued to the decision, and the announcements."""

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import date

from commission.domain.ledger import Holding, Posting, accrue, adjusted, postings_for
from commission.domain.ratification import Ratification
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff


@dataclass(frozen=True)
class Accrual:
    """The order announced ratified, and the postings that bring its reps' commission to what was ratified."""

    ratified: OrderRatified
    postings: tuple[Posting, ...]

    def announcements(self, added: Set[str]) -> list[Fact]:
        """The ratification, and each posting the ledger did not hold yet (`added`: the keys it took)."""
        version = self.ratified.order_version
        return [self.ratified, *(adjusted(p, version) for p in self.postings if p.entry_key in added)]


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
