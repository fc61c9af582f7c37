"""What a ratified order's disconnects and downgrades take back of the commission on its account's earlier sales."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from opentelemetry.context import Context

from commission import repository
from commission.domain.ledger import Holding, Posting, adjusted, after, claw_back, debit_downgrade, postings_for
from commission.domain.ratification import OfferingChange, Ratification
from commission.domain.rules import Rules
from commission.handlers.hand_off import HandOff
from commission.handlers.runs import independent_runs
from commission.handlers.traces import KeptTrace, in_trace
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.events.order import OrderType, SalesRep
from orderdesk_shared.telemetry import Traced, order_step


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


async def undo_earlier_sales(
    uow: CommissionUnitOfWork,
    ratified: Sequence[Traced[HandOff]],
    decisions: Mapping[str, Ratification],
    rules: Rules,
) -> None:
    """What the orders' disconnects and downgrades undo of their accounts' earlier sales: a disconnect claws back
    from each sale of the service since the last disconnect, a downgrade debits the latest. A few statements for
    them all: the sales (their ratifications locked), what the ledger holds on them, and the entries; a sale
    undone twice (a disconnect of two of its offerings) is undone again in the next run, from what the first left."""
    undoings = await _undoings(uow, ratified, decisions)
    if not undoings:
        return
    holdings = await uow.ledger.holdings_of({undoing.sale.order_id for undoing in undoings})
    for run in independent_runs(undoings, keys=lambda undoing: (undoing.sale.order_id,)):
        postings = [_undoing_postings(undoing, holdings[undoing.sale.order_id], rules) for undoing in run]
        added = await uow.ledger.add_entries([posting for undone in postings for posting in undone])
        for undoing, undone in zip(run, postings, strict=True):
            await _announce(uow, undoing, [posting for posting in undone if posting.entry_key in added])
            entries = [posting.entry for posting in undone if posting.entry_key in added]
            holdings[undoing.sale.order_id] = after(holdings[undoing.sale.order_id], entries)


async def _undoings(
    uow: CommissionUnitOfWork, ratified: Sequence[Traced[HandOff]], decisions: Mapping[str, Ratification]
) -> list[_Undoing]:
    """Each earlier sale a disconnect or downgrade of the orders undoes, with the change that undoes it."""
    changes = [
        (traced, change)
        for traced in ratified
        for change in decisions[traced.item.event.order_id].offerings
        if traced.item.event.order.order_type is OrderType.DISCONNECT or change.downgraded_mrr
    ]
    if not changes:
        return []
    sales = await uow.accounts.commissioned_sales(
        [
            repository.ServiceQuestion(traced.item.account, change.offering_id, asked_by=traced.item.event.order_id)
            for traced, change in changes
        ]
    )
    return [
        _Undoing(traced.item, change, sale, traced.trace_context)
        for (traced, change), found in zip(changes, sales, strict=True)
        # the latest sale of the service earned the MRC that a downgrade takes away
        for sale in (found if traced.item.event.order.order_type is OrderType.DISCONNECT else found[:1])
    ]


async def _announce(uow: CommissionUnitOfWork, undoing: _Undoing, added: Sequence[Posting]) -> None:
    """Announce the entries added to an earlier sale, in the sale's own trace linked to the order that undid it."""
    sale = undoing.sale
    with in_trace(undoing.cause):
        async with order_step(KeptTrace(sale), sale.order_id, undoing.step, version=sale.order_version):
            for posting in added:
                uow.emit(adjusted(posting, sale.order_version))


def _undoing_postings(undoing: _Undoing, holdings: Mapping[str, Holding], rules: Rules) -> list[Posting]:
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
    return postings_for(sale.order_id, entries, key=key, on=on)
