"""Ratifying handed-off orders: decide each order's commission, accrue it for the reps, and announce it."""

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import Row

from commission import repository
from commission.domain.ledger import Holding, accrue
from commission.domain.ratification import Ratification, ratify
from commission.domain.rules import Rules
from commission.handlers.earlier_sales import undo_earlier_sales
from commission.handlers.hand_off import HandOff
from commission.handlers.operations import apply_reported
from commission.handlers.postings import adjusted, postings_for
from commission.handlers.runs import independent_runs
from commission.handlers.traces import in_trace
from commission.repository import WHOLE_ORDER
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.events.commission import OrderRatified
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
    stored = await uow.ratifications.record(
        [
            repository.RatificationRecord(
                order_id=hand_off.event.order_id,
                order_version=hand_off.event.order_version,
                order_type=hand_off.event.order.order_type,
                order_date=hand_off.order_date,
                submitted_by=hand_off.event.order.submitted_by,
                decision=decisions[hand_off.event.order_id],
            )
            for hand_off in (traced.item for traced in run)
        ],
    )
    ratified = [traced for traced in run if traced.item.event.order_id in stored]
    if not ratified:
        return
    progress = {order_id: known.progress for order_id, known in stored.items() if known.progress is not None}
    revised = [order_id for order_id, known in stored.items() if known.revised]
    # Only an order ratified before has anything in the ledger.
    holdings = {order_id: {} for order_id in stored} | await uow.ledger.holdings_of(revised)
    accruals = {traced.item.event.order_id: _accrual(traced.item, decisions, progress, holdings) for traced in ratified}
    added = await uow.ledger.add_entries(list(itertools.chain.from_iterable(accruals.values())))
    for traced in ratified:
        event = traced.item.event
        decision = decisions[event.order_id]
        uow.emit(_ratified(event, decision, traced.item.order_date), trace_context=traced.trace_context)
        for posting in accruals[event.order_id]:
            if posting.entry_key in added:
                uow.emit(adjusted(posting, event.order_version), trace_context=traced.trace_context)
    for traced in ratified:
        reported = progress.get(traced.item.event.order_id)
        if reported is not None and WHOLE_ORDER not in reported.installed_items:
            with in_trace(traced.trace_context):
                await apply_reported(uow, traced.item.event.order_id, reported, ratified_on=traced.item.order_date)
    await undo_earlier_sales(uow, ratified, decisions, rules)


async def _decide(uow: CommissionUnitOfWork, hand_offs: Sequence[HandOff], rules: Rules) -> dict[str, Ratification]:
    """Each order's ratification, from what commission knows of its account (orders of distinct accounts)."""
    questions = [
        repository.AccountQuestion(
            order_id=hand_off.event.order_id,
            account_key=hand_off.account,
            offering_ids=frozenset(item.product_offering_id for item in hand_off.event.order.items),
            order_type=hand_off.event.order.order_type,
            sales_since=hand_off.order_date
            - timedelta(days=rules.plans.in_effect(hand_off.order_date).duplicate_window_days),
        )
        for hand_off in hand_offs
    ]
    histories = await uow.accounts.histories(questions)
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


def _accrual(
    hand_off: HandOff,
    decisions: Mapping[str, Ratification],
    progress: Mapping[str, Row],
    holdings: Mapping[str, Mapping[str, Holding]],
) -> list[repository.Posting]:
    """The entries that bring the reps' commission on the order to what was ratified."""
    event = hand_off.event
    decision = decisions[event.order_id]
    reported = progress.get(event.order_id)
    entries = accrue(
        decision.reps,
        holdings[event.order_id],
        installed=reported is not None and WHOLE_ORDER in reported.installed_items,
        reason=f"ratified version {event.order_version}: {decision.commission_total} in all",
    )
    return postings_for(event.order_id, entries, key=f"v{event.order_version}", on=hand_off.order_date)


def _ratified(event: OrderHandedOff, decision: Ratification, order_date: date) -> OrderRatified:
    return OrderRatified(
        order_id=event.order_id,
        order_version=event.order_version,
        eligible=decision.eligible,
        reasons=decision.reasons,
        commissionable_mrr=decision.commissionable_mrr,
        commission_total=decision.commission_total,
        reps=decision.reps,
        explanation=decision.explanation,
        multiplier=decision.multiplier,
        order_date=order_date,
    )
