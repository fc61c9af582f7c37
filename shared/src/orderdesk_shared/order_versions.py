"""Which version of an order is still live in a service, and whether the order was cancelled.

Intake corrects an order under its id (the new version supersedes every earlier one) and cancels it.
A service that holds work for an order (a site survey, an approval request, a hold for billing codes)
hears both facts, on orders.corrected and orders.fallout, notes them in its own `order_versions`
table, and asks `refusal` before it acts on an order's version: a late fact about a superseded version
or a cancelled order then changes nothing. Only corrected or cancelled orders have a row.
"""

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection


def order_versions_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "order_versions",
        metadata,
        sa.Column("order_id", sa.Text, primary_key=True),
        # The latest version intake received: every earlier one is superseded.
        sa.Column("live_version", sa.Integer, nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("cancel_reason", sa.Text),
    )


@dataclass(frozen=True)
class Standing:
    """What a service knows of an order's later versions and its cancel."""

    order_id: str
    live_version: int
    cancel_reason: str | None

    def refusal(self, version: int) -> str | None:
        """Why nothing more is to be done for `version` of the order: it was cancelled, or corrected since."""
        if self.cancel_reason is not None:
            return f"order {self.order_id} was cancelled: {self.cancel_reason}"
        if version < self.live_version:
            return f"order {self.order_id} was corrected: version {self.live_version} replaces version {version}"
        return None


async def note_version(connection: AsyncConnection, table: sa.Table, *, order_id: str, version: int) -> None:
    """Remember that `version` of the order was received (its first version needs no row)."""
    if version > 1:
        await connection.execute(_note_version_statement(table), {"order_id": order_id, "version": version})


async def note_cancelled(
    connection: AsyncConnection, table: sa.Table, *, order_id: str, version: int, reason: str
) -> None:
    """Remember that the order was cancelled (a cancelled order gets no later version)."""
    await connection.execute(
        _note_cancel_statement(table), {"order_id": order_id, "version": version, "reason": reason}
    )


async def standing(connection: AsyncConnection, table: sa.Table, order_id: str) -> Standing | None:
    """The order's later versions and cancel as noted; None when it was never corrected nor cancelled."""
    row = (
        await connection.execute(
            sa.select(table.c.live_version, table.c.cancel_reason).where(table.c.order_id == order_id)
        )
    ).first()
    return Standing(order_id, row.live_version, row.cancel_reason) if row else None


async def refusal(connection: AsyncConnection, table: sa.Table, *, order_id: str, version: int) -> str | None:
    """Why nothing more is to be done for this version of the order; None when it is live."""
    known = await standing(connection, table, order_id)
    return known.refusal(version) if known else None


@functools.cache
def _note_version_statement(table: sa.Table) -> sa.TextClause:
    name = postgresql.dialect().identifier_preparer.format_table(table)
    return sa.text(
        f"INSERT INTO {name} (order_id, live_version) VALUES (:order_id, :version) "
        f"ON CONFLICT (order_id) DO UPDATE SET live_version = GREATEST({name}.live_version, EXCLUDED.live_version)"
    )


@functools.cache
def _note_cancel_statement(table: sa.Table) -> sa.TextClause:
    name = postgresql.dialect().identifier_preparer.format_table(table)
    return sa.text(
        f"INSERT INTO {name} (order_id, live_version, cancelled_at, cancel_reason) "
        "VALUES (:order_id, :version, now(), :reason) "
        f"ON CONFLICT (order_id) DO UPDATE SET cancelled_at = COALESCE({name}.cancelled_at, EXCLUDED.cancelled_at), "
        f"cancel_reason = COALESCE({name}.cancel_reason, EXCLUDED.cancel_reason)"
    )
