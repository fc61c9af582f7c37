"""Corrections and the desk's decisions on an order: correct it (validated again as its next version), cancel it,
release it when held as a likely duplicate."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake import notifications, repository
from intake.domain.duplicates import DUPLICATE_ORDER, fingerprint
from intake.domain.lifecycle import CancelRoute, NotAllowed, cancel_route, check_correctable
from intake.domain.validation import IntakeRules, validate
from intake.handlers.acceptance import (
    announce,
    hold_likely_duplicates,
    installed_base,
    record_findings,
    status_after,
    with_findings,
)
from intake.notifications import HUB
from intake.repository import CancelRequest, NewOrder, Revision, StoredOrder
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.order_state import OrderStatus, advance, fact_of
from orderdesk_shared.telemetry import order_step


async def correct_order(
    stored: StoredOrder,
    order: ProductOrder,
    uow: UnitOfWork,
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
    async with order_step(uow, stored.order.id, "correct order", version=stored.version + 1):
        check_correctable(stored.status)
        installed = await installed_base(uow.connection, order, rules)
        validation = with_findings(validate(order, rules, today=now.date(), installed=installed), channel_findings)
        new = NewOrder(
            validation=validation,
            status=status_after(validation, version=stored.version + 1),
            received_at=now,
            idempotency_key=None,
            request_document=request_document,
            fingerprint=fingerprint(validation.order),
            duplicate_window_days=rules.matrix.likely_duplicate_window_days,
        )
        [new] = await hold_likely_duplicates(uow, [new])
        await repository.replace_order(
            uow.connection,
            order=new.order,
            status=new.status,
            request_document=request_document,
            fingerprint=new.fingerprint,
        )
        await repository.record_revisions(
            uow.connection,
            [Revision(order.id, new.status.version, "corrected", actor, new.status.state, list(new.status.findings))],
        )
        await record_findings(uow, order.id, new.status)
        HUB.notify(uow, lambda _: notifications.corrected(stored, new.order, new.status))
        announce(uow, new.order, new.status, corrected_by=actor)
        uow.emit(OrderCorrected(order_id=order.id, order_version=new.status.version, corrected_by=actor))
        return new.status


async def cancel_order(
    stored: StoredOrder,
    uow: UnitOfWork,
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
        route = cancel_route(stored.status)
        at_once = route is CancelRoute.AT_ONCE
        why = f"cancelled by {actor}: {reason}" if reason else f"cancelled by {actor}"
        finding = Finding(reason_code="CANCELLED", message=why)
        fallout = OrderFallout(
            order_id=stored.order.id,
            order_version=stored.version,
            stage=stored.stage,
            kind=FalloutKind.CANCELLED if at_once else FalloutKind.CANCELLATION_REQUESTED,
            findings=[finding],
        )
        status = advance(stored.status, fact_of(fallout))
        await repository.save_statuses(uow.connection, {stored.order.id: status})
        action = "cancelled" if at_once else "cancellation requested"
        await repository.record_revisions(
            uow.connection, [Revision(stored.order.id, stored.version, action, actor, status.state, [finding])]
        )
        request = CancelRequest(
            id=f"CPO-{uuid.uuid4().hex[:12].upper()}",
            order_id=stored.order.id,
            order_version=stored.version,
            reason=reason,
            requested_by=actor,
            requested_at=now,
            requested_cancellation_date=requested_date,
            state="done" if at_once else "inProgress",
            effective_at=now if at_once else None,
            outcome="cancelled before the hand-off to Operations" if at_once else None,
            document=document,
        )
        await repository.add_cancel_request(uow.connection, request)
        HUB.notify(uow, lambda _: notifications.cancelled(stored, status, request))
        uow.emit(fallout)
        return request


async def release_duplicate(stored: StoredOrder, uow: UnitOfWork, *, actor: str, note: str) -> OrderStatus:
    """A specialist judged a likely duplicate a separate order: it moves on validated."""
    async with order_step(uow, stored.order.id, "release likely duplicate", version=stored.version):
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
        await repository.save_statuses(uow.connection, {stored.order.id: status})
        revision = Revision(stored.order.id, stored.version, "released", actor, status.state, released.findings)
        await repository.record_revisions(uow.connection, [revision])
        HUB.notify(uow, lambda _: notifications.state_changed(replace(stored, status=status), before=stored.state))
        uow.emit(released)
        uow.emit(validated)
        return status
