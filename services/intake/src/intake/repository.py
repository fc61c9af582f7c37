"""Queries over intake's orders."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.validation import Validation
from intake.tables import order_revisions, orders, submissions
from orderdesk_shared.db import insert_if_absent
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Channel, OrderState, ProductOrder, Stage


@dataclass(frozen=True)
class StoredOrder:
    order: ProductOrder
    state: OrderState
    stage: Stage
    version: int
    findings: list[dict]
    created_at: datetime
    request_document: dict | None


def _stored(row: sa.Row) -> StoredOrder:
    return StoredOrder(
        order=ProductOrder.model_validate(row.order_document),
        state=OrderState(row.state),
        stage=Stage(row.stage),
        version=row.version,
        findings=row.findings,
        created_at=row.created_at,
        request_document=row.request_document,
    )


@dataclass(frozen=True)
class NewOrder:
    """A submitted order as validated, ready to store."""

    validation: Validation
    stage: Stage
    received_at: datetime
    idempotency_key: str | None
    request_document: dict | None

    @property
    def order(self) -> ProductOrder:
        return self.validation.order

    @property
    def state(self) -> OrderState:
        return self.validation.state

    @property
    def findings(self) -> list[Finding]:
        return self.validation.findings


async def insert_orders(connection: AsyncConnection, new_orders: Sequence[NewOrder]) -> None:
    await connection.execute(
        sa.insert(orders),
        [
            dict(
                id=new.order.id,
                external_id=new.order.external_id,
                channel=new.order.channel,
                order_type=new.order.order_type,
                account_id=new.order.account.id,
                state=new.state,
                stage=new.stage,
                version=1,
                idempotency_key=new.idempotency_key,
                order_document=new.order.model_dump(mode="json", by_alias=True, exclude_none=True),
                request_document=new.request_document,
                findings=findings_json(new.findings),
                created_at=new.received_at,
                updated_at=new.received_at,
            )
            for new in new_orders
        ],
    )


async def get_order(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> StoredOrder | None:
    query = sa.select(orders).where(orders.c.id == order_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return _stored(row) if row else None


@dataclass(frozen=True)
class Progress:
    """Where an order stands, without its documents."""

    state: OrderState
    stage: Stage
    version: int


async def lock_progress(connection: AsyncConnection, order_id: str) -> Progress | None:
    """The order's state, stage and version, locked for update (None when intake does not know the order)."""
    query = sa.select(orders.c.state, orders.c.stage, orders.c.version).where(orders.c.id == order_id)
    row = (await connection.execute(query.with_for_update())).first()
    return Progress(state=OrderState(row.state), stage=Stage(row.stage), version=row.version) if row else None


async def lock_stages(connection: AsyncConnection, order_ids: Collection[str]) -> dict[str, tuple[int, Stage]]:
    """Each order's version and stage, its row held until commit (locked in id order, so batches wait, not deadlock)."""
    rows = await connection.execute(
        sa.select(orders.c.id, orders.c.version, orders.c.stage)
        .where(orders.c.id.in_(sorted(order_ids)))
        .order_by(orders.c.id)
        .with_for_update()
    )
    return {row.id: (row.version, Stage(row.stage)) for row in rows}


_MOVE_TO_STAGES = sa.text(
    f"UPDATE {orders.fullname} SET stage = moved.stage, updated_at = now() "
    "FROM unnest(CAST(:order_ids AS text[]), CAST(:stages AS text[])) AS moved(order_id, stage) "
    f"WHERE {orders.name}.id = moved.order_id"
).bindparams(
    sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text)), sa.bindparam("stages", type_=postgresql.ARRAY(sa.Text))
)


async def move_to_stages(connection: AsyncConnection, stages: Mapping[str, Stage]) -> None:
    """Move each order to its new stage, in one statement."""
    if stages:
        await connection.execute(
            _MOVE_TO_STAGES, {"order_ids": list(stages), "stages": [str(stage) for stage in stages.values()]}
        )


async def order_for_idempotency_key(connection: AsyncConnection, key: str) -> StoredOrder | None:
    row = (await connection.execute(sa.select(orders).where(orders.c.idempotency_key == key))).first()
    return _stored(row) if row else None


async def update_progress(
    connection: AsyncConnection,
    order_id: str,
    *,
    state: OrderState,
    stage: Stage,
    findings: list[Finding] | None = None,
) -> None:
    """Move the order on; `findings`, when given, replace what the desk is shown as the order's blockers."""
    values: dict = {"state": state, "stage": stage, "updated_at": sa.func.now()}
    if findings is not None:
        values["findings"] = findings_json(findings)
    await connection.execute(sa.update(orders).where(orders.c.id == order_id).values(values))


@dataclass(frozen=True)
class OrderFilter:
    """Which orders a listing returns; every criterion left empty matches all."""

    states: tuple[OrderState, ...] = ()
    external_id: str | None = None
    account_id: str | None = None
    channel: Channel | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: sa.Select) -> sa.Select:
        criteria = [
            orders.c.state.in_(self.states) if self.states else None,
            orders.c.external_id == self.external_id if self.external_id else None,
            orders.c.account_id == self.account_id if self.account_id else None,
            orders.c.channel == self.channel if self.channel else None,
            orders.c.created_at >= self.since if self.since else None,
            orders.c.created_at < self.until if self.until else None,
        ]
        return query.where(*(criterion for criterion in criteria if criterion is not None))


async def list_orders(
    connection: AsyncConnection, selection: OrderFilter, *, offset: int, limit: int
) -> tuple[list[StoredOrder], int]:
    """One page of the matching orders, newest first, and how many match in all."""
    page = selection.apply(sa.select(orders)).order_by(orders.c.created_at.desc(), orders.c.id).offset(offset)
    total = selection.apply(sa.select(sa.func.count()).select_from(orders))
    rows = await connection.execute(page.limit(limit))
    return [_stored(row) for row in rows], (await connection.execute(total)).scalar_one()


async def replace_order(
    connection: AsyncConnection,
    *,
    order: ProductOrder,
    state: OrderState,
    stage: Stage,
    findings: list[Finding],
    request_document: dict,
) -> int:
    """Store a corrected order under the same id; returns its new version."""
    return (
        await connection.execute(
            sa.update(orders)
            .where(orders.c.id == order.id)
            .values(
                state=state,
                stage=stage,
                version=orders.c.version + 1,
                external_id=order.external_id,
                order_type=order.order_type,
                account_id=order.account.id,
                order_document=order.model_dump(mode="json", by_alias=True, exclude_none=True),
                request_document=request_document,
                findings=findings_json(findings),
                updated_at=sa.func.now(),
            )
            .returning(orders.c.version)
        )
    ).scalar_one()


@dataclass(frozen=True)
class Revision:
    """One line of an order's history: what was done to which version, by whom, with what findings."""

    order_id: str
    version: int
    action: str
    actor: str
    state: OrderState
    findings: list[Finding]


async def record_revisions(connection: AsyncConnection, revisions: Sequence[Revision]) -> None:
    await connection.execute(
        sa.insert(order_revisions),
        [
            {
                "order_id": revision.order_id,
                "version": revision.version,
                "action": revision.action,
                "actor": revision.actor,
                "state": revision.state,
                "findings": findings_json(revision.findings),
            }
            for revision in revisions
        ],
    )


async def order_history(connection: AsyncConnection, order_id: str) -> list[dict]:
    rows = await connection.execute(
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


def findings_json(findings: list[Finding]) -> list[dict]:
    return [finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in findings]


async def finding_counts(connection: AsyncConnection, *, since: datetime, until: datetime) -> list[dict]:
    """How often each finding was made on submissions in [since, until), per submitter and channel."""
    finding = sa.func.jsonb_array_elements(order_revisions.c.findings).table_valued(sa.column("value", JSONB))
    reason_code = finding.c.value["reasonCode"].astext
    query = (
        sa.select(
            order_revisions.c.actor,
            orders.c.channel,
            reason_code.label("reason_code"),
            sa.func.count().label("count"),
        )
        .select_from(order_revisions.join(orders, orders.c.id == order_revisions.c.order_id).join(finding, sa.true()))
        .where(
            order_revisions.c.action == "submitted",
            order_revisions.c.recorded_at >= since,
            order_revisions.c.recorded_at < until,
        )
        .group_by(order_revisions.c.actor, orders.c.channel, reason_code)
        .order_by(order_revisions.c.actor, sa.func.count().desc(), reason_code)
    )
    return [
        {"rep": row.actor, "channel": row.channel, "reasonCode": row.reason_code, "count": row.count}
        for row in await connection.execute(query)
    ]


async def claim_source_id(
    connection: AsyncConnection, *, source_id: str, channel: str, order_id: str, document: bytes
) -> str:
    """Record a channel submission; returns the order id of the first submission with this source id."""
    await insert_if_absent(
        connection, submissions, source_id=source_id, channel=channel, order_id=order_id, document=document
    )
    query = sa.select(submissions.c.order_id).where(submissions.c.source_id == source_id)
    return (await connection.execute(query)).scalar_one()
