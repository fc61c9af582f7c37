"""TMF622 cancellation requests and where they stand."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.records import CancelRequest
from intake.tables import cancel_requests, orders


class CancelRequests:
    """TMF622 cancellation requests, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, request: CancelRequest) -> None:
        await self._connection.execute(sa.insert(cancel_requests).values(vars(request)))

    async def get(self, request_id: str) -> CancelRequest | None:
        query = sa.select(cancel_requests).where(cancel_requests.c.id == request_id)
        row = (await self._connection.execute(query)).first()
        return CancelRequest(**row._asdict()) if row else None

    async def page(
        self, *, order_id: str | None, owned_by: str | None, offset: int, limit: int
    ) -> tuple[list[CancelRequest], int]:
        """One page of cancellation requests, newest first, and how many match: of one order, of the orders
        `owned_by` submitted or is named on, or all."""
        query = sa.select(cancel_requests)
        if order_id:
            query = query.where(cancel_requests.c.order_id == order_id)
        if owned_by:
            owned = sa.select(orders.c.id).where(orders.c.people.contains([owned_by]))
            query = query.where(cancel_requests.c.order_id.in_(owned))
        count = sa.select(sa.func.count()).select_from(query.subquery())
        total = (await self._connection.execute(count)).scalar_one()
        rows = await self._connection.execute(
            query.order_by(cancel_requests.c.requested_at.desc(), cancel_requests.c.id).offset(offset).limit(limit)
        )
        return [CancelRequest(**row._asdict()) for row in rows], total

    async def settle(self, order_id: str, *, state: str, outcome: str, at: datetime) -> list[CancelRequest]:
        """End the order's cancellation request still waiting for Operations; the requests it ended."""
        settled = await self._connection.execute(
            sa.update(cancel_requests)
            .where(cancel_requests.c.order_id == order_id, cancel_requests.c.state == "inProgress")
            .values(state=state, outcome=outcome, effective_at=at)
            .returning(*cancel_requests.c)
        )
        return [CancelRequest(**row._asdict()) for row in settled]
