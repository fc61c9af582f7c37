"""The commission ledger: entries added under keys naming the facts they record, and the holdings and balances
they add up to."""

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ledger import Holding, Posting, Statement
from commission.tables import ledger_entries
from orderdesk_shared.db.arrays import as_arrays, insert_arrays

_LEDGER_COLUMNS = (
    "entry_key",
    "rep_id",
    "order_id",
    "kind",
    "accrued_change",
    "payable_change",
    "reason",
    "effective_on",
    "dispute_id",
)
_ADD_ENTRIES = insert_arrays(
    ledger_entries, _LEDGER_COLUMNS, on_conflict="(entry_key) DO NOTHING", returning="entry_key"
)

# One array, so any number of orders is one statement text, prepared once (an IN list is a new text per count).
_ORDER_IDS = sa.cast(sa.bindparam("order_ids", type_=ARRAY(sa.Text)), ARRAY(sa.Text))


class Ledger:
    """The ledger's entries, and the holdings and balances they add up to."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def holdings(self, order_id: str) -> dict[str, Holding]:
        """What the ledger holds per rep on an order."""
        return (await self.holdings_of([order_id]))[order_id]

    async def holdings_of(self, order_ids: Collection[str]) -> dict[str, dict[str, Holding]]:
        """What the ledger holds per rep on each of the orders, by order id."""
        if not order_ids:
            return {}
        rows = await self._connection.execute(
            sa.select(
                ledger_entries.c.order_id,
                ledger_entries.c.rep_id,
                sa.func.sum(ledger_entries.c.accrued_change).label("accrued"),
                sa.func.sum(ledger_entries.c.payable_change).label("payable"),
            )
            .where(ledger_entries.c.order_id == sa.any_(_ORDER_IDS))
            .group_by(ledger_entries.c.order_id, ledger_entries.c.rep_id)
            .order_by(ledger_entries.c.order_id, ledger_entries.c.rep_id),
            {"order_ids": sorted(order_ids)},
        )
        found: dict[str, dict[str, Holding]] = {order_id: {} for order_id in order_ids}
        for row in rows:
            found[row.order_id][row.rep_id] = Holding(accrued=row.accrued, payable=row.payable)
        return found

    async def add_entries(self, postings: Sequence[Posting]) -> set[str]:
        """Append the entries (distinct keys) to the ledger; the keys of those that were not there already."""
        if not postings:
            return set()
        added = await self._connection.execute(
            _ADD_ENTRIES,
            as_arrays(
                [
                    {
                        "entry_key": posting.entry_key,
                        "rep_id": posting.entry.rep_id,
                        "order_id": posting.order_id,
                        "kind": str(posting.entry.kind),
                        "accrued_change": posting.entry.accrued_change,
                        "payable_change": posting.entry.payable_change,
                        "reason": posting.entry.reason,
                        "effective_on": posting.effective_on,
                        "dispute_id": posting.dispute_id,
                    }
                    for posting in postings
                ]
            ),
        )
        return set(added.scalars())

    async def balances(self, *, before: date | None = None) -> dict[str, Holding]:
        """Every rep's balances over the whole ledger (or up to the day before `before`)."""
        query = sa.select(
            ledger_entries.c.rep_id,
            sa.func.sum(ledger_entries.c.accrued_change).label("accrued"),
            sa.func.sum(ledger_entries.c.payable_change).label("payable"),
        ).group_by(ledger_entries.c.rep_id)
        if before is not None:
            query = query.where(ledger_entries.c.effective_on < before)
        return {row.rep_id: Holding(row.accrued, row.payable) for row in await self._connection.execute(query)}

    async def statement(self, rep_id: str, *, first_day: date, last_day: date) -> Statement:
        """The rep's ledger from `first_day` to `last_day`, both included."""
        opening = await self.rep_balance(rep_id, before=first_day)
        entries = await self.rep_entries(rep_id, first_day=first_day, last_day=last_day)
        return Statement(opening, entries, closing=opening.plus(entries))

    async def rep_balance(self, rep_id: str, *, before: date) -> Holding:
        row = (
            await self._connection.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(ledger_entries.c.accrued_change), 0),
                    sa.func.coalesce(sa.func.sum(ledger_entries.c.payable_change), 0),
                ).where(ledger_entries.c.rep_id == rep_id, ledger_entries.c.effective_on < before)
            )
        ).one()
        return Holding(accrued=Decimal(row[0]), payable=Decimal(row[1]))

    async def rep_entries(self, rep_id: str, *, first_day: date, last_day: date) -> Sequence[sa.Row]:
        return (
            await self._connection.execute(
                sa.select(ledger_entries)
                .where(
                    ledger_entries.c.rep_id == rep_id,
                    ledger_entries.c.effective_on.between(first_day, last_day),
                )
                .order_by(ledger_entries.c.effective_on, ledger_entries.c.id)
            )
        ).all()

    async def order_entries(self, order_id: str, *, rep_id: str | None = None) -> Sequence[sa.Row]:
        query = sa.select(ledger_entries).where(ledger_entries.c.order_id == order_id).order_by(ledger_entries.c.id)
        if rep_id is not None:
            query = query.where(ledger_entries.c.rep_id == rep_id)
        return (await self._connection.execute(query)).all()
