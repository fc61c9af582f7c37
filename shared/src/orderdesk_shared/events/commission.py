"""Events commission records."""

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from orderdesk_shared.events.base import Event, WireModel


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
