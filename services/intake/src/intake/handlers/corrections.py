"""Corrections and the desk's decisions on an order: correct it (validated again as its next version), cancel it,
release it when held as a likely duplicate."""

import uuid
from dataclasses import replace
from datetime import datetime

from intake import notifications
from intake.domain.acceptance import Correction, decide_correction
from intake.domain.desk import DeskDecision, decide_cancel, decide_release
from intake.domain.lifecycle import check_correctable
from intake.domain.records import CancelAsked, CancelRequest, StoredOrder, SubmittedOrder
from intake.domain.validation import IntakeRules
from intake.handlers.acceptance import assessed, hold_likely_duplicates, record_findings
from intake.handlers.accounts import open_accounts
from intake.notifications import HUB
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.order_state import OrderStatus
from orderdesk_shared.telemetry import order_step


async def correct_order(
    stored: StoredOrder,
    submitted: SubmittedOrder,
    uow: IntakeUnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str,
) -> OrderStatus:
    """Validate a corrected order again under its id, as its next version: it moves on validated, or stays stopped
    with new findings; every service drops what it holds for the earlier version."""
    version = stored.version + 1
    async with order_step(uow, stored.order.id, "correct order", version=version):
        check_correctable(stored.status)
        corrected = await assessed(uow, submitted, rules, now=now, version=version)
        [new] = await hold_likely_duplicates(uow, await open_accounts(uow, [corrected]))
        correction = decide_correction(new, actor=actor)
        await _store_correction(uow, correction)
        HUB.notify(uow, lambda _: notifications.corrected(stored, new.order, new.status))
        for event in correction.events:
            uow.emit(event)
        return new.status


async def cancel_order(
    stored: StoredOrder, asked: CancelAsked, uow: IntakeUnitOfWork, *, now: datetime
) -> CancelRequest:
    """Cancel an order not installed yet: at once before the hand-off, else by asking Operations to stop the work."""
    async with order_step(uow, stored.order.id, "cancel order", version=stored.version):
        request_id = f"CPO-{uuid.uuid4().hex[:12].upper()}"
        cancel = decide_cancel(stored, asked, request_id=request_id, now=now)
        await _store(uow, stored, cancel)
        await uow.cancel_requests.add(cancel.request)
        for event in cancel.events:
            uow.emit(event)
        HUB.notify(uow, lambda _: notifications.cancelled(stored, cancel.status, cancel.request))
        return cancel.request


async def release_duplicate(stored: StoredOrder, uow: IntakeUnitOfWork, *, actor: str, note: str) -> OrderStatus:
    """A specialist judged a likely duplicate a separate order: it moves on validated."""
    async with order_step(uow, stored.order.id, "release likely duplicate", version=stored.version):
        release = decide_release(stored, actor=actor, note=note)
        await _store(uow, stored, release)
        for event in release.events:
            uow.emit(event)
        after = replace(stored, status=release.status)
        HUB.notify(uow, lambda _: notifications.state_changed(after, before=stored.state))
        return release.status


async def _store(uow: IntakeUnitOfWork, stored: StoredOrder, decision: DeskDecision) -> None:
    """The order's status and history line as the desk's decision leaves them."""
    await uow.statuses.save({stored.order.id: decision.status})
    await uow.history.record([decision.revision])


async def _store_correction(uow: IntakeUnitOfWork, correction: Correction) -> None:
    """The corrected order in place of its earlier version, its history line, and what stopped it (for coaching)."""
    await uow.orders.replace(correction.new)
    await uow.history.record([correction.revision])
    await record_findings(uow, correction.new.order.id, correction.new.status)
