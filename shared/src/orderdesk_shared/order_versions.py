"""Which version of an order is still live in a service, and whether the order was cancelled.

Intake corrects an order under its id (the new version supersedes every earlier one) and cancels it.
A service that holds work for an order (a site survey, an approval request, a hold for billing codes)
hears both facts, on orders.corrected and orders.fallout, notes them in its own `order_versions`
table, and asks `refusal` before it acts on an order's version (or stores its work with `store_if_live`,
which asks in the same statement): a late fact about a superseded version or a cancelled order then
changes nothing. Only corrected or cancelled orders have a row.
"""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db.json_columns import json_records


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


async def store_if_live(
    connection: AsyncConnection, table: sa.Table, versions: sa.Table, *, only_newer: bool = False, **values: object
) -> bool:
    """Insert the row of an order version (`values` hold its `order_id` and `order_version`), or update the row with
    its key; unless the version is dead by `versions`, and with `only_newer` unless the row holds that version or a
    later one already. One statement, so the check costs no round trip of its own; True when the row was stored."""
    return bool(await store_all_if_live(connection, table, versions, [values], only_newer=only_newer))


async def store_all_if_live(
    connection: AsyncConnection,
    table: sa.Table,
    versions: sa.Table,
    rows: Sequence[Mapping[str, object]],
    *,
    only_newer: bool = False,
) -> set[tuple[str, int]]:
    """`store_if_live` for rows with the same columns and distinct keys, in one statement; the (order id, version)
    of the rows stored."""
    if not rows:
        return set()
    statement = _store_if_live_statement(table, versions, tuple(rows[0]), only_newer=only_newer)
    stored = await connection.execute(statement, {"rows": json_records(rows)})
    return {(row.order_id, row.order_version) for row in stored}


@functools.cache
def _store_if_live_statement(
    table: sa.Table, versions: sa.Table, columns: tuple[str, ...], *, only_newer: bool
) -> sa.TextClause:
    quote, dialect = postgresql.dialect().identifier_preparer, postgresql.dialect()
    name, key = quote.format_table(table), [column.name for column in table.primary_key]
    names = ", ".join(map(quote.quote, columns))
    record = ", ".join(f"{quote.quote(column)} {table.c[column].type.compile(dialect=dialect)}" for column in columns)
    updates = ", ".join(
        f"{quote.quote(column)} = EXCLUDED.{quote.quote(column)}" for column in columns if column not in key
    )
    sql = (
        f"INSERT INTO {name} ({names}) SELECT {names} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS new({record}) "
        f"WHERE NOT EXISTS (SELECT FROM {quote.format_table(versions)} AS known WHERE known.order_id = new.order_id "
        "AND (known.cancel_reason IS NOT NULL OR known.live_version > new.order_version)) "
        f"ON CONFLICT ({', '.join(map(quote.quote, key))}) DO UPDATE SET {updates}"
        + (f" WHERE {name}.order_version < EXCLUDED.order_version" if only_newer else "")
        + " RETURNING order_id, order_version"
    )
    return sa.text(sql).bindparams(sa.bindparam("rows", type_=sa.Text))


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
