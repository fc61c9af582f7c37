"""Intake's handlers: accept a submitted order, and follow it through the later stages."""

from datetime import date

from intake import repository
from intake.domain.lifecycle import advance, state_after_fallout, state_for_stage
from intake.domain.validation import IntakeRules, Validation, validate
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


async def submit_order(
    order: ProductOrder, uow: UnitOfWork, *, rules: IntakeRules, today: date, idempotency_key: str | None
) -> Validation:
    """Store a new order, record that it was received, then pass it on validated, or hold it with findings."""
    validation = validate(order, rules, today=today)
    accepted = validation.state is OrderState.IN_PROGRESS
    await repository.insert_order(
        uow.connection,
        order=validation.order,
        state=validation.state,
        stage=Stage.VALIDATED if accepted else Stage.RECEIVED,
        findings=validation.findings,
        idempotency_key=idempotency_key,
    )
    uow.emit(OrderReceived(order_id=order.id, order_version=1, order=validation.order))
    if accepted:
        uow.emit(OrderValidated(order_id=order.id, order_version=1, order=validation.order))
    else:
        kind = FalloutKind.PENDING if validation.state is OrderState.PENDING else FalloutKind.REJECTED
        uow.emit(
            OrderFallout(
                order_id=order.id, order_version=1, stage=Stage.VALIDATED, kind=kind, findings=validation.findings
            )
        )
    return validation


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
