"""Queries over commission's ratifications."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ratification import Ratification
from commission.tables import ratifications


async def record_ratification(connection: AsyncConnection, *, order_id: str, order_version: int, decision: Ratification) -> bool:
    """Store the decision; False when this order version was ratified before."""
    stored = await connection.execute(
        insert(ratifications)
        .values(
            order_id=order_id,
            order_version=order_version,
            eligible=decision.eligible,
            commissionable_mrr=decision.commissionable_mrr,
            commission_total=decision.commission_total,
            reps=[rep.model_dump(mode="json", by_alias=True) for rep in decision.reps],
        )
        .on_conflict_do_nothing()
        .returning(ratifications.c.order_id)
    )
    return stored.first() is not None


async def get_ratification(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(ratifications).where(ratifications.c.order_id == order_id))).first()
