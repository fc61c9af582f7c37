"""Reps' disputes of their commission, and the history of each."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.tables import dispute_history, disputes


async def open_dispute(
    connection: AsyncConnection, *, dispute_id: str, order_id: str, rep_id: str, claim: str, opened_on: date
) -> None:
    await connection.execute(
        sa.insert(disputes).values(
            dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, state="open", claim=claim, opened_on=opened_on
        )
    )
    await add_dispute_history(connection, dispute_id=dispute_id, actor=rep_id, action="opened", note=claim)


async def add_dispute_history(
    connection: AsyncConnection,
    *,
    dispute_id: str,
    actor: str,
    action: str,
    note: str,
    adjustment: Decimal | None = None,
) -> None:
    await connection.execute(
        sa.insert(dispute_history).values(
            dispute_id=dispute_id, actor=actor, action=action, note=note, adjustment=adjustment
        )
    )


async def open_dispute_of(connection: AsyncConnection, order_id: str, rep_id: str) -> str | None:
    return (
        await connection.execute(
            sa.select(disputes.c.dispute_id).where(
                disputes.c.order_id == order_id, disputes.c.rep_id == rep_id, disputes.c.state == "open"
            )
        )
    ).scalar()


async def get_dispute(connection: AsyncConnection, dispute_id: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(disputes).where(disputes.c.dispute_id == dispute_id)
    return (await connection.execute(query.with_for_update() if for_update else query)).first()


async def list_disputes(
    connection: AsyncConnection, *, state: str | None, rep_id: str | None, limit: int, offset: int
) -> Sequence[sa.Row]:
    """Disputes in `state` (any when None), of one rep or all, longest open first."""
    query = sa.select(disputes)
    if state is not None:
        query = query.where(disputes.c.state == state)
    if rep_id is not None:
        query = query.where(disputes.c.rep_id == rep_id)
    ordered = query.order_by(disputes.c.opened_on, disputes.c.dispute_id).limit(limit).offset(offset)
    return (await connection.execute(ordered)).all()


async def decide_dispute(
    connection: AsyncConnection,
    dispute_id: str,
    *,
    state: str,
    decided_by: str,
    decided_on: date,
    decision: str,
    adjustment: Decimal | None,
) -> None:
    await connection.execute(
        sa.update(disputes)
        .where(disputes.c.dispute_id == dispute_id)
        .values(state=state, decided_by=decided_by, decided_on=decided_on, decision=decision, adjustment=adjustment)
    )
    await add_dispute_history(
        connection, dispute_id=dispute_id, actor=decided_by, action=state, note=decision, adjustment=adjustment
    )


async def history_of(connection: AsyncConnection, dispute_id: str) -> Sequence[sa.Row]:
    return (
        await connection.execute(
            sa.select(dispute_history).where(dispute_history.c.dispute_id == dispute_id).order_by(dispute_history.c.id)
        )
    ).all()
