"""Queries over pricing-approval's quotes."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import insert_if_absent
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
    return await insert_if_absent(
        connection,
        quotes,
        order_id=order_id,
        order_version=order_version,
        status=status,
        pricing=pricing.model_dump(mode="json", by_alias=True),
        required_approvals=[a.model_dump(mode="json", by_alias=True) for a in approvals],
    )


async def get_quote(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(quotes).where(quotes.c.order_id == order_id))).first()
