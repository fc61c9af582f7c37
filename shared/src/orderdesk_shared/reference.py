"""Reference data a service follows from the services that own it.

Pricing-approval announces its catalogue (catalogue.published) and commission its rep roster
(roster.published). A service that checks orders against them keeps every version it hears in its
own `reference_versions` table; a `ReferenceBook` rebuilds the service's rules from the versions in
force and rereads which those are every few seconds, so every replica switches soon after an
announcement. Until a kind has been heard, the service's rules come from its seed files.
"""

import time
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import Database
from orderdesk_shared.table_columns import written_at

R = TypeVar("R")
RECHECK_SECONDS = 5.0
CATALOGUE = "catalogue"
ROSTER = "roster"


def reference_versions_table(metadata: sa.MetaData) -> sa.Table:
    """Each version of each kind of reference data announced; the latest received of a kind is in force."""
    return sa.Table(
        "reference_versions",
        metadata,
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        written_at("received_at"),
    )


class ReferenceBook(Generic[R]):
    """A service's rules, rebuilt by `build` from the announced documents in force (by kind)."""

    def __init__(
        self, table: sa.Table, build: Callable[[Mapping[str, dict]], R], *, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        self._table = table
        self._build = build
        self._recheck_seconds = recheck_seconds
        self._rules: R | None = None
        self._versions: dict[str, str] = {}
        self._next_check = 0.0

    @property
    def versions(self) -> dict[str, str]:
        """The version in force of each kind heard so far."""
        return dict(self._versions)

    async def keep(self, connection: AsyncConnection, *, kind: str, version: str, document: dict) -> None:
        """Store an announced version as the one in force (an older one announced again is in force again)."""
        statement = insert(self._table).values(kind=kind, version=version, document=document)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[self._table.c.kind, self._table.c.version],
                set_={"document": statement.excluded.document, "received_at": sa.func.now()},
            )
        )
        self._next_check = 0.0  # this process rereads at its next use

    async def keep_if_later(self, connection: AsyncConnection, *, kind: str, version: str, document: dict) -> bool:
        """For a kind whose versions sort in time order: keep this version only when it is later than every version
        kept, so a record delivered late never replaces a newer one. False when it was not kept."""
        await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(self._table.name + kind))))
        latest = await connection.scalar(
            sa.select(sa.func.max(self._table.c.version)).where(self._table.c.kind == kind)
        )
        if latest is not None and version <= latest:
            return False
        await self.keep(connection, kind=kind, version=version, document=document)
        return True

    async def through(self, database: Database) -> R:
        """The rules, rereading the versions in force over a connection of its own when due."""
        if self._due():
            async with database.engine.connect() as connection:
                await self._refresh(connection)
        return self._current()

    async def within(self, connection: AsyncConnection) -> R:
        """The rules, rereading the versions in force in the caller's transaction when due."""
        if self._due():
            await self._refresh(connection)
        return self._current()

    def _due(self) -> bool:
        """Whether to reread now; the first caller that finds it due takes the turn for everyone."""
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self._recheck_seconds
        return True

    def _current(self) -> R:
        if self._rules is None:
            self._rules = self._build({})
        return self._rules

    async def _refresh(self, connection: AsyncConnection) -> None:
        # Which versions are in force first, and the documents only when that changed: a service following every
        # account of the CRM would otherwise read them all again every few seconds.
        versions = {row.kind: row.version for row in await connection.execute(self._latest(self._table.c.kind))}
        if versions == self._versions and self._rules is not None:
            return
        rows = (await connection.execute(self._latest(self._table.c.kind, self._table.c.document))).all()
        self._rules = self._build({row.kind: row.document for row in rows})
        self._versions = {row.kind: row.version for row in rows}

    def _latest(self, *columns: sa.Column) -> sa.Select:
        """The latest version received of each kind, with `columns`."""
        table = self._table
        return (
            sa.select(*columns, table.c.version)
            .distinct(table.c.kind)
            .order_by(table.c.kind, table.c.received_at.desc())
        )
