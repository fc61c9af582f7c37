"""An order's status as stored: read, locked and saved by the batches of facts the consumers hear, its version,
and the day Operations installed it."""

from collections.abc import Collection, Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.tables import orders
from orderdesk_shared.db.json_columns import json_records
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderStatus


def status_of(row: sa.Row) -> OrderStatus:
    """An order's status, from its row."""
    return OrderStatus(
        version=row.version,
        stage=Stage(row.stage),
        state=OrderState(row.state),
        item_ids=tuple(row.item_ids),
        stopped_at=Stage(row.stopped_at) if row.stopped_at else None,
        findings=tuple(row.findings),
        item_outcomes={item_id: OrderState(outcome) for item_id, outcome in row.item_outcomes.items()},
    )


def status_values(status: OrderStatus) -> dict:
    """An order's status, as the columns it is stored in."""
    return {
        "version": status.version,
        "state": str(status.state),
        "stage": str(status.stage),
        "stopped_at": str(status.stopped_at) if status.stopped_at else None,
        "findings": list(status.findings),
        "item_ids": list(status.item_ids),
        "item_outcomes": {item_id: str(outcome) for item_id, outcome in status.item_outcomes.items()},
    }


_STATUS_COLUMNS = (
    orders.c.id,
    orders.c.version,
    orders.c.stage,
    orders.c.state,
    orders.c.stopped_at,
    orders.c.findings,
    orders.c.item_ids,
    orders.c.item_outcomes,
)


# Built once: every poll of the consumers locks its orders' statuses with it.
_LOCK_STATUSES = (
    sa.select(*_STATUS_COLUMNS)
    .where(orders.c.id == sa.any_(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text))))
    .order_by(orders.c.id)
    .with_for_update()
)


_SAVE_STATUSES = sa.text(
    f"UPDATE {orders.fullname} SET state = saved.state, stage = saved.stage, stopped_at = saved.stopped_at, "
    "findings = saved.findings, item_outcomes = saved.item_outcomes, updated_at = now() "
    "FROM jsonb_to_recordset(CAST(:statuses AS jsonb)) "
    "AS saved(id text, state text, stage text, stopped_at text, findings jsonb, item_outcomes jsonb) "
    f"WHERE {orders.name}.id = saved.id"
)


class Statuses:
    """Orders' statuses, their versions and installation days, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, order_ids: Collection[str]) -> dict[str, OrderStatus]:
        """Each order's status, its row held until commit (locked in id order, so batches wait, not deadlock)."""
        rows = await self._connection.execute(_LOCK_STATUSES, {"order_ids": list(order_ids)})
        return {row.id: status_of(row) for row in rows}

    async def save(self, statuses: Mapping[str, OrderStatus]) -> None:
        """Store each order's new status, in one statement (its version and items stay as they are)."""
        if statuses:
            rows = [{"id": order_id} | status_values(status) for order_id, status in statuses.items()]
            await self._connection.execute(_SAVE_STATUSES, {"statuses": json_records(rows)})

    async def version(self, order_id: str) -> int | None:
        """The order's current version; None when intake does not know the order."""
        return await self._connection.scalar(sa.select(orders.c.version).where(orders.c.id == order_id))

    async def mark_completed(self, order_id: str, *, on: date) -> None:
        """The day Operations last reported an installation of the order."""
        await self._connection.execute(sa.update(orders).where(orders.c.id == order_id).values(completed_on=on))
