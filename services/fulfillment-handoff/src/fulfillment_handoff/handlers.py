"""Fulfillment-handoff's handlers: hand approved orders off (or hold them), release them, follow Operations."""

from datetime import UTC, date, datetime

import structlog

from fulfillment_handoff import repository
from fulfillment_handoff.domain.billing import BillingMapping, CodeKey, billing_date, codes_needed, map_billing_codes
from fulfillment_handoff.domain.fulfilment import InvalidOpsReport, apply_ops_report
from fulfillment_handoff.domain.paths import choose_path, engineering_notes
from fulfillment_handoff.reference import FulfillmentRules, fulfillment_rules
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import OrderApproved

log = structlog.get_logger()


async def hand_off(event: OrderApproved, uow: UnitOfWork) -> None:
    """Hand an approved order to Operations, or hold it until the map has every billing code it needs."""
    current = await repository.lock_handoff(uow.connection, event.order_id)
    if current is not None and current.order_version >= event.order_version:
        return  # this version, or a later one, was settled before
    was_held = current is not None and current.state == repository.HELD
    await _hand_off_or_hold(uow, event, fulfillment_rules(), today=datetime.now(UTC).date(), was_held=was_held)


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
        if await _hand_off_or_hold(uow, approved, rules, today=today, was_held=True, held_for=held.findings):
            released.append(order_id)
    return released


async def _hand_off_or_hold(
    uow: UnitOfWork,
    approved: OrderApproved,
    rules: FulfillmentRules,
    *,
    today: date,
    was_held: bool,
    held_for: list | None = None,
) -> bool:
    """Hand the order off when every billing code is there (True); else hold it, on tickets for what is missing.

    `held_for`: the findings this same version is held for already, so an unchanged hold is not announced again.
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
    }
    findings = mapping.findings()
    if not mapping.complete:
        as_json = [finding.model_dump(mode="json", by_alias=True) for finding in findings]
        await repository.save_handoff(
            uow.connection,
            **stored,
            state=repository.HELD,
            findings=as_json,
            approved=approved.model_dump(mode="json", by_alias=True),
            held_at=datetime.now(UTC),
            handed_off_at=None,
        )
        await repository.wait_on_tickets(uow.connection, approved.order_id, [m.key for m in mapping.missing])
        if as_json != held_for:
            uow.emit(_fallout(approved, FalloutKind.HELD, findings))
        return False
    await repository.save_handoff(
        uow.connection,
        **stored,
        state=repository.HANDED_OFF,
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


async def follow_ops_status(event: OpsOrderStatusChanged, uow: UnitOfWork) -> None:
    """Track fulfilment from Operations' reports; a failed install is DOWNSTREAM_REJECT fallout for the desk."""
    handoff = await repository.lock_handoff(uow.connection, event.order_id)
    if handoff is None or handoff.state != repository.HANDED_OFF:
        raise PermanentError(f"order {event.order_id} was never handed off to Operations")
    if event.order_version > handoff.order_version:
        raise PermanentError(f"order {event.order_id} version {event.order_version} was never handed off")
    report = {
        "order_id": event.order_id,
        "order_version": event.order_version,
        "status": event.status,
        "effective_date": event.effective_date,
        "reason": event.reason,
    }
    if event.order_version < handoff.order_version:
        outcome = f"ignored: about version {event.order_version}; version {handoff.order_version} was handed off since"
        await repository.record_ops_report(uow.connection, **report, outcome=outcome)
        return
    try:
        result = apply_ops_report(repository.fulfilment_of(handoff), event)
    except InvalidOpsReport as error:
        raise PermanentError(str(error)) from error
    if result.ignored_because:
        log.info("ops report changes nothing", status=event.status, because=result.ignored_because)
        await repository.record_ops_report(uow.connection, **report, outcome=f"ignored: {result.ignored_because}")
        return
    await repository.record_ops_report(uow.connection, **report, outcome="applied")
    await repository.update_fulfilment(uow.connection, event.order_id, result.fulfilment)
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
