"""Queries over commission's ratifications."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ratification import Ratification
from commission.tables import ratifications
from orderdesk_shared.db import insert_or_supersede


async def record_ratification(
    connection: AsyncConnection, *, order_id: str, order_version: int, decision: Ratification
) -> bool:
    """Store the decision; False when this or a later version of the order was ratified before."""
    return await insert_or_supersede(
        connection,
        ratifications,
        order_id=order_id,
        order_version=order_version,
        eligible=decision.eligible,
        commissionable_mrr=decision.commissionable_mrr,
        commission_total=decision.commission_total,
        reps=[rep.model_dump(mode="json", by_alias=True) for rep in decision.reps],
    )


async def get_ratification(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(ratifications).where(ratifications.c.order_id == order_id))).first()
