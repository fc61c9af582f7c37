"""Queries over fulfillment's hand-offs."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fulfillment_handoff.tables import handoffs
from orderdesk_shared.db import insert_if_absent
from orderdesk_shared.events.fulfillment import BillingLine, ProcessingPath


async def record_handoff(
    connection: AsyncConnection, *, order_id: str, order_version: int, path: ProcessingPath, lines: list[BillingLine]
) -> bool:
    """Store the hand-off; False when this order version was handed off before."""
    return await insert_if_absent(
        connection,
        handoffs,
        order_id=order_id,
        order_version=order_version,
        processing_path=path,
        billing_lines=[line.model_dump(mode="json", by_alias=True) for line in lines],
    )


async def get_handoff(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(handoffs).where(handoffs.c.order_id == order_id))).first()
