"""An analyst's ruling on a rep's dispute: who may rule, on what, and what an approval moves in the ledger."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from commission.domain.ledger import Entry, dispute_adjustment
from orderdesk_shared import access
from orderdesk_shared.auth import Principal


class DisputeRefused(Exception):
    """The dispute cannot be opened or decided as asked; the message says why."""


class NotYoursToDecide(Exception):
    """The analyst is one of the order's people (its submitter, a rep named on it, the rep who raised the dispute):
    another analyst must decide; the message says why."""


class Dispute(Protocol):
    """A rep's dispute as it stands."""

    dispute_id: str
    rep_id: str
    state: str


@dataclass(frozen=True)
class Ruling:
    """How a dispute is decided and why, and the entries it adds to the rep's commission (none for a rejection)."""

    state: str
    reason: str
    adjustment: Decimal | None
    entries: tuple[Entry, ...]


def rule_on_dispute(
    dispute: Dispute,
    people: access.OrderPeople,
    analyst: Principal,
    *,
    approve: bool,
    reason: str,
    adjustment: Decimal | None,
) -> Ruling:
    """The analyst's ruling on an open dispute; NotYoursToDecide for one of the order's people, DisputeRefused for a
    dispute decided already or an approval adjusting nothing."""
    if refused := access.refusal(analyst, people, access.OrderAction.DECIDE):
        raise NotYoursToDecide(refused.reason)
    if dispute.state != "open":
        raise DisputeRefused(f"dispute {dispute.dispute_id} was {dispute.state} already")
    if not approve:
        return Ruling(state="rejected", reason=reason, adjustment=None, entries=())
    if not adjustment:
        raise DisputeRefused("an approval needs a non-zero adjustment")
    entry = dispute_adjustment(dispute.rep_id, adjustment, reason=f"dispute {dispute.dispute_id} approved: {reason}")
    return Ruling(state="approved", reason=reason, adjustment=adjustment, entries=(entry,))
