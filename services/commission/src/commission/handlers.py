"""Commission's handlers: ratify a handed-off order, follow it to install or cancel, decide disputes.

Every ledger entry has a key naming the fact it records, so the same fact handled again (a
redelivery, or the topic replayed by another consumer group) adds nothing.
"""

import contextlib
import itertools
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from sqlalchemy import Row

from commission import repository
from commission.domain.ledger import (
    Entry,
    Holding,
    accrue,
    after,
    claw_back,
    debit_downgrade,
    dispute_adjustment,
    dispute_refusal,
    make_payable,
    part_of,
    reverse,
)
from commission.domain.ratification import OfferingChange, Ratification, account_key, ratify, share_of_items
from commission.domain.rules import Rules
from commission.repository import WHOLE_ORDER
from commission.tables import order_correctors
from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RepCommission
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderType, SalesRep
from orderdesk_shared.order_correctors import correctors_of, note_corrector
from orderdesk_shared.telemetry import ORDER_VERSION, Traced, context_from_carrier, order_step

T = TypeVar("T")


@dataclass(frozen=True)
class HandOff:
    """A handed-off order to ratify, and the day it is ratified on."""

    event: OrderHandedOff
    order_date: date

    @property
    def account(self) -> str:
        return _account(self.event)


async def ratify_order(event: OrderHandedOff, uow: UnitOfWork, context: ServiceContext[Rules]) -> None:
    """Decide a handed-off order's commission, accrue it for the reps, and take back what a disconnect
    or downgrade of the account's service undoes of earlier sales.

    The hand-offs of a whole poll are ratified together just before it commits: a few statements for them all.
    """
    uow.before_commit(with_context(ratify_hand_offs, context), HandOff(event, context.clock().date()))


async def ratify_hand_offs(
    uow: UnitOfWork, hand_offs: Sequence[Traced[HandOff]], context: ServiceContext[Rules]
) -> None:
    """Ratify the hand-offs as if one after another: in runs of orders of distinct accounts, which share nothing
    commission decides on, each run in a few statements."""
    for run in independent_runs(hand_offs, keys=lambda traced: (traced.item.account, traced.item.event.order_id)):
        await _ratify_together(uow, run, context.rules)


def independent_runs(items: Sequence[T], *, keys: Callable[[T], Iterable[Hashable]]) -> list[list[T]]:
    """The items cut, in their order, into runs in which no two share a key."""
    runs: list[list[T]] = []
    taken: set[Hashable] = set()
    for item in items:
        item_keys = set(keys(item))
        if not runs or item_keys & taken:
            runs.append([])
            taken = set()
        runs[-1].append(item)
        taken |= item_keys
    return runs


async def _ratify_together(uow: UnitOfWork, run: Sequence[Traced[HandOff]], rules: Rules) -> None:
    decisions = await _decide(uow, [traced.item for traced in run], rules)
    stored = await repository.record_ratifications(
        uow.connection,
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
    holdings = {order_id: {} for order_id in stored} | await repository.holdings_of(uow.connection, revised)
    accruals = {traced.item.event.order_id: _accrual(traced.item, decisions, progress, holdings) for traced in ratified}
    added = await repository.add_entries(uow.connection, list(itertools.chain.from_iterable(accruals.values())))
    for traced in ratified:
        event = traced.item.event
        decision = decisions[event.order_id]
        uow.emit(_ratified(event, decision, traced.item.order_date), trace_context=traced.trace_context)
        for posting in accruals[event.order_id]:
            if posting.entry_key in added:
                uow.emit(_adjusted(posting, event.order_version), trace_context=traced.trace_context)
    for traced in ratified:
        reported = progress.get(traced.item.event.order_id)
        if reported is not None and WHOLE_ORDER not in reported.installed_items:
            with _in_trace(traced.trace_context):
                await _apply_reported(uow, traced.item.event.order_id, reported, ratified_on=traced.item.order_date)
    await _undo_earlier_sales(uow, ratified, decisions, rules)


async def _decide(uow: UnitOfWork, hand_offs: Sequence[HandOff], rules: Rules) -> dict[str, Ratification]:
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
    histories = await repository.account_histories(uow.connection, questions)
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
    return _postings(event.order_id, entries, key=f"v{event.order_version}", on=hand_off.order_date)


@dataclass(frozen=True)
class _Undoing:
    """A disconnect or downgrade of an account's service by a ratified order, and the earlier sale it takes
    commission back from."""

    hand_off: HandOff
    change: OfferingChange
    sale: repository.Sale
    # The trace of the order that undoes the sale.
    cause: Context

    @property
    def step(self) -> str:
        return (
            "claw back commission"
            if self.hand_off.event.order.order_type is OrderType.DISCONNECT
            else "debit downgrade"
        )


async def _undo_earlier_sales(
    uow: UnitOfWork, ratified: Sequence[Traced[HandOff]], decisions: Mapping[str, Ratification], rules: Rules
) -> None:
    """What the orders' disconnects and downgrades undo of their accounts' earlier sales: a disconnect claws back
    from each sale of the service since the last disconnect, a downgrade debits the latest. A few statements for
    them all: the sales (their ratifications locked), what the ledger holds on them, and the entries; a sale
    undone twice (a disconnect of two of its offerings) is undone again in the next run, from what the first left."""
    changes = [
        (traced, change)
        for traced in ratified
        for change in decisions[traced.item.event.order_id].offerings
        if traced.item.event.order.order_type is OrderType.DISCONNECT or change.downgraded_mrr
    ]
    if not changes:
        return
    sales = await repository.commissioned_sales(
        uow.connection,
        [
            repository.ServiceQuestion(traced.item.account, change.offering_id, asked_by=traced.item.event.order_id)
            for traced, change in changes
        ],
    )
    undoings = [
        _Undoing(traced.item, change, sale, traced.trace_context)
        for (traced, change), found in zip(changes, sales, strict=True)
        # the latest sale of the service earned the MRC that a downgrade takes away
        for sale in (found if traced.item.event.order.order_type is OrderType.DISCONNECT else found[:1])
    ]
    holdings = await repository.holdings_of(uow.connection, {undoing.sale.order_id for undoing in undoings})
    for run in independent_runs(undoings, keys=lambda undoing: (undoing.sale.order_id,)):
        postings = [_undoing_postings(undoing, holdings[undoing.sale.order_id], rules) for undoing in run]
        added = await repository.add_entries(uow.connection, list(itertools.chain.from_iterable(postings)))
        for undoing, undone in zip(run, postings, strict=True):
            sale = undoing.sale
            # The earlier sale's entries belong to its own trace, linked to the order that undid them.
            with _in_trace(undoing.cause):
                async with order_step(_KeptTrace(sale), sale.order_id, undoing.step, version=sale.order_version):
                    for posting in undone:
                        if posting.entry_key in added:
                            uow.emit(_adjusted(posting, sale.order_version))
            entries = [posting.entry for posting in undone if posting.entry_key in added]
            holdings[sale.order_id] = after(holdings[sale.order_id], entries)


def _undoing_postings(undoing: _Undoing, holdings: Mapping[str, Holding], rules: Rules) -> list[repository.Posting]:
    event, change, sale, on = undoing.hand_off.event, undoing.change, undoing.sale, undoing.hand_off.order_date
    window_days = rules.plans.in_effect(on).clawback_window_days
    if event.order.order_type is OrderType.DISCONNECT:
        entries = claw_back(
            holdings,
            share_of_order=sale.incremental_mrr / sale.commissionable_mrr,
            installed_on=sale.installed_on,
            disconnected_on=on,
            window_days=window_days,
            reason=f"{change.offering_id} disconnected by {event.order_id} on {on}",
        )
        key = f"clawback/{event.order_id}/{change.offering_id}"
    else:
        entries = debit_downgrade(
            holdings,
            debit=(change.downgraded_mrr * sale.multiplier).quantize(Decimal("0.01")),
            splits=[SalesRep.model_validate(rep) for rep in sale.reps],
            installed_on=sale.installed_on,
            changed_on=on,
            window_days=window_days,
            reason=f"{change.offering_id} downgraded by {change.downgraded_mrr} MRC by {event.order_id} on {on}",
        )
        key = f"downgrade/{event.order_id}/{change.offering_id}"
    return _postings(sale.order_id, entries, key=key, on=on)


@dataclass(frozen=True)
class _KeptTrace:
    """An earlier sale's trace context, read with the sale, for `order_step`."""

    sale: repository.Sale

    async def order_trace(self, order_id: str) -> Context | None:
        return context_from_carrier(self.sale.trace_carrier) if self.sale.trace_carrier else None


@contextlib.contextmanager
def _in_trace(trace_context: Context) -> Iterator[None]:
    """Make `trace_context` current: what is emitted in the block belongs to that trace."""
    token = otel_context.attach(trace_context)
    try:
        yield
    finally:
        otel_context.detach(token)


async def follow_operations(event: OpsOrderStatusChanged, uow: UnitOfWork, context: ServiceContext) -> None:
    """Installed: the commission becomes payable; cancelled (the cancel took effect): what is still accrued is
    reversed — for the whole order, or the items' part when the report names items. Failed: remembered for revenue
    assurance. Accepted, scheduled and rescheduled change nothing."""
    if event.status in (OpsStatus.INSTALLED, OpsStatus.CANCELLED):
        await _settle_items(event, uow, today=context.clock().date())
    elif event.status is OpsStatus.FAILED:
        await repository.record_progress(uow.connection, event.order_id, failure=event.reason or "no reason given")


async def _settle_items(event: OpsOrderStatusChanged, uow: UnitOfWork, *, today: date) -> None:
    """Record what Operations installed or cancelled and move the commission for it; an item's first outcome is the
    one that counts, so an item installed is not cancelled after, nor a cancelled one installed."""
    on = event.effective_date or today
    before = await repository.get_progress(uow.connection, event.order_id)
    settled = [*before.installed_items, *before.cancelled_items] if before else []
    items = [item for item in event.item_ids if item not in settled]
    if event.item_ids and not items:
        return
    installed = event.status is OpsStatus.INSTALLED
    if installed:
        await repository.record_progress(uow.connection, event.order_id, installed_on=on)
    elif not items:
        await repository.record_progress(uow.connection, event.order_id, cancelled_on=on)
    reported = items or [WHOLE_ORDER]
    await repository.record_items(
        uow.connection, event.order_id, installed=reported if installed else (), cancelled=() if installed else reported
    )
    if await repository.get_ratification(uow.connection, event.order_id, for_update=True) is None:
        return  # applied when the hand-off is ratified
    if installed:
        await _make_payable(uow, event.order_id, items, settled=settled, on=on)
    else:
        stopped = "Operations stopped the work before install" + (f": {event.reason}" if event.reason else "")
        await _reverse(uow, event.order_id, items, settled=settled, on=on, reason=stopped)


async def reverse_cancelled_order(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
    """A cancel that took effect before install reverses what is accrued (not a cancel only requested: Operations
    may still install the order; other fallout changes nothing here)."""
    if event.kind is not FalloutKind.CANCELLED:
        return
    cancelled_on = context.clock().date()
    await repository.record_progress(uow.connection, event.order_id, cancelled_on=cancelled_on)
    await repository.record_items(uow.connection, event.order_id, cancelled=[WHOLE_ORDER])
    if await repository.get_ratification(uow.connection, event.order_id, for_update=True) is None:
        return
    reason = "; ".join(finding.message for finding in event.findings) or "cancelled"
    await _reverse(uow, event.order_id, (), settled=(), on=cancelled_on, reason=f"cancelled before install: {reason}")


async def _apply_reported(uow: UnitOfWork, order_id: str, progress: Row, *, ratified_on: date) -> None:
    """What was reported before the order was ratified: the items cancelled, then the items installed, then a
    cancel of the whole order."""
    cancelled = [item for item in progress.cancelled_items if item != WHOLE_ORDER]
    installed = [item for item in progress.installed_items if item != WHOLE_ORDER]
    if cancelled:
        reason = "Operations stopped the work before the order was ratified"
        await _reverse(uow, order_id, cancelled, settled=(), on=ratified_on, reason=reason)
    if installed:
        await _make_payable(uow, order_id, installed, settled=cancelled, on=progress.installed_on)
    if WHOLE_ORDER in progress.cancelled_items:
        on = progress.cancelled_on
        await _reverse(uow, order_id, (), settled=(), on=on, reason=f"cancelled on {on}")


class DisputeRefused(Exception):
    """The dispute cannot be opened or decided as asked; the message says why."""


class NotYoursToDecide(Exception):
    """The analyst is one of the order's people (its submitter, a rep named on it, the rep who raised the dispute):
    another analyst must decide; the message says why."""


async def open_dispute(
    uow: UnitOfWork, *, order_id: str, rep_id: str, claim: str, context: ServiceContext[Rules]
) -> str | None:
    """A rep disputes their commission on an order; None if the rep has no commission on that order."""
    today = context.clock().date()
    async with order_step(uow, order_id, "open commission dispute") as step:
        ratification = await repository.get_ratification(uow.connection, order_id)
        if ratification is None or rep_id not in {rep["repId"] for rep in ratification.reps}:
            return None
        step.set_attribute(ORDER_VERSION, ratification.order_version)
        plan = context.rules.plans.in_effect(ratification.order_date)
        if refusal := dispute_refusal(
            ratified_on=ratification.order_date, today=today, window_days=plan.dispute_window_days
        ):
            raise DisputeRefused(refusal)
        if existing := await repository.open_dispute_of(uow.connection, order_id, rep_id):
            raise DisputeRefused(f"dispute {existing} on this order is still open")
        dispute_id = f"DSP-{uuid.uuid4().hex[:10].upper()}"
        await repository.open_dispute(
            uow.connection, dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, claim=claim, opened_on=today
        )
        return dispute_id


async def remember_corrector(event: OrderCorrected, uow: UnitOfWork, context: ServiceContext) -> None:
    """Whoever corrected an order is one of its people: they never decide a dispute about its commission."""
    await note_corrector(uow.connection, order_correctors, order_id=event.order_id, corrected_by=event.corrected_by)


async def decide_dispute(
    uow: UnitOfWork,
    *,
    dispute_id: str,
    analyst: Principal,
    approve: bool,
    reason: str,
    adjustment: Decimal | None,
    context: ServiceContext,
) -> bool:
    """An analyst approves a dispute with an adjustment to the rep's commission, or rejects it with a reason;
    False if there is no such dispute. Nobody decides a dispute about an order they submitted, corrected or are
    named on."""
    today = context.clock().date()
    dispute = await repository.get_dispute(uow.connection, dispute_id, for_update=True)
    if dispute is None:
        return False
    async with order_step(uow, dispute.order_id, "decide commission dispute") as step:
        ratification = await repository.get_ratification(uow.connection, dispute.order_id, for_update=True)
        step.set_attribute(ORDER_VERSION, ratification.order_version)
        people = access.OrderPeople(
            order_id=dispute.order_id,
            submitted_by=ratification.submitted_by,
            corrected_by=await correctors_of(uow.connection, order_correctors, dispute.order_id),
            reps=frozenset({dispute.rep_id, *(rep["repId"] for rep in ratification.reps)}),
        )
        if refused := access.refusal(analyst, people, access.OrderAction.DECIDE):
            raise NotYoursToDecide(refused.reason)
        if dispute.state != "open":
            raise DisputeRefused(f"dispute {dispute_id} was {dispute.state} already")
        if approve and not adjustment:
            raise DisputeRefused("an approval needs a non-zero adjustment")
        await repository.decide_dispute(
            uow.connection,
            dispute_id,
            state="approved" if approve else "rejected",
            decided_by=analyst.subject,
            decided_on=today,
            decision=reason,
            adjustment=adjustment if approve else None,
        )
        if approve:
            entry = dispute_adjustment(dispute.rep_id, adjustment, reason=f"dispute {dispute_id} approved: {reason}")
            version = ratification.order_version
            await _post(uow, dispute.order_id, version, [entry], key=dispute_id, on=today, dispute_id=dispute_id)
        return True


async def _make_payable(
    uow: UnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str], on: date
) -> None:
    """What is accrued becomes payable: all of it, or the items' part of the commission."""
    ratification, up_to = await _part_for(uow, order_id, items, settled=settled)
    entries = make_payable(await repository.holdings(uow.connection, order_id), installed_on=on, up_to=up_to)
    await _post(uow, order_id, ratification.order_version, entries, key=_key("payable", items), on=on)


async def _reverse(
    uow: UnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str], on: date, reason: str
) -> None:
    """What is still accrued is taken back: all of it, or the items' part of the commission."""
    ratification, up_to = await _part_for(uow, order_id, items, settled=settled)
    if items:
        reason += f" (items {', '.join(items)})"
    entries = reverse(await repository.holdings(uow.connection, order_id), reason=reason, up_to=up_to)
    await _post(uow, order_id, ratification.order_version, entries, key=_key("reversed", items), on=on)


async def _part_for(
    uow: UnitOfWork, order_id: str, items: Sequence[str], *, settled: Sequence[str]
) -> tuple[Row, dict[str, Decimal] | None]:
    """The ratification, and each rep's part of its commission for the items (None: all that is left)."""
    ratification = await repository.get_ratification(uow.connection, order_id, for_update=True)
    if not items:
        return ratification, None
    item_mrr = {item: Decimal(mrr) for item, mrr in ratification.item_mrr.items()}
    reps = [RepCommission.model_validate(rep) for rep in ratification.reps]
    return ratification, part_of(reps, share_of_items(item_mrr, items, settled=settled))


def _key(kind: str, items: Sequence[str]) -> str:
    """The ledger key of a move for the whole order, or for some of its items."""
    return f"{kind}/{','.join(items)}" if items else kind


async def _post(
    uow: UnitOfWork,
    order_id: str,
    order_version: int,
    entries: Sequence[Entry],
    *,
    key: str,
    on: date,
    dispute_id: str | None = None,
) -> None:
    """Append the entries to the ledger and announce each one that was not there yet."""
    postings = _postings(order_id, entries, key=key, on=on, dispute_id=dispute_id)
    added = await repository.add_entries(uow.connection, postings)
    for posting in postings:
        if posting.entry_key in added:
            uow.emit(_adjusted(posting, order_version))


def _postings(
    order_id: str, entries: Sequence[Entry], *, key: str, on: date, dispute_id: str | None = None
) -> list[repository.Posting]:
    return [
        repository.Posting(
            order_id=order_id,
            entry=entry,
            entry_key=f"{order_id}/{key}/{entry.kind}/{entry.rep_id}",
            effective_on=on,
            dispute_id=dispute_id,
        )
        for entry in entries
    ]


def _adjusted(posting: repository.Posting, order_version: int) -> CommissionAdjusted:
    entry = posting.entry
    return CommissionAdjusted(
        order_id=posting.order_id,
        order_version=order_version,
        rep_id=entry.rep_id,
        amount=entry.amount,
        reason=entry.reason,
        kind=str(entry.kind),
        ledger_entry=posting.entry_key,
        accrued_change=entry.accrued_change,
        payable_change=entry.payable_change,
        effective_on=posting.effective_on,
    )


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


def _account(event: OrderHandedOff) -> str:
    return account_key(event.order.account)
