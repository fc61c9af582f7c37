"""Fulfillment-handoff's handlers: hand approved orders off (or hold them), release them, drop the work of
corrected and cancelled orders, follow Operations."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from opentelemetry.context import Context

from fulfillment_handoff import repository
from fulfillment_handoff.domain.billing import (
    BillingCode,
    BillingMapping,
    CodeKey,
    billing_date,
    codes_needed,
    map_billing_codes,
)
from fulfillment_handoff.domain.fulfillment import apply_ops_report, report_problems, superseded, unasked_cancel
from fulfillment_handoff.domain.paths import choose_path, engineering_notes
from fulfillment_handoff.reference import FulfillmentRules
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import EngineeringNote, HandOffCancelled, OrderHandedOff, ProcessingPath
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.telemetry import Traced, order_step

log = structlog.get_logger()


async def hand_off(event: OrderApproved, uow: UnitOfWork, context: ServiceContext[FulfillmentRules]) -> None:
    """Hand an approved order to Operations, or hold it until the map has every billing code it needs; never a
    cancelled order or a version a correction replaced (refused as it is stored, in the same statement). A later
    version replaces the one Operations has. Done with the other approved orders of the transaction, before it
    commits (hand_off_orders)."""
    uow.before_commit(with_context(hand_off_orders, context), event)


async def hand_off_orders(
    uow: UnitOfWork, approvals: Sequence[Traced[OrderApproved]], context: ServiceContext[FulfillmentRules]
) -> None:
    """Hand off the approved orders of a transaction with one statement each for their locks, their rows, their
    billing codes and their hand-offs; an order the codes read leave incomplete is held (or handed off after all)
    on its own. A version that a later one of the same transaction replaces is left, as when it comes late."""
    rules, now = context.rules, context.clock()
    latest: dict[str, Traced[OrderApproved]] = {}
    for traced in approvals:
        known = latest.get(traced.item.order_id)
        if known is None or known.item.order_version < traced.item.order_version:
            latest[traced.item.order_id] = traced
    await repository.lock_orders(uow.connection, latest)
    current = await repository.lock_handoffs(uow.connection, latest)
    # Not when this version, or a later one, was settled before.
    due = [
        t
        for t in latest.values()
        if t.item.order_id not in current or current[t.item.order_id].order_version < t.item.order_version
    ]
    codes = await repository.codes_for(
        uow.connection,
        set().union(*(codes_needed(t.item.order, t.item.pricing, rules.markets, t.item.sites) for t in due)),
    )
    complete: list[tuple[Traced[OrderApproved], HandOffPackage, dict[str, object]]] = []
    for traced in due:
        approved, row = traced.item, current.get(traced.item.order_id)
        # What the order's row says: whether this order was held, and the version Operations has.
        standing = {
            "was_held": row is not None and row.state == repository.HELD,
            "replaces_version": row.handed_off_version if row is not None else None,
        }
        on = billing_date(approved.order, today=now.date())
        package = _package(approved, rules, _mapped(approved, rules, codes, on=on), on=on)
        if package.mapping.complete:
            complete.append((traced, package, standing))
        else:
            await _hand_off_or_hold(uow, approved, rules, now=now, trace=traced.trace_context, **standing)
    stored = await repository.save_hand_offs(
        uow.connection, [package.hand_off(traced.item, at=now) for traced, package, _ in complete]
    )
    for traced, package, standing in complete:
        if traced.item.order_id in stored:
            await _announce_hand_off(uow, traced.item, package, trace=traced.trace_context, **standing)
        else:
            log.info("approved order not handed off: corrected since or cancelled", order_id=traced.item.order_id)


async def release_orders_waiting_on(
    uow: UnitOfWork, keys: set[CodeKey], context: ServiceContext[FulfillmentRules]
) -> list[str]:
    """After codes were added: hand off every order they complete; the rest keep waiting. Returns those handed off."""
    rules, now = context.rules, context.clock()
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
                uow, approved, rules, now=now, was_held=True, held_for=held.findings, replaces_version=replaces
            ):
                released.append(order_id)
    return released


@dataclass(frozen=True)
class HandOffPackage:
    """What Operations gets for one version of an order: its billing lines, processing path and notes."""

    mapping: BillingMapping
    path: ProcessingPath
    notes: list[EngineeringNote]
    on: date

    def stored(self, approved: OrderApproved) -> dict[str, object]:
        """The values kept of it, held or handed off."""
        return {
            "order_id": approved.order_id,
            "order_version": approved.order_version,
            "processing_path": self.path.value,
            "billing_lines": [line.model_dump(mode="json", by_alias=True) for line in self.mapping.lines],
            "engineering_notes": [note.model_dump(mode="json", by_alias=True) for note in self.notes],
            "billing_date": self.on,
            "submitted_by": approved.order.submitted_by,
            "sales_reps": [rep.rep_id for rep in approved.order.sales_reps],
        }

    def hand_off(self, approved: OrderApproved, *, at: datetime) -> dict[str, object]:
        """The values repository.save_hand_off stores."""
        return self.stored(approved) | {
            "item_ids": [item.id for item in approved.order.items],
            "findings": [],
            "approved": None,
            "handed_off_at": at,
        }


def _package(approved: OrderApproved, rules: FulfillmentRules, mapping: BillingMapping, *, on: date) -> HandOffPackage:
    facts = {"order": approved.order, "sites": approved.sites, "pricing": approved.pricing, "policy": rules.paths}
    return HandOffPackage(mapping=mapping, path=choose_path(**facts), notes=engineering_notes(**facts), on=on)


async def _hand_off_or_hold(
    uow: UnitOfWork,
    approved: OrderApproved,
    rules: FulfillmentRules,
    *,
    now: datetime,
    was_held: bool,
    replaces_version: int | None,
    held_for: list | None = None,
    trace: Context | None = None,
) -> bool:
    """Hand the order off when every billing code is there (True); else hold it, on tickets for what is missing;
    neither a version corrected since nor a cancelled order (False, nothing stored).

    `held_for`: the findings this same version is held for already, so an unchanged hold is not announced again.
    `replaces_version`: the version Operations has, which this one changes.
    `trace`: the order's trace context, when the hand-off is decided outside it (for a batch).
    """
    on = billing_date(approved.order, today=now.date())
    mapping = await _map(uow, approved, rules, on=on)
    if mapping.missing:
        await repository.lock_billing_map(uow.connection)
        mapping = await _map(uow, approved, rules, on=on)  # a code may have been added while we looked
    package = _package(approved, rules, mapping, on=on)
    if not mapping.complete:
        findings = mapping.findings()
        as_json = [finding.model_dump(mode="json", by_alias=True) for finding in findings]
        if not await repository.save_hold(
            uow.connection,
            **package.stored(approved),
            findings=as_json,
            approved=approved.model_dump(mode="json", by_alias=True),
            held_at=now,
        ):
            log.info("approved order not held: corrected since or cancelled")
            return False
        await repository.wait_on_tickets(uow.connection, approved.order_id, [m.key for m in mapping.missing])
        if as_json != held_for:
            uow.emit(_fallout(approved, FalloutKind.HELD, findings), trace_context=trace)
        return False
    if not await repository.save_hand_off(uow.connection, **package.hand_off(approved, at=now)):
        log.info("approved order not handed off: corrected since or cancelled")
        return False
    await _announce_hand_off(uow, approved, package, was_held=was_held, replaces_version=replaces_version, trace=trace)
    return True


async def _announce_hand_off(
    uow: UnitOfWork,
    approved: OrderApproved,
    package: HandOffPackage,
    *,
    was_held: bool,
    replaces_version: int | None,
    trace: Context | None,
) -> None:
    """The hand-off stored, Operations is told (and the desk, that a held order goes on)."""
    if was_held:
        await repository.release_waits(uow.connection, approved.order_id)
        added = Finding(reason_code="MISSING_BILLING_CODE", message="the missing billing codes were added")
        uow.emit(_fallout(approved, FalloutKind.RELEASED, [added]), trace_context=trace)
    uow.emit(
        OrderHandedOff(
            order_id=approved.order_id,
            order_version=approved.order_version,
            order=approved.order,
            sites=approved.sites,
            pricing=approved.pricing,
            approvals=approved.approvals,
            processing_path=package.path,
            billing_lines=package.mapping.lines,
            engineering_notes=package.notes,
            billing_date=package.on,
            replaces_version=replaces_version,
        ),
        trace_context=trace,
    )


async def _map(uow: UnitOfWork, approved: OrderApproved, rules: FulfillmentRules, *, on: date) -> BillingMapping:
    needed = codes_needed(approved.order, approved.pricing, rules.markets, approved.sites)
    return _mapped(approved, rules, await repository.codes_for(uow.connection, needed), on=on)


def _mapped(
    approved: OrderApproved, rules: FulfillmentRules, codes: Iterable[BillingCode], *, on: date
) -> BillingMapping:
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


async def supersede_earlier_version(event: OrderCorrected, uow: UnitOfWork, context: ServiceContext) -> None:
    """A correction makes every earlier version dead: an earlier version held for billing codes is dropped (the
    one Operations has is replaced when the correction is approved)."""
    await repository.lock_order(uow.connection, event.order_id)
    await repository.note_live_version(uow.connection, event.order_id, event.order_version)
    row = await repository.lock_handoff(uow.connection, event.order_id)
    if row is not None and row.state == repository.HELD and row.order_version < event.order_version:
        await repository.drop_hold(uow.connection, event.order_id, state=repository.SUPERSEDED)
        log.info("hold dropped", order_version=row.order_version, superseded_by=event.order_version)


async def stop_cancelled_order(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
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
        log.info("nothing to stop at Operations", status=handed_off.fulfillment.status, asked=handed_off.cancel_sent)
        return
    await repository.mark_cancel_sent(uow.connection, event.order_id)
    uow.emit(HandOffCancelled(order_id=event.order_id, order_version=handed_off.version, reason=reason))


async def follow_ops_status(event: OpsOrderStatusChanged, uow: UnitOfWork, context: ServiceContext) -> None:
    """Track fulfillment from Operations' reports, checked as the API checks them; a failed install is
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
    if problems := report_problems(event, handed_off, today=context.clock().date()):
        raise PermanentError("; ".join(problem.describe() for problem in problems))
    if unasked := unasked_cancel(event, handed_off):
        raise PermanentError(unasked)
    result = apply_ops_report(handed_off, event)
    if result.ignored_because:
        log.info("ops report changes nothing", status=event.status, because=result.ignored_because)
        await repository.record_ops_report(uow.connection, event, outcome=f"ignored: {result.ignored_because}")
        return
    await repository.record_ops_report(uow.connection, event, outcome="applied")
    await repository.update_fulfillment(uow.connection, event.order_id, result.fulfillment)
    if result.fulfillment.status is OpsStatus.CANCELLED:
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
