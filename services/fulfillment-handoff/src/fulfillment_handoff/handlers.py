"""Fulfillment-handoff's handlers."""

from fulfillment_handoff import repository
from fulfillment_handoff.domain.handoff import billing_lines, processing_path
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.pricing_approval import OrderApproved


async def hand_off(event: OrderApproved, uow: UnitOfWork) -> None:
    """Map an approved order to billing codes and a processing path, and hand it to Operations."""
    path = processing_path(event.order)
    lines = billing_lines(event.order)
    if await repository.record_handoff(
        uow.connection, order_id=event.order_id, order_version=event.order_version, path=path, lines=lines
    ):
        uow.emit(
            OrderHandedOff(
                order_id=event.order_id,
                order_version=event.order_version,
                order=event.order,
                sites=event.sites,
                pricing=event.pricing,
                approvals=event.approvals,
                processing_path=path,
                billing_lines=lines,
            )
        )
