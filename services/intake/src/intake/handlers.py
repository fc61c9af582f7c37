"""Intake's handlers: accept a submitted order, and follow it through the later stages."""

from intake import repository
from intake.domain.lifecycle import advance, state_after_fallout, state_for_stage
from intake.domain.validation import validate
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger

log = get_logger(__name__)

STAGE_REACHED_BY = {
    ServiceabilityQualified: Stage.QUALIFIED,
    OrderPriced: Stage.PRICED,
    OrderApproved: Stage.APPROVED,
    OrderHandedOff: Stage.HANDED_OFF,
    OrderRatified: Stage.RATIFIED,
}


async def submit_order(order: ProductOrder, uow: UnitOfWork, *, idempotency_key: str | None) -> None:
    """Store a new order, record that it was received, then validate it or reject it with findings."""
    findings = validate(order)
    await repository.insert_order(
        uow.connection,
        order=order,
        state=OrderState.REJECTED if findings else OrderState.IN_PROGRESS,
        stage=Stage.RECEIVED if findings else Stage.VALIDATED,
        findings=findings,
        idempotency_key=idempotency_key,
    )
    uow.emit(OrderReceived(order_id=order.id, order_version=1, order=order))
    if findings:
        uow.emit(
            OrderFallout(
                order_id=order.id, order_version=1, stage=Stage.VALIDATED, kind=FalloutKind.REJECTED, findings=findings
            )
        )
    else:
        uow.emit(OrderValidated(order_id=order.id, order_version=1, order=order))


async def follow_progress(event, uow: UnitOfWork) -> None:
    """Move the order to the stage a later service reached; older or repeated news changes nothing."""
    stored = await repository.get_order(uow.connection, event.order_id, for_update=True)
    if stored is None:
        log.warning("progress for an unknown order ignored", stage=STAGE_REACHED_BY[type(event)])
        return
    stage = advance(stored.stage, STAGE_REACHED_BY[type(event)])
    if stage is None:
        log.info("stale progress ignored", current=stored.stage, reported=STAGE_REACHED_BY[type(event)])
        return
    state = stored.state if stored.state is not OrderState.IN_PROGRESS else state_for_stage(stage)
    await repository.update_progress(uow.connection, event.order_id, state=state, stage=stage)


async def follow_fallout(event: OrderFallout, uow: UnitOfWork) -> None:
    """Reflect a rejection, hold, release or cancellation in the order's TMF state."""
    stored = await repository.get_order(uow.connection, event.order_id, for_update=True)
    if stored is None:
        return
    state = state_after_fallout(stored.state, event.kind)
    if state is not None and state is not stored.state:
        await repository.update_progress(uow.connection, event.order_id, state=state, stage=stored.stage)
