"""TMF622 cancellation requests and where they stand."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.tables import cancel_requests, orders


@dataclass(frozen=True)
class CancelRequest:
    id: str
    order_id: str
    order_version: int
    reason: str
    requested_by: str
    requested_at: datetime
    requested_cancellation_date: datetime | None
    state: str
    effective_at: datetime | None
    outcome: str | None
    document: dict | None = None


async def add_cancel_request(connection: AsyncConnection, request: CancelRequest) -> None:
    await connection.execute(sa.insert(cancel_requests).values(vars(request)))


async def get_cancel_request(connection: AsyncConnection, request_id: str) -> CancelRequest | None:
    row = (await connection.execute(sa.select(cancel_requests).where(cancel_requests.c.id == request_id))).first()
    return CancelRequest(**row._asdict()) if row else None


async def list_cancel_requests(
    connection: AsyncConnection, *, order_id: str | None, owned_by: str | None, offset: int, limit: int
) -> tuple[list[CancelRequest], int]:
    """One page of cancellation requests, newest first, and how many match: of one order, of the orders `owned_by`
    submitted or is named on, or all."""
    query = sa.select(cancel_requests)
    if order_id:
        query = query.where(cancel_requests.c.order_id == order_id)
    if owned_by:
        owned = sa.select(orders.c.id).where(orders.c.people.contains([owned_by]))
        query = query.where(cancel_requests.c.order_id.in_(owned))
    total = (await connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await connection.execute(
        query.order_by(cancel_requests.c.requested_at.desc(), cancel_requests.c.id).offset(offset).limit(limit)
    )
    return [CancelRequest(**row._asdict()) for row in rows], total


async def settle_cancel_requests(
    connection: AsyncConnection, order_id: str, *, state: str, outcome: str, at: datetime
) -> list[CancelRequest]:
    """End the order's cancellation request still waiting for Operations; the requests it ended."""
    settled = await connection.execute(
        sa.update(cancel_requests)
        .where(cancel_requests.c.order_id == order_id, cancel_requests.c.state == "inProgress")
        .values(state=state, outcome=outcome, effective_at=at)
        .returning(*cancel_requests.c)
    )
    return [CancelRequest(**row._asdict()) for row in settled]
