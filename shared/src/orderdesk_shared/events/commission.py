"""Events commission records."""

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event, Fact, WireModel


class RepCommission(WireModel):
    rep_id: str
    split_percent: Decimal
    amount: Decimal


class OrderRatified(Event):
    """The order's commission eligibility and amounts were decided."""

    event_type: ClassVar[str] = "com.orderdesk.order.ratified.v1"
    topic: ClassVar[str] = "orders.ratified"

    eligible: bool
    # Why the order is not eligible (empty when it is).
    reasons: list[str]
    commissionable_mrr: Decimal
    commission_total: Decimal
    reps: list[RepCommission]
    # Every check and every step of the amount, one line each.
    explanation: list[str] = Field(default_factory=list)
    multiplier: Decimal | None = None
    order_date: date | None = None


class CommissionAdjusted(Event):
    """A rep's commission on an order changed (payable, reversal, clawback, dispute)."""

    event_type: ClassVar[str] = "com.orderdesk.commission.adjusted.v1"
    topic: ClassVar[str] = "commission.adjusted"

    rep_id: str
    # The money that moved, in the balance it moved into (see accrued_change and payable_change).
    amount: Decimal
    reason: str
    # accrued, revised, payable, reversed, clawback, downgrade or dispute.
    kind: str | None = None
    # The ledger entry that records the change.
    ledger_entry: str | None = None
    accrued_change: Decimal | None = None
    payable_change: Decimal | None = None
    effective_on: date | None = None


class RosterRep(WireModel):
    """A sales rep on the roster commission keeps: who may sell, from when to when, in which team."""

    id: str
    name: str
    email: str
    team: str
    manager_id: str | None = None
    active_from: date
    active_to: date | None = None

    def is_active_on(self, day: date) -> bool:
        """Whether the rep may sell on `day`: from `active_from` up to and including `active_to`."""
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)


class RosterPublished(Fact):
    """A roster version came into force: services that check who sold an order follow it from here."""

    event_type: ClassVar[str] = "com.orderdesk.roster.published.v1"
    topic: ClassVar[str] = "roster.published"
    announces_state: ClassVar[bool] = True

    version: str
    reps: list[RosterRep]

    @property
    def subject(self) -> str:
        """`roster`: one key, so versions stay in the order they were published."""
        return "roster"
