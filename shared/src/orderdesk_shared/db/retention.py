"""How long a service keeps its bookkeeping rows (outbox, inbox, dead letters), and the purge of those past it."""

import functools
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db.inserts import quoted_column, quoted_table
from orderdesk_shared.messaging import MessagingTables


@dataclass(frozen=True)
class Retention:
    """How long a service keeps its bookkeeping rows, from when they were published, received or dead-lettered.

    Inbox rows must outlive every record still on the topics, or a replay would apply those records again.
    """

    published_outbox: timedelta = timedelta(hours=24)
    # Past the topics' retention (7 days), and the 7 more a record may wait until its log segment rolls.
    inbox: timedelta = timedelta(days=15)
    dead_letters: timedelta = timedelta(days=30)

    def expiring(self, tables: MessagingTables) -> list[tuple[sa.Table, sa.Column, timedelta]]:
        """Each table with the column its rows age by and how long they are kept."""
        return [
            (tables.outbox, tables.outbox.c.published_at, self.published_outbox),
            (tables.inbox, tables.inbox.c.received_at, self.inbox),
            (tables.dead_letters, tables.dead_letters.c.created_at, self.dead_letters),
        ]


DEFAULT_RETENTION = Retention()
# Rows a purge deletes per statement: each batch commits on its own, so no lock is held for long.
PURGE_BATCH_ROWS = 5_000


async def purge_expired(
    connection: AsyncConnection, tables: MessagingTables, retention: Retention, *, max_batches: int | None = None
) -> dict[str, int]:
    """Delete the rows older than their retention, batch by batch, each committed; rows deleted by table name.

    `max_batches` bounds the work per table of one call (a busy relay purges a little each time); None purges all.
    """
    deleted: dict[str, int] = {}
    for table, aged_by, kept_for in retention.expiring(tables):
        deleted[table.name] = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            result = await connection.execute(_purge_statement(table, aged_by.name), {"kept_for": kept_for})
            await connection.commit()
            deleted[table.name] += result.rowcount
            batches += 1
            if result.rowcount < PURGE_BATCH_ROWS:
                break
    return deleted


@functools.cache
def _purge_statement(table: sa.Table, aged_by: str) -> sa.TextClause:
    name = quoted_table(table)
    sql = (
        f"DELETE FROM {name} WHERE ctid = ANY(ARRAY("
        f"SELECT ctid FROM {name} WHERE {quoted_column(aged_by)} < now() - :kept_for LIMIT {PURGE_BATCH_ROWS}))"
    )
    return sa.text(sql).bindparams(sa.bindparam("kept_for", type_=sa.Interval))
