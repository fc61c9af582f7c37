"""Reps' disputes of their commission: opened by the rep, decided by an analyst who is none of the order's people."""

import uuid
from decimal import Decimal

from sqlalchemy import Row

from commission.domain.disputes import DisputeRefused, rule_on_dispute
from commission.domain.ledger import dispute_refusal
from commission.domain.rules import Rules
from commission.handlers.postings import post
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.telemetry import ORDER_VERSION, order_step


async def open_dispute(
    uow: CommissionUnitOfWork, *, order_id: str, rep_id: str, claim: str, context: ServiceContext[Rules]
) -> str | None:
    """A rep disputes their commission on an order; None if the rep has no commission on that order."""
    today = context.clock().date()
    async with order_step(uow, order_id, "open commission dispute") as step:
        ratification = await uow.ratifications.get(order_id)
        if ratification is None or rep_id not in {rep["repId"] for rep in ratification.reps}:
            return None
        step.set_attribute(ORDER_VERSION, ratification.order_version)
        plan = context.rules.plans.in_effect(ratification.order_date)
        if refusal := dispute_refusal(
            ratified_on=ratification.order_date, today=today, window_days=plan.dispute_window_days
        ):
            raise DisputeRefused(refusal)
        if existing := await uow.disputes.open_one_of(order_id, rep_id):
            raise DisputeRefused(f"dispute {existing} on this order is still open")
        dispute_id = f"DSP-{uuid.uuid4().hex[:10].upper()}"
        await uow.disputes.open(dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, claim=claim, opened_on=today)
        return dispute_id


async def remember_corrector(event: OrderCorrected, uow: CommissionUnitOfWork, context: ServiceContext) -> None:
    """Whoever corrected an order is one of its people: they never decide a dispute about its commission."""
    await uow.correctors.note(event.order_id, event.corrected_by)


async def decide_dispute(
    uow: CommissionUnitOfWork,
    *,
    dispute_id: str,
    analyst: Principal,
    approve: bool,
    reason: str,
    adjustment: Decimal | None,
    context: ServiceContext,
) -> bool:
    """An analyst approves a dispute with an adjustment to the rep's commission, or rejects it with a reason; False
    if there is no such dispute. Nobody decides one about an order they submitted, corrected or are named on."""
    today = context.clock().date()
    dispute = await uow.disputes.get(dispute_id, for_update=True)
    if dispute is None:
        return False
    async with order_step(uow, dispute.order_id, "decide commission dispute") as step:
        ratification = await uow.ratifications.get(dispute.order_id, for_update=True)
        step.set_attribute(ORDER_VERSION, ratification.order_version)
        people = await _people(uow, dispute, ratification)
        ruling = rule_on_dispute(dispute, people, analyst, approve=approve, reason=reason, adjustment=adjustment)
        await uow.disputes.decide(dispute_id, ruling, decided_by=analyst.subject, decided_on=today)
        version = ratification.order_version
        await post(uow, dispute.order_id, version, ruling.entries, key=dispute_id, on=today, dispute_id=dispute_id)
        return True


async def _people(uow: CommissionUnitOfWork, dispute: Row, ratification: Row) -> access.OrderPeople:
    """The order's people, the rep who raised the dispute among them."""
    return access.OrderPeople(
        order_id=dispute.order_id,
        submitted_by=ratification.submitted_by,
        corrected_by=await uow.correctors.of(dispute.order_id),
        reps=frozenset({dispute.rep_id, *(rep["repId"] for rep in ratification.reps)}),
    )
