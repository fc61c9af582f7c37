"""Fulfillment-handoff's handlers: hand approved orders off (or hold them), release them, drop the work of
corrected and cancelled orders, follow Operations."""

from datetime import UTC, date, datetime

import structlog

from fulfillment_handoff import repository
from fulfillment_handoff.domain.billing import BillingMapping, CodeKey, billing_date, codes_needed, map_billing_codes
from fulfillment_handoff.domain.fulfilment import apply_ops_report, report_problems, superseded, unasked_cancel
from fulfillment_handoff.domain.paths import choose_path, engineering_notes
from fulfillment_handoff.reference import FulfillmentRules, fulfillment_rules
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.telemetry import order_step

log = structlog.get_logger()


async def hand_off(event: OrderApproved, uow: UnitOfWork) -> None:
    """Hand an approved order to Operations, or hold it until the map has every billing code it needs; never a
    cancelled order or a version a correction replaced. A later version replaces the one Operations has."""
    await repository.lock_order(uow.connection, event.order_id)
    current = await repository.lock_handoff(uow.connection, event.order_id)
    if current is not None and current.order_version >= event.order_version:
        return  # this version, or a later one, was settled before
    if refused := await repository.refusal_of(uow.connection, event.order_id, event.order_version):
        log.info("approved order not handed off", because=refused)
        return
    await _hand_off_or_hold(
        uow,
        event,
        fulfillment_rules(),
        today=datetime.now(UTC).date(),
        was_held=current is not None and current.state == repository.HELD,
        replaces_version=current.handed_off_version if current is not None else None,
    )


async def release_orders_waiting_on(uow: UnitOfWork, keys: set[CodeKey]) -> list[str]:
    """After codes were added: hand off every order they complete; the rest keep waiting. Returns those handed off."""
    rules, today = fulfillment_rules(), datetime.now(UTC).date()
    released = []
    for order_id in await repository.orders_waiting_on(uow.connection, keys):
        # A row locked by a hand-off in flight is left to it: that hand-off waits for the map lock
        # we hold and then reads the codes added here (waiting for its row instead could deadlock).
        held = await repository.lock_handoff(uow.connection, order_id, skip_locked=True)
        if held is None or held.state != repository.HELD:
            continue
        approved = OrderApproved.model_validate(held.approved)
        replaces = held.handed_off_version
        async with order_step(uow, order_id, "release on billing codes", version=approved.order_version):
            if await _hand_off_or_hold(
                uow, approved, rules, today=today, was_held=True, held_for=held.findings, replaces_version=replaces
            ):
                released.append(order_id)
    return released


async def _hand_off_or_hold(
    uow: UnitOfWork,
    approved: OrderApproved,
    rules: FulfillmentRules,
    *,
    today: date,
    was_held: bool,
    replaces_version: int | None,
    held_for: list | None = None,
) -> bool:
    """Hand the order off when every billing code is there (True); else hold it, on tickets for what is missing.

    `held_for`: the findings this same version is held for already, so an unchanged hold is not announced again.
    `replaces_version`: the version Operations has, which this one changes.
    """
    on = billing_date(approved.order, today=today)
    mapping = await _map(uow, approved, rules, on=on)
    if mapping.missing:
        await repository.lock_billing_map(uow.connection)
        mapping = await _map(uow, approved, rules, on=on)  # a code may have been added while we looked
    facts = {"order": approved.order, "sites": approved.sites, "pricing": approved.pricing, "policy": rules.paths}
    path, notes = choose_path(**facts), engineering_notes(**facts)
    stored = {
        "order_id": approved.order_id,
        "order_version": approved.order_version,
        "processing_path": path.value,
        "billing_lines": [line.model_dump(mode="json", by_alias=True) for line in mapping.lines],
        "engineering_notes": [note.model_dump(mode="json", by_alias=True) for note in notes],
        "billing_date": on,
        "submitted_by": approved.order.submitted_by,
        "sales_reps": [rep.rep_id for rep in approved.order.sales_reps],
    }
    findings = mapping.findings()
    if not mapping.complete:
        as_json = [finding.model_dump(mode="json", by_alias=True) for finding in findings]
        await repository.save_hold(
            uow.connection,
            **stored,
            findings=as_json,
            approved=approved.model_dump(mode="json", by_alias=True),
            held_at=datetime.now(UTC),
        )
        await repository.wait_on_tickets(uow.connection, approved.order_id, [m.key for m in mapping.missing])
        if as_json != held_for:
            uow.emit(_fallout(approved, FalloutKind.HELD, findings))
        return False
    await repository.save_hand_off(
        uow.connection,
        **stored,
        item_ids=[item.id for item in approved.order.items],
        findings=[],
        approved=None,
        handed_off_at=datetime.now(UTC),
    )
    if was_held:
        await repository.release_waits(uow.connection, approved.order_id)
        added = Finding(reason_code="MISSING_BILLING_CODE", message="the missing billing codes were added")
        uow.emit(_fallout(approved, FalloutKind.RELEASED, [added]))
    uow.emit(
        OrderHandedOff(
            order_id=approved.order_id,
            order_version=approved.order_version,
            order=approved.order,
            sites=approved.sites,
            pricing=approved.pricing,
            approvals=approved.approvals,
            processing_path=path,
            billing_lines=mapping.lines,
            engineering_notes=notes,
            billing_date=on,
            replaces_version=replaces_version,
        )
    )
    return True


async def _map(uow: UnitOfWork, approved: OrderApproved, rules: FulfillmentRules, *, on: date) -> BillingMapping:
    needed = codes_needed(approved.order, approved.pricing, rules.markets, approved.sites)
    codes = await repository.codes_for(uow.connection, needed)
    return map_billing_codes(
        order=approved.order, pricing=approved.pricing, markets=rules.markets, codes=codes, on=on, sites=approved.sites
    )


def _fallout(approved: OrderApproved, kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
    return OrderFallout(
        order_id=approved.order_id,
        order_version=approved.order_version,
        stage=Stage.APPROVED,
        kind=kind,
        findings=findings,
    )


async def supersede_earlier_version(event: OrderCorrected, uow: UnitOfWork) -> None:
    """A correction makes every earlier version dead: an earlier version held for billing codes is dropped (the
    one Operations has is replaced when the correction is approved)."""
    await repository.lock_order(uow.connection, event.order_id)
    await repository.note_live_version(uow.connection, event.order_id, event.order_version)
    row = await repository.lock_handoff(uow.connection, event.order_id)
    if row is not None and row.state == repository.HELD and row.order_version < event.order_version:
        await repository.drop_hold(uow.connection, event.order_id, state=repository.SUPERSEDED)
        log.info("hold dropped", order_version=row.order_version, superseded_by=event.order_version)


async def stop_cancelled_order(event: OrderFallout, uow: UnitOfWork) -> None:
    """A cancelled order is never handed off: its hold is dropped, and work Operations has not finished is asked
    to stop once (HandOffCancelled); an installed order has nothing left to stop."""
    if event.kind not in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        return
    reason = event.findings[0].message if event.findings else "the order was cancelled"
    await repository.lock_order(uow.connection, event.order_id)
    await repository.note_cancel(uow.connection, event.order_id, event.order_version, reason)
    row = await repository.lock_handoff(uow.connection, event.order_id)
    if row is None:
        log.info("cancel noted before the order was approved")
        return
    if row.state == repository.HELD:
        await repository.drop_hold(uow.connection, event.order_id, state=repository.CANCELLED)
    elif row.state == repository.SUPERSEDED:
        await repository.set_state(uow.connection, event.order_id, repository.CANCELLED)
    handed_off = repository.handed_off_of(row)
    if handed_off is None:
        return
    if not handed_off.work_to_stop:
        log.info("nothing to stop at Operations", status=handed_off.fulfilment.status, asked=handed_off.cancel_sent)
        return
    await repository.mark_cancel_sent(uow.connection, event.order_id)
    uow.emit(HandOffCancelled(order_id=event.order_id, order_version=handed_off.version, reason=reason))


async def follow_ops_status(event: OpsOrderStatusChanged, uow: UnitOfWork) -> None:
    """Track fulfilment from Operations' reports, checked as the API checks them; a failed install is
    DOWNSTREAM_REJECT fallout for the desk, a confirmed cancel ends the order here."""
    row = await repository.lock_handoff(uow.connection, event.order_id)
    handed_off = repository.handed_off_of(row)
    if handed_off is None:
        raise PermanentError(f"order {event.order_id} was never handed off to Operations")
    if event.order_version > handed_off.version:
        raise PermanentError(f"order {event.order_id} version {event.order_version} was never handed off")
    if event.order_version < handed_off.version:
        ignored = f"about version {event.order_version}; version {handed_off.version} was handed off since"
        await repository.record_ops_report(uow.connection, event, outcome=f"ignored: {ignored}")
        return
    standing = await repository.standing_of(uow.connection, event.order_id)
    if corrected := superseded(standing, handed_off.version):
        await repository.record_ops_report(uow.connection, event, outcome=f"ignored: {corrected}")
        return
    if problems := report_problems(event, handed_off, today=datetime.now(UTC).date()):
        raise PermanentError("; ".join(problem.describe() for problem in problems))
    if unasked := unasked_cancel(event, handed_off):
        raise PermanentError(unasked)
    result = apply_ops_report(handed_off, event)
    if result.ignored_because:
        log.info("ops report changes nothing", status=event.status, because=result.ignored_because)
        await repository.record_ops_report(uow.connection, event, outcome=f"ignored: {result.ignored_because}")
        return
    await repository.record_ops_report(uow.connection, event, outcome="applied")
    await repository.update_fulfilment(uow.connection, event.order_id, result.fulfilment)
    if result.fulfilment.status is OpsStatus.CANCELLED:
        await repository.set_state(uow.connection, event.order_id, repository.CANCELLED)
    if result.fallout is not None:
        kind, finding = result.fallout
        uow.emit(
            OrderFallout(
                order_id=event.order_id,
                order_version=event.order_version,
                stage=Stage.HANDED_OFF,
                kind=kind,
                findings=[finding],
            )
        )
