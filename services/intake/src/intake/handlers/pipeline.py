"""Following an order through the later stages and Operations: the TMF622 state follows their facts, with the one
state mapping every reader shares (orderdesk_shared.order_state); the installed base follows the hand-offs."""

from collections.abc import Sequence
from dataclasses import dataclass

from intake import notifications
from intake.domain.installed_base import ProductChange, changes_handed_off
from intake.domain.progress import decide_ops_report, moved_statuses
from intake.notifications import HUB
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.consumer import current_delivery
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.order_state import OrderFact, fact_of, findings_json
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


def _follow(event: Event, uow: IntakeUnitOfWork) -> None:
    if (fact := fact_of(event)) is not None:
        uow.before_commit(apply_facts, Reported(event.order_id, fact))


async def follow_progress(event: Event, uow: IntakeUnitOfWork, context: ServiceContext) -> None:
    """A later service moved the order on (or Operations was asked to stop its work): the TMF state follows."""
    _follow(event, uow)


async def follow_hand_off(event: OrderHandedOff, uow: IntakeUnitOfWork, context: ServiceContext) -> None:
    """The order went to Operations: it moves on, and the account's products are recorded as handed off."""
    uow.before_commit(record_products, changes_handed_off(event, at=context.clock()))
    _follow(event, uow)


async def record_products(uow: IntakeUnitOfWork, handed_off: Sequence[Traced[list[ProductChange]]]) -> None:
    """The products a batch's hand-offs change, recorded together."""
    await uow.installed_base.record_changes([change for entry in handed_off for change in entry.item])


async def follow_fallout(event: OrderFallout, uow: IntakeUnitOfWork, context: ServiceContext) -> None:
    """A later service stopped, released or cancelled the order: the TMF state follows, and what stopped it is
    counted for coaching the reps the order names. Intake's own fallout was applied when it was made."""
    delivery = current_delivery()
    if delivery is not None and delivery.source == SOURCE:
        return
    if event.kind in (FalloutKind.REJECTED, FalloutKind.PENDING, FalloutKind.HELD):
        await uow.findings.record(
            order_id=event.order_id,
            version=event.order_version,
            stage=event.stage,
            findings=findings_json(event.findings),
        )
    _follow(event, uow)


async def follow_operations(event: OpsOrderStatusChanged, uow: IntakeUnitOfWork, context: ServiceContext) -> None:
    """Operations' report: installed completes the order (the point of no return: a cancel asked too late fails),
    cancelled ends it, failed stops it for the desk; the account's products follow."""
    current = await uow.statuses.version(event.order_id)
    if current != event.order_version:
        log.info("an Operations report about another version ignored", version=event.order_version, current=current)
        return
    report = decide_ops_report(event, now=context.clock())
    if report.completed_on:
        await uow.statuses.mark_completed(event.order_id, on=report.completed_on)
    if report.products_installed is not None:
        await uow.installed_base.settle(event.order_id, installed=report.products_installed)
    if ending := report.cancel_requests:
        settled = await uow.cancel_requests.settle(
            event.order_id, state=ending.state, outcome=ending.outcome, at=ending.at
        )
        if settled:
            HUB.notify(uow, notifications.cancel_requests_settled(event.order_id, settled))
    _follow(event, uow)


async def apply_facts(uow: IntakeUnitOfWork, reported: Sequence[Traced[Reported]]) -> None:
    """The facts a batch heard, in two statements: lock the orders' statuses, then store those the facts moved; the
    listeners hear of each order whose state they changed."""
    by_order: dict[str, list[OrderFact]] = {}
    for entry in reported:
        by_order.setdefault(entry.item.order_id, []).append(entry.item.fact)
    statuses = await uow.statuses.lock(by_order)
    moved = moved_statuses(statuses, by_order)
    await uow.statuses.save(moved)
    if changed := {
        order_id: statuses[order_id] for order_id, after in moved.items() if after.state != statuses[order_id].state
    }:
        HUB.notify(uow, notifications.moved(changed))
