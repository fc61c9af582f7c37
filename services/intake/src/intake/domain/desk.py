"""The desk's decisions on an order: cancel it (at once, or by asking Operations to stop the work), or release it
when held as a likely duplicate. Each is what to store and what to announce; a refusal is `NotAllowed`."""

from dataclasses import dataclass
from datetime import datetime

from intake.domain.duplicates import DUPLICATE_ORDER
from intake.domain.lifecycle import CancelRoute, NotAllowed, cancel_route
from intake.domain.records import CancelAsked, CancelRequest, Revision, StoredOrder
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderStatus, advance, fact_of


@dataclass(frozen=True)
class DeskDecision:
    """The order's status after the decision, its history line, and the events that announce it."""

    status: OrderStatus
    revision: Revision
    events: tuple[Fact, ...]


@dataclass(frozen=True)
class Cancellation(DeskDecision):
    request: CancelRequest


def decide_cancel(stored: StoredOrder, asked: CancelAsked, *, request_id: str, now: datetime) -> Cancellation:
    """Cancel an order not installed yet: at once before the hand-off, else by asking Operations to stop the work."""
    at_once = cancel_route(stored.status) is CancelRoute.AT_ONCE
    actor = asked.actor
    why = f"cancelled by {actor}: {asked.reason}" if asked.reason else f"cancelled by {actor}"
    finding = Finding(reason_code="CANCELLED", message=why)
    fallout = OrderFallout(
        order_id=stored.order.id,
        order_version=stored.version,
        stage=stored.stage,
        kind=FalloutKind.CANCELLED if at_once else FalloutKind.CANCELLATION_REQUESTED,
        findings=[finding],
    )
    status = advance(stored.status, fact_of(fallout))
    action = "cancelled" if at_once else "cancellation requested"
    request = CancelRequest(
        id=request_id,
        order_id=stored.order.id,
        order_version=stored.version,
        reason=asked.reason,
        requested_by=actor,
        requested_at=now,
        requested_cancellation_date=asked.requested_date,
        state="done" if at_once else "inProgress",
        effective_at=now if at_once else None,
        outcome="cancelled before the hand-off to Operations" if at_once else None,
        document=asked.document,
    )
    revision = Revision(stored.order.id, stored.version, action, actor, status.state, [finding])
    return Cancellation(status=status, revision=revision, events=(fallout,), request=request)


def decide_release(stored: StoredOrder, *, actor: str, note: str) -> DeskDecision:
    """A specialist judged a likely duplicate a separate order: it moves on validated."""
    held_as_duplicate = any(finding.get("reasonCode") == DUPLICATE_ORDER for finding in stored.status.findings)
    if stored.state is not OrderState.HELD or not held_as_duplicate:
        raise NotAllowed(f"it is {stored.state}, not held as a likely duplicate")
    released = OrderFallout(
        order_id=stored.order.id,
        order_version=stored.version,
        stage=Stage.VALIDATED,
        kind=FalloutKind.RELEASED,
        findings=[Finding(reason_code=DUPLICATE_ORDER, message=f"released by {actor}: {note}")],
    )
    validated = OrderValidated(order_id=stored.order.id, order_version=stored.version, order=stored.order)
    status = advance(advance(stored.status, fact_of(released)), fact_of(validated))
    revision = Revision(stored.order.id, stored.version, "released", actor, status.state, released.findings)
    return DeskDecision(status=status, revision=revision, events=(released, validated))
