"""The service requests the desk opened on orders, as each stands."""

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.service_requests import OrderServiceRequest
from intake.tables import service_requests
from orderdesk_shared.events.intake import ServiceRequest, ServiceRequestStatus

# A list across orders answers at most this many requests, the soonest due first.
LIST_LIMIT = 500
_REQUEST_FIELDS = tuple(ServiceRequest.model_fields)


class ServiceRequests:
    """Service requests, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def save(self, kept: OrderServiceRequest) -> None:
        """Keep a request as it stands now (a new one, or one changed)."""
        row = {"order_id": kept.order_id, "order_version": kept.order_version, **kept.request.model_dump()}
        changed = {name: row[name] for name in ("status", "owner", "changed_by", "changed_at", "note")}
        await self._connection.execute(
            insert(service_requests).values(row).on_conflict_do_update(index_elements=["id"], set_=changed)
        )

    async def get(self, request_id: str, *, for_update: bool = False) -> OrderServiceRequest | None:
        query = sa.select(service_requests).where(service_requests.c.id == request_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).mappings().first()
        return _kept(row) if row else None

    async def of_order(self, order_id: str) -> list[OrderServiceRequest]:
        """The order's requests, oldest first."""
        query = (
            sa.select(service_requests)
            .where(service_requests.c.order_id == order_id)
            .order_by(service_requests.c.opened_at, service_requests.c.id)
        )
        return [_kept(row) for row in (await self._connection.execute(query)).mappings()]

    async def listed(
        self,
        *,
        statuses: Collection[ServiceRequestStatus],
        department: str | None = None,
        owner: str | None = None,
        due_before: datetime | None = None,
    ) -> list[OrderServiceRequest]:
        """The requests in these statuses (of a department, an owner, due before a time), the soonest due first."""
        query = sa.select(service_requests).where(service_requests.c.status.in_([str(s) for s in statuses]))
        if department:
            query = query.where(service_requests.c.department == department)
        if owner:
            query = query.where(service_requests.c.owner == owner)
        if due_before:
            query = query.where(service_requests.c.due_at < due_before)
        query = query.order_by(service_requests.c.due_at, service_requests.c.id).limit(LIST_LIMIT)
        return [_kept(row) for row in (await self._connection.execute(query)).mappings()]


def _kept(row: Mapping[str, Any]) -> OrderServiceRequest:
    request = ServiceRequest.model_validate({name: row[name] for name in _REQUEST_FIELDS})
    return OrderServiceRequest(row["order_id"], row["order_version"], request)
