"""Ratifying handed-off orders: decide each order's commission, accrue it for the reps, and announce it."""

from collections.abc import Mapping, Sequence
from datetime import timedelta

from commission import repository
from commission.domain.accrual import Accrual, accrual
from commission.domain.ledger import Holding, adjusted
from commission.domain.ratification import Ratification, offering_locations, ratify
from commission.domain.rules import Rules
from commission.handlers.earlier_sales import undo_earlier_sales
from commission.handlers.hand_off import HandOff
from commission.handlers.operations import apply_reported
from commission.handlers.runs import independent_runs
from commission.handlers.traces import in_trace
from commission.repository import WHOLE_ORDER
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.telemetry import Traced


async def ratify_order(event: OrderHandedOff, uow: CommissionUnitOfWork, context: ServiceContext[Rules]) -> None:
    """Decide a handed-off order's commission, accrue it for the reps, and take back what a disconnect
    or downgrade of the account's service undoes of earlier sales.

    The hand-offs of a whole poll are ratified together just before it commits: a few statements for them all.
    """
    uow.before_commit(with_context(ratify_hand_offs, context), HandOff(event, context.clock().date()))


async def ratify_hand_offs(
    uow: CommissionUnitOfWork, hand_offs: Sequence[Traced[HandOff]], context: ServiceContext[Rules]
) -> None:
    """Ratify the hand-offs as if one after another: in runs of orders of distinct accounts, which share nothing
    commission decides on, each run in a few statements."""
    for run in independent_runs(hand_offs, keys=lambda traced: (traced.item.account, traced.item.event.order_id)):
        await _ratify_together(uow, run, context.rules)


async def _ratify_together(uow: CommissionUnitOfWork, run: Sequence[Traced[HandOff]], rules: Rules) -> None:
    decisions = await _decide(uow, [traced.item for traced in run], rules)
    stored = await uow.ratifications.record([_record(traced.item, decisions) for traced in run])
    ratified = [traced for traced in run if traced.item.event.order_id in stored]
    if not ratified:
        return
    revised = [order_id for order_id, known in stored.items() if known.revised]
    # Only an order ratified before has anything in the ledger.
    holdings = {order_id: {} for order_id in stored} | await uow.ledger.holdings_of(revised)
    accruals = [_accrual(traced.item, decisions, stored, holdings) for traced in ratified]
    added = await uow.ledger.add_entries([posting for accrued in accruals for posting in accrued.postings])
    for traced, accrued in zip(ratified, accruals, strict=True):
        uow.emit(accrued.ratified, trace_context=traced.trace_context)
        for posting in accrued.postings:
            if posting.entry_key in added:
                uow.emit(adjusted(posting, traced.item.event.order_version), trace_context=traced.trace_context)
    for traced in ratified:
        await _apply_reported(uow, traced, stored[traced.item.event.order_id])
    await undo_earlier_sales(uow, ratified, decisions, rules)


async def _decide(uow: CommissionUnitOfWork, hand_offs: Sequence[HandOff], rules: Rules) -> dict[str, Ratification]:
    """Each order's ratification, from what commission knows of its account (orders of distinct accounts)."""
    histories = await uow.accounts.histories([_question(hand_off, rules) for hand_off in hand_offs])
    return {
        hand_off.event.order_id: ratify(
            event=hand_off.event,
            plan=rules.plans.in_effect(hand_off.order_date),
            roster=rules.roster,
            order_date=hand_off.order_date,
            previous_mrc=histories[hand_off.event.order_id].previous_mrcs,
            earlier_sales=histories[hand_off.event.order_id].earlier_sales,
        )
        for hand_off in hand_offs
    }


def _question(hand_off: HandOff, rules: Rules) -> repository.AccountQuestion:
    """What ratifying the order asks of its account's history."""
    duplicate_window = timedelta(days=rules.plans.in_effect(hand_off.order_date).duplicate_window_days)
    return repository.AccountQuestion(
        order_id=hand_off.event.order_id,
        account_key=hand_off.account,
        offering_locations=offering_locations(hand_off.event.order.items),
        order_type=hand_off.event.order.order_type,
        sales_since=hand_off.order_date - duplicate_window,
    )


def _record(hand_off: HandOff, decisions: Mapping[str, Ratification]) -> repository.RatificationRecord:
    return repository.RatificationRecord(
        order_id=hand_off.event.order_id,
        order_version=hand_off.event.order_version,
        order_type=hand_off.event.order.order_type,
        order_date=hand_off.order_date,
        submitted_by=hand_off.event.order.submitted_by,
        decision=decisions[hand_off.event.order_id],
    )


def _accrual(
    hand_off: HandOff,
    decisions: Mapping[str, Ratification],
    stored: Mapping[str, repository.Stored],
    holdings: Mapping[str, Mapping[str, Holding]],
) -> Accrual:
    order_id = hand_off.event.order_id
    reported = stored[order_id].progress
    return accrual(
        hand_off.event,
        decisions[order_id],
        order_date=hand_off.order_date,
        holdings=holdings[order_id],
        installed=reported is not None and WHOLE_ORDER in reported.installed_items,
    )


async def _apply_reported(uow: CommissionUnitOfWork, traced: Traced[HandOff], stored: repository.Stored) -> None:
    """Apply what was reported of the order before it was ratified, but a whole-order install (the accrual is
    payable at once then)."""
    reported = stored.progress
    if reported is not None and WHOLE_ORDER not in reported.installed_items:
        with in_trace(traced.trace_context):
            await apply_reported(uow, traced.item.event.order_id, reported, ratified_on=traced.item.order_date)
