"""Following an order through the later stages and Operations: the TMF622 state follows their facts, with the one
state mapping every reader shares (orderdesk_shared.order_state); the installed base follows the hand-offs."""

from collections.abc import Sequence
from dataclasses import dataclass

from intake import notifications, repository
from intake.domain.installed_base import ProductChange, changes_handed_off
from intake.notifications import HUB
from orderdesk_shared.consumer import current_delivery
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.order_state import OrderFact, advance, fact_of, findings_json
from orderdesk_shared.telemetry import Traced

log = get_logger(__name__)

SOURCE = "intake"
# Later stages' facts that only move an order on (the hand-off also records the account's products).
PROGRESS_EVENTS = (ServiceabilityQualified, OrderPriced, OrderApproved, OrderRatified, HandOffCancelled)


@dataclass(frozen=True)
class Reported:
    """A fact another service recorded about an order."""

    order_id: str
    fact: OrderFact


def _follow(event: Event, uow: UnitOfWork) -> None:
    if (fact := fact_of(event)) is not None:
        uow.before_commit(apply_facts, Reported(event.order_id, fact))


async def follow_progress(event: Event, uow: UnitOfWork, context: ServiceContext) -> None:
    """A later service moved the order on (or Operations was asked to stop its work): the TMF state follows."""
    _follow(event, uow)


async def follow_hand_off(event: OrderHandedOff, uow: UnitOfWork, context: ServiceContext) -> None:
    """The order went to Operations: it moves on, and the account's products are recorded as handed off."""
    uow.before_commit(record_products, changes_handed_off(event))
    _follow(event, uow)


async def record_products(uow: UnitOfWork, handed_off: Sequence[Traced[list[ProductChange]]]) -> None:
    """The products a batch's hand-offs change, recorded together."""
    await repository.record_product_changes(uow.connection, [change for entry in handed_off for change in entry.item])


async def follow_fallout(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
    """A later service stopped, released or cancelled the order: the TMF state follows, and what stopped it is
    counted for coaching the reps the order names. Intake's own fallout was applied when it was made."""
    delivery = current_delivery()
    if delivery is not None and delivery.source == SOURCE:
        return
    if event.kind in (FalloutKind.REJECTED, FalloutKind.PENDING, FalloutKind.HELD):
        await repository.record_findings_made(
            uow.connection,
            order_id=event.order_id,
            version=event.order_version,
            stage=event.stage,
            findings=findings_json(event.findings),
        )
    _follow(event, uow)


async def follow_operations(event: OpsOrderStatusChanged, uow: UnitOfWork, context: ServiceContext) -> None:
    """Operations' report: installed completes the order (the point of no return: a cancel asked too late fails),
    cancelled ends it, failed stops it for the desk; the account's products follow."""
    current = await repository.get_version(uow.connection, event.order_id)
    if current != event.order_version:
        log.info("an Operations report about another version ignored", version=event.order_version, current=current)
        return
    now = context.clock()
    if event.status is OpsStatus.INSTALLED:
        await repository.mark_completed(uow.connection, event.order_id, on=event.effective_date or now.date())
        await repository.settle_products(uow.connection, event.order_id, installed=True)
        too_late = f"Operations installed the order on {event.effective_date} before the work could be stopped"
        settled = await repository.settle_cancel_requests(
            uow.connection, event.order_id, state="terminatedWithError", outcome=too_late, at=now
        )
    elif event.status is OpsStatus.CANCELLED:
        await repository.settle_products(uow.connection, event.order_id, installed=False)
        stopped = "Operations stopped the work" + (f" on {event.effective_date}" if event.effective_date else "")
        settled = await repository.settle_cancel_requests(
            uow.connection, event.order_id, state="done", outcome=stopped, at=now
        )
    else:
        settled = []
    if settled:
        HUB.notify(uow, notifications.cancel_requests_settled(event.order_id, settled))
    _follow(event, uow)


async def apply_facts(uow: UnitOfWork, reported: Sequence[Traced[Reported]]) -> None:
    """The facts a batch heard, in two statements: lock the orders' statuses, then store those the facts moved; the
    listeners hear of each order whose state they changed."""
    by_order: dict[str, list[OrderFact]] = {}
    for entry in reported:
        by_order.setdefault(entry.item.order_id, []).append(entry.item.fact)
    statuses = await repository.lock_statuses(uow.connection, by_order)
    moved = {}
    for order_id, status in statuses.items():
        after = status
        for fact in by_order[order_id]:
            after = advance(after, fact)
        if after != status:
            moved[order_id] = after
    await repository.save_statuses(uow.connection, moved)
    if changed := {
        order_id: statuses[order_id] for order_id, after in moved.items() if after.state != statuses[order_id].state
    }:
        HUB.notify(uow, notifications.moved(changed))
