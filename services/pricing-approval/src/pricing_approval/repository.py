"""Queries over pricing-approval's quotes."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.events.pricing_approval import ApprovalRequirement, Pricing

from pricing_approval.tables import quotes


async def record_quote(
    connection: AsyncConnection,
    *,
    order_id: str,
    order_version: int,
    pricing: Pricing,
    approvals: list[ApprovalRequirement],
    status: str,
) -> bool:
    """Store the priced order; False when this order version was priced before."""
    stored = await connection.execute(
        insert(quotes)
        .values(
            order_id=order_id,
            order_version=order_version,
            status=status,
            pricing=pricing.model_dump(mode="json", by_alias=True),
            required_approvals=[a.model_dump(mode="json", by_alias=True) for a in approvals],
        )
        .on_conflict_do_nothing()
        .returning(quotes.c.order_id)
    )
    return stored.first() is not None


async def get_quote(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(quotes).where(quotes.c.order_id == order_id))).first()
