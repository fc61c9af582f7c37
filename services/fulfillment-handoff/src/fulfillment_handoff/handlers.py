"""Fulfillment-handoff's handlers: hand approved orders off (or hold them), release them, drop the work of
corrected and cancelled orders, follow Operations."""

from collections.abc import Sequence
from datetime import datetime

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
    latest = _latest_versions(approvals)
    complete = await _complete_hand_offs(uow, latest, context)
    stored = await uow.handoffs.save_hand_offs([decision.hand_off for decision in complete])
    for decision in complete:
        if decision.order_id not in stored:
            log.info("approved order not handed off: corrected since or cancelled", order_id=decision.order_id)
            continue
        if decision.releases_waits:
            await uow.tickets.release_waits(decision.order_id)
        for event in decision.events:
            uow.emit(event, trace_context=latest[decision.order_id].trace_context)


async def _complete_hand_offs(
    uow: FulfillmentUnitOfWork, latest: dict[str, Traced[OrderApproved]], context: ServiceContext[FulfillmentRules]
) -> list[HandOffDecision]:
    """The hand-offs of the orders whose every code the map has, to store together; the others are held (or
    handed off after all) one by one. Not when this version, or a later one, was settled before."""
    rules, now = context.rules, context.clock()
    await uow.orders.lock_all(latest)
    rows = await uow.handoffs.lock_all(latest)
    priors = {order_id: prior_of(rows.get(order_id)) for order_id in latest}
    due = [t.item for t in latest.values() if not priors[t.item.order_id].settled(t.item.order_version)]
    codes = await uow.billing_codes.codes_for(set().union(*(_codes_needed(approved, rules) for approved in due)))
    decisions = [
        decide_hand_off(
            approved, codes, markets=rules.markets, paths=rules.paths, prior=priors[approved.order_id], now=now
        )
        for approved in due
    ]
    for decision in decisions:
        if decision.hold is not None:
            traced, prior = latest[decision.order_id], priors[decision.order_id]
            await _hand_off_or_hold(uow, traced.item, rules, now=now, prior=prior, trace=traced.trace_context)
    return [decision for decision in decisions if decision.hand_off is not None]


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
    decision = await _decided(uow, approved, rules, now=now, prior=prior)
    if decision.hold is not None:
        if stored := await uow.handoffs.save_hold(**decision.hold):
            await uow.tickets.wait_on(decision.order_id, decision.waits_on)
    elif (stored := await uow.handoffs.save_hand_off(**decision.hand_off)) and decision.releases_waits:
        await uow.tickets.release_waits(decision.order_id)
    if not stored:
        log.info("approved order neither held nor handed off: corrected since or cancelled")
        return False
    for event in decision.events:
        uow.emit(event, trace_context=trace)
    return decision.hand_off is not None


async def _decided(
    uow: FulfillmentUnitOfWork, approved: OrderApproved, rules: FulfillmentRules, *, now: datetime, prior: PriorHandOff
) -> HandOffDecision:
    """Decided on the codes the map has; when some are missing, again under the map's lock (a code may have been
    added while we looked)."""
    needed = _codes_needed(approved, rules)
    codes = await uow.billing_codes.codes_for(needed)
    decision = decide_hand_off(approved, codes, markets=rules.markets, paths=rules.paths, prior=prior, now=now)
    if not decision.waits_on:
        return decision
    await uow.billing_codes.lock_map()
    codes = await uow.billing_codes.codes_for(needed)
    return decide_hand_off(approved, codes, markets=rules.markets, paths=rules.paths, prior=prior, now=now)


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
