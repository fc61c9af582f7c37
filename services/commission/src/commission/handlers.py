"""Commission's handlers."""

from commission import repository
from commission.domain.ratification import ratify
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff


async def ratify_order(event: OrderHandedOff, uow: UnitOfWork) -> None:
    """Decide a handed-off order's commission and record it for the reps."""
    decision = ratify(pricing=event.pricing, reps=event.order.sales_reps)
    if await repository.record_ratification(
        uow.connection, order_id=event.order_id, order_version=event.order_version, decision=decision
    ):
        uow.emit(
            OrderRatified(
                order_id=event.order_id,
                order_version=event.order_version,
                eligible=decision.eligible,
                reasons=decision.reasons,
                commissionable_mrr=decision.commissionable_mrr,
                commission_total=decision.commission_total,
                reps=decision.reps,
            )
        )
