"""What Operations or intake said of an order: install and cancel dates, the items installed or cancelled, a
failure."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.tables import order_progress
from orderdesk_shared.db import insert_or_update

# How order_progress names the whole order among the items Operations installed or cancelled.
WHOLE_ORDER = "*"


class OrderProgress:
    """What Operations or intake said of each order."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, order_id: str) -> sa.Row | None:
        return (
            await self._connection.execute(sa.select(order_progress).where(order_progress.c.order_id == order_id))
        ).first()

    async def record(self, order_id: str, *, at: datetime, **facts: object) -> None:
        """Remember what Operations or intake said about the order (`at`: when it was heard); the first install and
        cancel dates stay."""
        await insert_or_update(
            self._connection,
            order_progress,
            keep_first=("installed_on", "cancelled_on"),
            order_id=order_id,
            **facts,
            updated_at=at,
        )

    async def record_items(
        self, order_id: str, *, at: datetime, installed: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        """Add to the items Operations reported installed or cancelled ("*": the whole order), heard `at` a time."""
        added = postgresql.insert(order_progress).values(
            order_id=order_id,
            installed_items=list(installed),
            cancelled_items=list(cancelled),
            updated_at=at,
        )
        await self._connection.execute(
            added.on_conflict_do_update(
                index_elements=[order_progress.c.order_id],
                set_={
                    name: sa.func.array_cat(order_progress.c[name], added.excluded[name])
                    for name in ("installed_items", "cancelled_items")
                }
                | {"updated_at": added.excluded.updated_at},
            )
        )
