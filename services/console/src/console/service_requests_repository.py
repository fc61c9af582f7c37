"""The service requests the desk opened on orders, as the work queue lists them: kept by the consumer a poll at a
time from intake's orders.service-requests."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from console.repository import orders_of_person
from console.tables import orders, service_requests
from orderdesk_shared.db.arrays import as_arrays, insert_arrays
from orderdesk_shared.events.intake import ServiceRequestChanged, ServiceRequestStatus

_COLUMNS = tuple(column.name for column in service_requests.c)
# A poll's changes in one statement; a change older than the one kept (late news, or a rebuild meeting the live
# consumer) leaves the request as it is.
_KEEP = insert_arrays(
    service_requests,
    _COLUMNS,
    on_conflict="(id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _COLUMNS if name != "id")
    + f" WHERE EXCLUDED.changed_at > {service_requests.fullname}.changed_at",
)
STILL_OPEN = (ServiceRequestStatus.OPEN, ServiceRequestStatus.IN_PROGRESS)


class ServiceRequests:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def keep(self, changes: Sequence[ServiceRequestChanged]) -> None:
        """Keep each request as the latest of the changes left it."""
        latest: dict[str, ServiceRequestChanged] = {}
        for change in changes:
            kept = latest.get(change.request.id)
            if kept is None or change.request.changed_at > kept.request.changed_at:
                latest[change.request.id] = change
        if latest:
            await self._connection.execute(_KEEP, as_arrays([_row(change) for change in latest.values()]))

    async def still_open(self, *, owned_by_person: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The requests open or in progress, the soonest due first (`owned_by_person`: only on a sales rep's orders)."""
        query = sa.select(service_requests).where(service_requests.c.status.in_([str(s) for s in STILL_OPEN]))
        if owned_by_person:
            mine = sa.select(orders.c.id).where(orders_of_person(owned_by_person))
            query = query.where(service_requests.c.order_id.in_(mine))
        query = query.order_by(service_requests.c.due_at, service_requests.c.id).limit(limit)
        return [dict(row) for row in (await self._connection.execute(query)).mappings()]

    async def reset(self) -> None:
        """Forget every request: a rebuild keeps them again from the topic."""
        await self._connection.execute(sa.text(f"TRUNCATE {service_requests.fullname}"))


def _row(change: ServiceRequestChanged) -> dict[str, Any]:
    request = change.request
    return {
        "id": request.id,
        "order_id": change.order_id,
        "order_version": change.order_version,
        "title": request.title,
        "department": request.department,
        "owner": request.owner,
        "description": request.description,
        "due_at": request.due_at,
        "status": str(request.status),
        "changed_at": request.changed_at,
    }
