"""Events commission records."""

from decimal import Decimal
from typing import ClassVar

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
    reasons: list[str]
    commissionable_mrr: Decimal
    commission_total: Decimal
    reps: list[RepCommission]


class CommissionAdjusted(Event):
    """A rep's commission on an order changed (payable, reversal, clawback, dispute)."""

    event_type: ClassVar[str] = "com.orderdesk.commission.adjusted.v1"
    topic: ClassVar[str] = "commission.adjusted"

    rep_id: str
    amount: Decimal
    reason: str
