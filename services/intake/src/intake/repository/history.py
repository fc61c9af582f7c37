"""An order's history (what was done to each version, by whom), and the findings made on orders, kept for coaching."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.records import Revision
from intake.tables import findings_made, order_revisions, orders
from orderdesk_shared.db import insert_all
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Stage


class OrderHistory:
    """Each order's history, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, revisions: Sequence[Revision]) -> None:
        await insert_all(
            self._connection,
            order_revisions,
            [
                {
                    "order_id": revision.order_id,
                    "version": revision.version,
                    "action": revision.action,
                    "actor": revision.actor,
                    "state": revision.state,
                    "findings": [f if isinstance(f, dict) else _finding_json(f) for f in revision.findings],
                }
                for revision in revisions
            ],
        )

    async def of(self, order_id: str) -> list[dict]:
        rows = await self._connection.execute(
            sa.select(order_revisions).where(order_revisions.c.order_id == order_id).order_by(order_revisions.c.id)
        )
        return [
            {
                "version": row.version,
                "action": row.action,
                "actor": row.actor,
                "state": row.state,
                "findings": row.findings,
                "recordedAt": row.recorded_at.isoformat(),
            }
            for row in rows
        ]


def _finding_json(finding: Finding) -> dict:
    return finding.model_dump(mode="json", by_alias=True, exclude_none=True)


_RECORD_FINDINGS = sa.text(
    f"INSERT INTO {findings_made.fullname} (order_id, order_version, stage, reason_code, channel, reps) "
    "SELECT o.id, :version, :stage, code, o.channel, COALESCE("
    "(SELECT array_agg(rep->>'repId') FROM jsonb_array_elements(o.order_document->'salesReps') AS rep), "
    "ARRAY[COALESCE(o.order_document->>'submittedBy', 'unknown')]) "
    f"FROM {orders.fullname} AS o, unnest(CAST(:codes AS text[])) AS code WHERE o.id = :order_id"
).bindparams(sa.bindparam("codes", type_=postgresql.ARRAY(sa.Text)))


class FindingsMade:
    """The findings made on orders, kept for coaching, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, *, order_id: str, version: int, stage: Stage, findings: Sequence[dict]) -> None:
        """Keep each finding made on the order for coaching, crediting the reps the order names (else its
        submitter)."""
        if findings:
            codes = [finding["reasonCode"] for finding in findings]
            await self._connection.execute(
                _RECORD_FINDINGS, {"order_id": order_id, "version": version, "stage": str(stage), "codes": codes}
            )

    async def counts(self, *, since: datetime, until: datetime) -> list[dict]:
        """How often each finding was made on orders in [since, until), per rep named on the order and channel."""
        rep = sa.func.unnest(findings_made.c.reps).label("rep")
        named = (
            sa.select(rep, findings_made.c.channel, findings_made.c.reason_code)
            .where(findings_made.c.made_at >= since, findings_made.c.made_at < until)
            .subquery()
        )
        query = (
            sa.select(named.c.rep, named.c.channel, named.c.reason_code, sa.func.count().label("count"))
            .group_by(named.c.rep, named.c.channel, named.c.reason_code)
            .order_by(named.c.rep, sa.func.count().desc(), named.c.reason_code)
        )
        return [
            {"rep": row.rep, "channel": row.channel, "reasonCode": row.reason_code, "count": row.count}
            for row in await self._connection.execute(query)
        ]
