"""The desk's service requests on an order: open one for another department, change its status or owner. Each is
kept as it stands and told on orders.service-requests, for the order's timeline and the work queue."""

import uuid
from datetime import datetime

from intake.domain.records import StoredOrder
from intake.domain.service_requests import (
    Change,
    Opening,
    OrderServiceRequest,
    ServiceRequestKinds,
    change_request,
    open_request,
)
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.telemetry import order_step


async def open_service_request(
    stored: StoredOrder, opening: Opening, uow: IntakeUnitOfWork, *, kinds: ServiceRequestKinds, by: str, now: datetime
) -> OrderServiceRequest:
    """Open a request on the order's current version."""
    async with order_step(uow, stored.order.id, "open service request", version=stored.version):
        decision = open_request(
            kinds,
            opening,
            request_id=f"SR-{uuid.uuid4().hex[:12].upper()}",
            order_id=stored.order.id,
            order_version=stored.version,
            opened_by=by,
            now=now,
        )
        await uow.service_requests.save(decision.kept)
        uow.emit(decision.event)
        return decision.kept


async def change_service_request(
    current: OrderServiceRequest, change: Change, uow: IntakeUnitOfWork, *, by: str, now: datetime
) -> OrderServiceRequest:
    """Give a request its new status and/or owner."""
    async with order_step(uow, current.order_id, "change service request", version=current.order_version):
        decision = change_request(current, change, by=by, now=now)
        await uow.service_requests.save(decision.kept)
        uow.emit(decision.event)
        return decision.kept
