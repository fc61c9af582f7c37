"""Fulfillment-handoff's handlers: hand approved orders off (or hold them), release them, drop the work of
corrected and cancelled orders, follow Operations."""

from collections.abc import Sequence
from datetime import datetime
from functools import partial

import structlog
from opentelemetry.context import Context

from fulfillment_handoff.domain.billing import CodeKey, codes_needed
from fulfillment_handoff.domain.fulfillment import decide_ops_report
from fulfillment_handoff.domain.handoff import (
    CANCELLED,
    HELD,
    SUPERSEDED,
    HandOffDecision,
    PriorHandOff,
    decide_cancel,
    decide_hand_off,
)
from fulfillment_handoff.reference import FulfillmentRules
from fulfillment_handoff.repository import handed_off_of, prior_of
from fulfillment_handoff.unit_of_work import FulfillmentUnitOfWork
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.telemetry import Traced, order_step

log = structlog.get_logger()


async def hand_off(event: OrderApproved, uow: FulfillmentUnitOfWork, context: ServiceContext[FulfillmentRules]) -> None:
    """Hand an approved order to Operations, or hold it until the map has every billing code it needs; never a
    cancelled order or a version a correction replaced (refused as it is stored, in the same statement). A later
    version replaces the one Operations has. Done with the other approved orders of the transaction, before it
    commits (hand_off_orders)."""
    uow.before_commit(with_context(hand_off_orders, context), event)


async def hand_off_orders(
    uow: FulfillmentUnitOfWork, approvals: Sequence[Traced[OrderApproved]], context: ServiceContext[FulfillmentRules]
) -> None:
    """Hand off the approved orders of a transaction with one statement each for their locks, their rows, their
    billing codes and their hand-offs; an order the codes read leave incomplete is held (or handed off after all)
    on its own. A version that a later one of the same transaction replaces is left, as when it comes late."""
    rules, now, latest = context.rules, context.clock(), _latest_versions(approvals)
    await uow.orders.lock_all(latest)
    rows = await uow.handoffs.lock_all(latest)
    due = [(t, prior_of(rows.get(order_id))) for order_id, t in latest.items()]
    due = [(t, prior) for t, prior in due if not prior.settled(t.item.order_version)]
    codes = await uow.billing_codes.codes_for(set().union(*(_codes_needed(t.item, rules) for t, _ in due)))
    decide = partial(decide_hand_off, markets=rules.markets, paths=rules.paths, now=now)
    decided = [(t, decide(t.item, codes, prior=prior), prior) for t, prior in due]
    for traced, _, prior in (each for each in decided if each[1].hand_off is None):
        await _hand_off_or_hold(uow, traced.item, rules, now=now, prior=prior, trace=traced.trace_context)
    complete = [(traced, decision) for traced, decision, _ in decided if decision.hand_off is not None]
    stored = await uow.handoffs.save_hand_offs([decision.hand_off for _, decision in complete])
    for traced, decision in complete:
        if decision.order_id in stored:
            await _announce(uow, decision, trace=traced.trace_context)
        else:
            log.info("approved order not handed off: corrected since or cancelled", order_id=decision.order_id)


def _latest_versions(approvals: Sequence[Traced[OrderApproved]]) -> dict[str, Traced[OrderApproved]]:
    latest: dict[str, Traced[OrderApproved]] = {}
    for traced in approvals:
        known = latest.get(traced.item.order_id)
        if known is None or known.item.order_version < traced.item.order_version:
            latest[traced.item.order_id] = traced
    return latest


async def release_orders_waiting_on(
    uow: FulfillmentUnitOfWork, keys: set[CodeKey], context: ServiceContext[FulfillmentRules]
) -> list[str]:
    """After codes were added: hand off every order they complete; the rest keep waiting. Returns those handed off."""
    rules, now = context.rules, context.clock()
    released = []
    for order_id in await uow.tickets.orders_waiting_on(keys):
        # A row locked by a hand-off in flight is left to it: that hand-off waits for the map lock
        # we hold and then reads the codes added here (waiting for its row instead could deadlock).
        held = await uow.handoffs.lock(order_id, skip_locked=True)
        if held is None or held.state != HELD:
            continue
        approved = OrderApproved.model_validate(held.approved)
        async with order_step(uow, order_id, "release on billing codes", version=approved.order_version):
            if await _hand_off_or_hold(uow, approved, rules, now=now, prior=prior_of(held)):
                released.append(order_id)
    return released


async def _hand_off_or_hold(
    uow: FulfillmentUnitOfWork,
    approved: OrderApproved,
    rules: FulfillmentRules,
    *,
    now: datetime,
    prior: PriorHandOff,
    trace: Context | None = None,
) -> bool:
    """Hand the order off when every billing code is there (True); else hold it, on tickets for what is missing;
    neither a version corrected since nor a cancelled order (False, nothing stored). `trace`: the order's trace
    context, when the hand-off is decided outside it (for a batch)."""
    needed = _codes_needed(approved, rules)
    decide = partial(decide_hand_off, approved, markets=rules.markets, paths=rules.paths, prior=prior, now=now)
    decision = decide(await uow.billing_codes.codes_for(needed))
    if decision.waits_on:
        await uow.billing_codes.lock_map()  # a code may have been added while we looked
        decision = decide(await uow.billing_codes.codes_for(needed))
    if decision.hold is not None:
        return await _hold(uow, decision, trace=trace)
    if not await uow.handoffs.save_hand_off(**decision.hand_off):
        log.info("approved order not handed off: corrected since or cancelled")
        return False
    await _announce(uow, decision, trace=trace)
    return True


async def _hold(uow: FulfillmentUnitOfWork, decision: HandOffDecision, *, trace: Context | None) -> bool:
    """Store the hold and its waits (False: an order held is not handed off)."""
    if not await uow.handoffs.save_hold(**decision.hold):
        log.info("approved order not held: corrected since or cancelled")
        return False
    await uow.tickets.wait_on(decision.order_id, decision.waits_on)
    for event in decision.events:
        uow.emit(event, trace_context=trace)
    return False


async def _announce(uow: FulfillmentUnitOfWork, decision: HandOffDecision, *, trace: Context | None) -> None:
    """The hand-off stored, Operations is told (and the desk, that a held order goes on)."""
    if decision.releases_waits:
        await uow.tickets.release_waits(decision.order_id)
    for event in decision.events:
        uow.emit(event, trace_context=trace)


def _codes_needed(approved: OrderApproved, rules: FulfillmentRules) -> set[CodeKey]:
    return codes_needed(approved.order, approved.pricing, rules.markets, approved.sites)


async def supersede_earlier_version(event: OrderCorrected, uow: FulfillmentUnitOfWork, context: ServiceContext) -> None:
    """A correction makes every earlier version dead: an earlier version held for billing codes is dropped (the
    one Operations has is replaced when the correction is approved)."""
    await uow.orders.lock(event.order_id)
    await uow.orders.note_live_version(event.order_id, event.order_version)
    row = await uow.handoffs.lock(event.order_id)
    if row is not None and row.state == HELD and row.order_version < event.order_version:
        await uow.handoffs.drop_hold(event.order_id, state=SUPERSEDED)
        await uow.tickets.release_waits(event.order_id)
        log.info("hold dropped", order_version=row.order_version, superseded_by=event.order_version)


async def stop_cancelled_order(event: OrderFallout, uow: FulfillmentUnitOfWork, context: ServiceContext) -> None:
    """A cancelled order is never handed off: its hold is dropped, and work Operations has not finished is asked
    to stop once (HandOffCancelled); an installed order has nothing left to stop."""
    if event.kind not in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        return
    reason = event.findings[0].message if event.findings else "the order was cancelled"
    await uow.orders.lock(event.order_id)
    await uow.orders.note_cancel(event.order_id, event.order_version, reason)
    if (row := await uow.handoffs.lock(event.order_id)) is None:
        log.info("cancel noted before the order was approved")
        return
    decision = decide_cancel(row.state, handed_off_of(row), order_id=event.order_id, reason=reason)
    if decision.drops_hold:
        await uow.handoffs.drop_hold(event.order_id, state=decision.state)
        await uow.tickets.release_waits(event.order_id)
    elif decision.state is not None:
        await uow.handoffs.set_state(event.order_id, decision.state)
    if decision.stop is None:
        log.info("nothing to stop at Operations", state=row.state, asked=row.cancel_sent_at is not None)
        return
    await uow.handoffs.mark_cancel_sent(event.order_id)
    uow.emit(decision.stop)


async def follow_ops_status(event: OpsOrderStatusChanged, uow: FulfillmentUnitOfWork, context: ServiceContext) -> None:
    """Track fulfillment from Operations' reports, checked as the API checks them; a failed install is
    DOWNSTREAM_REJECT fallout for the desk, a confirmed cancel ends the order here."""
    handed_off = handed_off_of(await uow.handoffs.lock(event.order_id))
    standing = await uow.orders.standing_of(event.order_id)
    decision = decide_ops_report(event, handed_off, standing, today=context.clock().date())
    if decision.refusal is not None:
        raise PermanentError(decision.refusal)
    await uow.ops_reports.record(event, outcome=decision.outcome)
    if decision.fulfillment is None:
        log.info("ops report changes nothing", status=event.status, outcome=decision.outcome)
        return
    await uow.handoffs.update_fulfillment(event.order_id, decision.fulfillment)
    if decision.ends_order:
        await uow.handoffs.set_state(event.order_id, CANCELLED)
    if decision.fallout is not None:
        uow.emit(decision.fallout)
