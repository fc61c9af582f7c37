"""Following an order to install or cancel: what Operations and fallout report moves the reps' commission."""

from datetime import date, datetime

from sqlalchemy import Row

from commission.handlers.postings import make_payable, reverse
from commission.repository import WHOLE_ORDER
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus


async def follow_operations(event: OpsOrderStatusChanged, uow: CommissionUnitOfWork, context: ServiceContext) -> None:
    """Installed: the commission becomes payable; cancelled (the cancel took effect): what is still accrued is
    reversed — for the whole order, or the items' part when the report names items. Failed: remembered for revenue
    assurance. Accepted, scheduled and rescheduled change nothing."""
    now = context.clock()
    if event.status in (OpsStatus.INSTALLED, OpsStatus.CANCELLED):
        await _settle_items(event, uow, now=now)
    elif event.status is OpsStatus.FAILED:
        await uow.progress.record(event.order_id, at=now, failure=event.reason or "no reason given")


async def _settle_items(event: OpsOrderStatusChanged, uow: CommissionUnitOfWork, *, now: datetime) -> None:
    """Record what Operations installed or cancelled and move the commission for it; an item's first outcome is the
    one that counts, so an item installed is not cancelled after, nor a cancelled one installed."""
    on = event.effective_date or now.date()
    before = await uow.progress.get(event.order_id)
    settled = [*before.installed_items, *before.cancelled_items] if before else []
    items = [item for item in event.item_ids if item not in settled]
    if event.item_ids and not items:
        return
    installed = event.status is OpsStatus.INSTALLED
    if installed:
        await uow.progress.record(event.order_id, at=now, installed_on=on)
    elif not items:
        await uow.progress.record(event.order_id, at=now, cancelled_on=on)
    reported = items or [WHOLE_ORDER]
    await uow.progress.record_items(
        event.order_id, at=now, installed=reported if installed else (), cancelled=() if installed else reported
    )
    if await uow.ratifications.get(event.order_id, for_update=True) is None:
        return  # applied when the hand-off is ratified
    if installed:
        await make_payable(uow, event.order_id, items, settled=settled, on=on)
    else:
        stopped = "Operations stopped the work before install" + (f": {event.reason}" if event.reason else "")
        await reverse(uow, event.order_id, items, settled=settled, on=on, reason=stopped)


async def reverse_cancelled_order(event: OrderFallout, uow: CommissionUnitOfWork, context: ServiceContext) -> None:
    """A cancel that took effect before install reverses what is accrued (not a cancel only requested: Operations
    may still install the order; other fallout changes nothing here)."""
    if event.kind is not FalloutKind.CANCELLED:
        return
    now = context.clock()
    cancelled_on = now.date()
    await uow.progress.record(event.order_id, at=now, cancelled_on=cancelled_on)
    await uow.progress.record_items(event.order_id, at=now, cancelled=[WHOLE_ORDER])
    if await uow.ratifications.get(event.order_id, for_update=True) is None:
        return
    reason = "; ".join(finding.message for finding in event.findings) or "cancelled"
    await reverse(uow, event.order_id, (), settled=(), on=cancelled_on, reason=f"cancelled before install: {reason}")


async def apply_reported(uow: CommissionUnitOfWork, order_id: str, progress: Row, *, ratified_on: date) -> None:
    """What was reported before the order was ratified: the items cancelled, then the items installed, then a
    cancel of the whole order."""
    cancelled = [item for item in progress.cancelled_items if item != WHOLE_ORDER]
    installed = [item for item in progress.installed_items if item != WHOLE_ORDER]
    if cancelled:
        reason = "Operations stopped the work before the order was ratified"
        await reverse(uow, order_id, cancelled, settled=(), on=ratified_on, reason=reason)
    if installed:
        await make_payable(uow, order_id, installed, settled=cancelled, on=progress.installed_on)
    if WHOLE_ORDER in progress.cancelled_items:
        on = progress.cancelled_on
        await reverse(uow, order_id, (), settled=(), on=on, reason=f"cancelled on {on}")
