"""Who corrected each order, remembered by every service that lets people decide on it (four eyes).

Intake records each correction on orders.corrected with the person who made it. A service where people approve
an order or decide a dispute about it keeps them in its own `order_correctors` table, so a corrector is one of
the order's people (orderdesk_shared.access) there as the submitter and the named reps are.
"""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import insert_if_absent


def order_correctors_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "order_correctors",
        metadata,
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("corrected_by", sa.Text, primary_key=True),
    )


async def note_corrector(connection: AsyncConnection, table: sa.Table, *, order_id: str, corrected_by: str) -> None:
    await insert_if_absent(connection, table, order_id=order_id, corrected_by=corrected_by)


async def correctors_of(connection: AsyncConnection, table: sa.Table, order_id: str) -> frozenset[str]:
    return frozenset(await connection.scalars(sa.select(table.c.corrected_by).where(table.c.order_id == order_id)))
