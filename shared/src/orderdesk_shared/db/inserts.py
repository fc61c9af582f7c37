"""Inserts and upserts written as text statements, each compiled once per table and columns, and the quoting that
statements written as text need."""

import functools
from collections.abc import Collection, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_if_absent(connection: AsyncConnection, table: sa.Table, **values: object) -> bool:
    """Insert a row unless one with the same key exists; True when this call inserted it."""
    inserted = await connection.execute(_conflict_statement(table, tuple(values), on_conflict="DO NOTHING"), values)
    return inserted.first() is not None


async def insert_or_supersede(
    connection: AsyncConnection, table: sa.Table, *, version_column: str = "order_version", **values: object
) -> bool:
    """Insert a row, or replace the one with the same key when this one has a higher version.

    True when this call stored the row; False when the same or a later version was stored before
    (a redelivery, or news about an order that has been corrected since).
    """
    key = {column.name for column in table.primary_key}
    updates = ", ".join(
        f"{quoted_column(column)} = EXCLUDED.{quoted_column(column)}" for column in values if column not in key
    )
    on_conflict = (
        f"({', '.join(map(quoted_column, sorted(key)))}) DO UPDATE SET {updates} "
        f"WHERE {_QUOTE.format_table(table)}.{quoted_column(version_column)} < EXCLUDED.{quoted_column(version_column)}"
    )
    stored = await connection.execute(_conflict_statement(table, tuple(values), on_conflict=on_conflict), values)
    return stored.first() is not None


async def insert_or_update(
    connection: AsyncConnection, table: sa.Table, *, keep_first: Collection[str] = (), **values: object
) -> None:
    """Insert a row, or update the row with the same key to these values.

    A column named in `keep_first` keeps the value the row already has, and takes this one only when it has none.
    """
    await insert_or_update_all(connection, table, [values], keep_first=keep_first)


async def insert_or_update_all(
    connection: AsyncConnection,
    table: sa.Table,
    rows: Sequence[Mapping[str, object]],
    *,
    keep_first: Collection[str] = (),
) -> None:
    """`insert_or_update` for rows with the same columns and distinct keys, sent to the server together."""
    if not rows:
        return
    key = {column.name for column in table.primary_key}
    updates = ", ".join(
        f"{quoted_column(column)} = COALESCE({_QUOTE.format_table(table)}.{quoted_column(column)}, "
        f"EXCLUDED.{quoted_column(column)})"
        if column in keep_first
        else f"{quoted_column(column)} = EXCLUDED.{quoted_column(column)}"
        for column in rows[0]
        if column not in key
    )
    on_conflict = f"({', '.join(map(quoted_column, sorted(key)))}) DO UPDATE SET {updates}"
    await connection.execute(_conflict_statement(table, tuple(rows[0]), on_conflict=on_conflict), list(rows))


async def insert_all(connection: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert rows with the same columns, sent to the server together, with a statement compiled once."""
    if rows:
        await connection.execute(_insert_statement(table, tuple(rows[0])), list(rows))


async def insert_all_if_absent(
    connection: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, object]]
) -> None:
    """Insert each row (same columns) unless one with its key exists, sent to the server together."""
    if rows:
        await connection.execute(_conflict_statement(table, tuple(rows[0]), on_conflict="DO NOTHING"), list(rows))


_QUOTE = postgresql.dialect().identifier_preparer


def quoted_column(name: str) -> str:
    """A column's name as SQL text spells it."""
    return _QUOTE.quote(name)


def quoted_table(table: sa.Table) -> str:
    """The table's schema-qualified name as SQL text spells it, for statements written as text."""
    return _QUOTE.format_table(table)


@functools.cache
def _insert_statement(table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    """INSERT as a text clause made once per table and columns: `sa.insert(table)` is compiled anew, its
    cache key generated, on every call."""
    sql = (
        f"INSERT INTO {_QUOTE.format_table(table)} ({', '.join(map(quoted_column, columns))}) "
        f"VALUES ({', '.join(f':{column}' for column in columns)})"
    )
    return sa.text(sql).bindparams(*(sa.bindparam(column, type_=table.c[column].type) for column in columns))


@functools.cache
def _conflict_statement(table: sa.Table, columns: tuple[str, ...], *, on_conflict: str) -> sa.TextClause:
    """INSERT ... ON CONFLICT ... RETURNING true, as a text clause made once per table, columns and conflict rule.

    SQLAlchemy gives PostgreSQL's INSERT construct no cache key, so executing it compiles it anew every
    time (a tenth of a consumer's CPU); the same SQL as text is compiled once and cached.
    """
    sql = (
        f"INSERT INTO {_QUOTE.format_table(table)} ({', '.join(map(quoted_column, columns))}) "
        f"VALUES ({', '.join(f':{column}' for column in columns)}) ON CONFLICT {on_conflict} RETURNING true"
    )
    return sa.text(sql).bindparams(*(sa.bindparam(column, type_=table.c[column].type) for column in columns))
