"""Corrections and the desk's decisions on an order: correct it (validated again as its next version), cancel it,
release it when held as a likely duplicate."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake import notifications
from intake.domain.acceptance import announcements, assess
from intake.domain.desk import DeskDecision, decide_cancel, decide_release
from intake.domain.lifecycle import check_correctable
from intake.domain.records import CancelRequest, Revision, StoredOrder
from intake.domain.validation import IntakeRules
from intake.handlers.acceptance import hold_likely_duplicates, installed_base, record_findings
from intake.notifications import HUB
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.order_state import OrderStatus
from orderdesk_shared.telemetry import order_step


async def correct_order(
    stored: StoredOrder,
    order: ProductOrder,
    uow: IntakeUnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str,
    request_document: dict,
    channel_findings: Sequence[Finding] = (),
) -> OrderStatus:
    """Validate a corrected order again under its id, as its next version: it moves on validated, or stays stopped
    with new findings; every service drops what it holds for the earlier version. `channel_findings`: what the
    request says that OrderDesk could not use as given (as for submit_order)."""
    version = stored.version + 1
    async with order_step(uow, stored.order.id, "correct order", version=version):
        check_correctable(stored.status)
        installed = await installed_base(uow.installed_base, order, rules)
        assessed = assess(
            order,
            rules,
            now=now,
            installed=installed,
            request_document=request_document,
            version=version,
            channel_findings=channel_findings,
        )
        [new] = await hold_likely_duplicates(uow, [assessed])
        await uow.orders.replace(
            order=new.order, status=new.status, request_document=request_document, fingerprint=new.fingerprint
        )
        revision = Revision(order.id, version, "corrected", actor, new.status.state, list(new.status.findings))
        await uow.history.record([revision])
        await record_findings(uow, order.id, new.status)
        HUB.notify(uow, lambda _: notifications.corrected(stored, new.order, new.status))
        for event in announcements(new.order, new.status, corrected_by=actor):
            uow.emit(event)
        uow.emit(OrderCorrected(order_id=order.id, order_version=version, corrected_by=actor))
        return new.status


async def cancel_order(
    stored: StoredOrder,
    uow: IntakeUnitOfWork,
    *,
    actor: str,
    reason: str,
    requested_date: datetime | None,
    now: datetime,
    document: dict | None = None,
) -> CancelRequest:
    """Cancel an order not installed yet: at once before the hand-off, else by asking Operations to stop the work.
    `document`: the TMF622 request as sent, kept with the cancellation request."""
    async with order_step(uow, stored.order.id, "cancel order", version=stored.version):
        request_id = f"CPO-{uuid.uuid4().hex[:12].upper()}"
        cancel = decide_cancel(
            stored,
            request_id=request_id,
            actor=actor,
            reason=reason,
            requested_date=requested_date,
            now=now,
            document=document,
        )
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
