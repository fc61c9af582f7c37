"""The facts the reports read (console.domain.report_facts), kept by the consumer a poll at a time."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from console.domain.report_facts import ReportFact
from console.tables import report_facts
from orderdesk_shared.db.arrays import as_arrays, insert_arrays

_FIELDS = tuple(ReportFact.__dataclass_fields__)
# A poll's facts in one statement; a fact kept again (a rebuild meeting the live consumer) is the same fact.
_ADD_FACTS = insert_arrays(report_facts, _FIELDS, on_conflict="DO NOTHING")
_KINDS = sa.bindparam("kinds", type_=postgresql.ARRAY(sa.Text))


class ReportFacts:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, facts: Sequence[ReportFact]) -> None:
        if facts:
            # Shallow: asdict would copy each fact's dict deeply, which the insert only reads (half of what it cost).
            rows = [{name: getattr(fact, name) for name in _FIELDS} for fact in facts]
            await self._connection.execute(_ADD_FACTS, as_arrays(rows))

    async def between(self, kinds: Sequence[str], *, start: datetime, end: datetime) -> list[ReportFact]:
        """The facts of these kinds from `start` up to `end`, oldest first."""
        return await self._read(
            sa.and_(
                report_facts.c.kind == sa.any_(_KINDS),
                report_facts.c.occurred_at >= start,
                report_facts.c.occurred_at < end,
            ),
            kinds=list(kinds),
        )

    async def of_orders(self, order_ids: Sequence[str], kinds: Sequence[str], *, before: datetime) -> list[ReportFact]:
        """The orders' facts of these kinds up to `before`, oldest first."""
        return await self._read(
            sa.and_(
                report_facts.c.order_id == sa.any_(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text))),
                report_facts.c.kind == sa.any_(_KINDS),
                report_facts.c.occurred_at < before,
            ),
            kinds=list(kinds),
            order_ids=list(order_ids),
        )

    async def _read(self, where: sa.ColumnElement[bool], **parameters: object) -> list[ReportFact]:
        query = (
            sa.select(*(report_facts.c[name] for name in _FIELDS))
            .where(where)
            .order_by(report_facts.c.occurred_at, report_facts.c.message_id)
        )
        result = await self._connection.execute(query, parameters)
        return [ReportFact(**row) for row in result.mappings()]

    async def reset(self) -> None:
        """Forget every fact: a rebuild keeps them again from the topics."""
        await self._connection.execute(sa.text(f"TRUNCATE {report_facts.fullname}"))
