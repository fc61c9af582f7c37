"""Commission's handlers: ratify a handed-off order, follow it to install or cancel, decide disputes.

Every ledger entry has a key naming the fact it records, so the same fact handled again (a
redelivery, or the topic replayed by another consumer group) adds nothing.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from commission import repository
from commission.domain.ledger import (
    Entry,
    accrue,
    claw_back,
    debit_downgrade,
    dispute_adjustment,
    dispute_refusal,
    make_payable,
    reverse,
)
from commission.domain.ratification import OfferingChange, Ratification, account_key, ratify
from commission.domain.rules import commission_rules
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderType, SalesRep


def _today() -> date:
    return datetime.now(UTC).date()


async def ratify_order(event: OrderHandedOff, uow: UnitOfWork, *, today: date | None = None) -> None:
    """Decide a handed-off order's commission, accrue it for the reps, and take back what a disconnect
    or downgrade of the account's service undoes of earlier sales."""
    order_date = today or _today()
    rules = commission_rules()
    plan = rules.plans.in_effect(order_date)
    order = event.order
    offering_ids = {item.product_offering_id for item in order.items}
    decision = ratify(
        event=event,
        plan=plan,
        roster=rules.roster,
        order_date=order_date,
        previous_mrc=await repository.previous_mrc(
            uow.connection,
            _account(event),
            offering_ids,
            excluding=event.order_id,
        ),
        earlier_sales=await repository.earlier_sales(
            uow.connection,
            _account(event),
            offering_ids,
            order_type=order.order_type,
            since=order_date - timedelta(days=plan.duplicate_window_days),
            excluding=event.order_id,
        ),
    )
    recorded = await repository.record_ratification(
        uow.connection,
        order_id=event.order_id,
        order_version=event.order_version,
        order_type=order.order_type,
        order_date=order_date,
        decision=decision,
    )
    if not recorded:
        return
    uow.emit(_ratified(event, decision, order_date))
    progress = await repository.get_progress(uow.connection, event.order_id)
    installed = progress is not None and progress.installed_on is not None
    entries = accrue(
        decision.reps,
        await repository.holdings(uow.connection, event.order_id),
        installed=installed,
        reason=f"ratified version {event.order_version}: {decision.commission_total} in all",
    )
    await _post(uow, event.order_id, event.order_version, entries, key=f"v{event.order_version}", on=order_date)
    if progress is not None and progress.cancelled_on is not None and not installed:
        await _reverse(uow, event.order_id, on=progress.cancelled_on, reason=f"cancelled on {progress.cancelled_on}")
    for change in decision.offerings:
        if order.order_type is OrderType.DISCONNECT:
            await _claw_back(uow, event, change, disconnected_on=order_date)
        elif change.downgraded_mrr:
            await _debit_downgrade(uow, event, change, changed_on=order_date)


async def follow_operations(event: OpsOrderStatusChanged, uow: UnitOfWork) -> None:
    """Installed: the order's commission becomes payable. Failed: remembered for revenue assurance."""
    if event.status is OpsStatus.INSTALLED:
        installed_on = event.effective_date or _today()
        await repository.record_progress(uow.connection, event.order_id, installed_on=installed_on)
        progress = await repository.get_progress(uow.connection, event.order_id)
        if progress.cancelled_on is not None and progress.cancelled_on <= progress.installed_on:
            return
        ratification = await repository.get_ratification(uow.connection, event.order_id, for_update=True)
        if ratification is not None:
            entries = make_payable(
                await repository.holdings(uow.connection, event.order_id), installed_on=progress.installed_on
            )
            await _post(uow, event.order_id, ratification.order_version, entries, key="payable", on=installed_on)
    elif event.status is OpsStatus.FAILED:
        await repository.record_progress(uow.connection, event.order_id, failure=event.reason or "no reason given")


async def reverse_cancelled_order(event: OrderFallout, uow: UnitOfWork, *, today: date | None = None) -> None:
    """A cancel before install reverses the order's commission (other fallout changes nothing here)."""
    if event.kind is not FalloutKind.CANCELLED:
        return
    cancelled_on = today or _today()
    await repository.record_progress(uow.connection, event.order_id, cancelled_on=cancelled_on)
    progress = await repository.get_progress(uow.connection, event.order_id)
    if (
        progress.installed_on is not None
        or await repository.get_ratification(uow.connection, event.order_id, for_update=True) is None
    ):
        return
    reason = "; ".join(finding.message for finding in event.findings) or "cancelled"
    await _reverse(uow, event.order_id, on=progress.cancelled_on, reason=f"cancelled before install: {reason}")


class DisputeRefused(Exception):
    """The dispute cannot be opened or decided as asked; the message says why."""


async def open_dispute(
    uow: UnitOfWork, *, order_id: str, rep_id: str, claim: str, today: date | None = None
) -> str | None:
    """A rep disputes their commission on an order; None if the rep has no commission on that order."""
    today = today or _today()
    ratification = await repository.get_ratification(uow.connection, order_id)
    if ratification is None or rep_id not in {rep["repId"] for rep in ratification.reps}:
        return None
    plan = commission_rules().plans.in_effect(ratification.order_date)
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


async def decide_dispute(
    uow: UnitOfWork,
    *,
    dispute_id: str,
    analyst: str,
    approve: bool,
    reason: str,
    adjustment: Decimal | None,
    today: date | None = None,
) -> bool:
    """An analyst approves a dispute with an adjustment to the rep's commission, or rejects it with a reason;
    False if there is no such dispute."""
    today = today or _today()
    dispute = await repository.get_dispute(uow.connection, dispute_id, for_update=True)
    if dispute is None:
        return False
    if dispute.state != "open":
        raise DisputeRefused(f"dispute {dispute_id} was {dispute.state} already")
    if approve and not adjustment:
        raise DisputeRefused("an approval needs a non-zero adjustment")
    await repository.decide_dispute(
        uow.connection,
        dispute_id,
        state="approved" if approve else "rejected",
        decided_by=analyst,
        decided_on=today,
        decision=reason,
        adjustment=adjustment if approve else None,
    )
    if approve:
        ratification = await repository.get_ratification(uow.connection, dispute.order_id, for_update=True)
        entry = dispute_adjustment(dispute.rep_id, adjustment, reason=f"dispute {dispute_id} approved: {reason}")
        await _post(
            uow, dispute.order_id, ratification.order_version, [entry], key=dispute_id, on=today, dispute_id=dispute_id
        )
    return True


async def _claw_back(uow: UnitOfWork, event: OrderHandedOff, change: OfferingChange, *, disconnected_on: date) -> None:
    plan = commission_rules().plans
    for sale in await repository.commissioned_sales(
        uow.connection, _account(event), change.offering_id, excluding=event.order_id
    ):
        await repository.get_ratification(uow.connection, sale.order_id, for_update=True)
        entries = claw_back(
            await repository.holdings(uow.connection, sale.order_id),
            share_of_order=sale.incremental_mrr / sale.commissionable_mrr,
            installed_on=sale.installed_on,
            disconnected_on=disconnected_on,
            window_days=plan.in_effect(disconnected_on).clawback_window_days,
            reason=f"{change.offering_id} disconnected by {event.order_id} on {disconnected_on}",
        )
        key = f"clawback/{event.order_id}/{change.offering_id}"
        await _post(uow, sale.order_id, sale.order_version, entries, key=key, on=disconnected_on)


async def _debit_downgrade(uow: UnitOfWork, event: OrderHandedOff, change: OfferingChange, *, changed_on: date) -> None:
    sales = await repository.commissioned_sales(
        uow.connection, _account(event), change.offering_id, excluding=event.order_id
    )
    if not sales:
        return
    sale = sales[0]  # the latest sale of the service earned the MRC that the downgrade takes away
    await repository.get_ratification(uow.connection, sale.order_id, for_update=True)
    entries = debit_downgrade(
        await repository.holdings(uow.connection, sale.order_id),
        debit=(change.downgraded_mrr * sale.multiplier).quantize(Decimal("0.01")),
        splits=[SalesRep.model_validate(rep) for rep in sale.reps],
        installed_on=sale.installed_on,
        changed_on=changed_on,
        window_days=commission_rules().plans.in_effect(changed_on).clawback_window_days,
        reason=f"{change.offering_id} downgraded by {change.downgraded_mrr} MRC by {event.order_id} on {changed_on}",
    )
    key = f"downgrade/{event.order_id}/{change.offering_id}"
    await _post(uow, sale.order_id, sale.order_version, entries, key=key, on=changed_on)


async def _reverse(uow: UnitOfWork, order_id: str, *, on: date, reason: str) -> None:
    ratification = await repository.get_ratification(uow.connection, order_id, for_update=True)
    entries = reverse(await repository.holdings(uow.connection, order_id), reason=reason)
    await _post(uow, order_id, ratification.order_version, entries, key="reversed", on=on)


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
    for entry in entries:
        entry_key = f"{order_id}/{key}/{entry.kind}/{entry.rep_id}"
        if not await repository.add_entry(
            uow.connection, entry, entry_key=entry_key, order_id=order_id, effective_on=on, dispute_id=dispute_id
        ):
            continue
        uow.emit(
            CommissionAdjusted(
                order_id=order_id,
                order_version=order_version,
                rep_id=entry.rep_id,
                amount=entry.amount,
                reason=entry.reason,
                kind=str(entry.kind),
                ledger_entry=entry_key,
                accrued_change=entry.accrued_change,
                payable_change=entry.payable_change,
                effective_on=on,
            )
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
