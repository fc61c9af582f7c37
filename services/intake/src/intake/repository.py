"""Queries over intake's orders."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.tables import orders
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage


@dataclass(frozen=True)
class StoredOrder:
    order: ProductOrder
    state: OrderState
    stage: Stage
    version: int
    findings: list[dict]
    created_at: datetime


def _stored(row: sa.Row) -> StoredOrder:
    return StoredOrder(
        order=ProductOrder.model_validate(row.order_document),
        state=OrderState(row.state),
        stage=Stage(row.stage),
        version=row.version,
        findings=row.findings,
        created_at=row.created_at,
    )


async def insert_order(
    connection: AsyncConnection,
    *,
    order: ProductOrder,
    state: OrderState,
    stage: Stage,
    findings: list[Finding],
    idempotency_key: str | None,
) -> None:
    await connection.execute(
        sa.insert(orders),
        dict(
            id=order.id,
            external_id=order.external_id,
            channel=order.channel,
            order_type=order.order_type,
            account_id=order.account.id,
            state=state,
            stage=stage,
            version=1,
            idempotency_key=idempotency_key,
            order_document=order.model_dump(mode="json", by_alias=True, exclude_none=True),
            findings=[finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in findings],
        ),
    )


async def get_order(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> StoredOrder | None:
    query = sa.select(orders).where(orders.c.id == order_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return _stored(row) if row else None


async def order_id_for_idempotency_key(connection: AsyncConnection, key: str) -> str | None:
    return (await connection.execute(sa.select(orders.c.id).where(orders.c.idempotency_key == key))).scalar()


async def update_progress(connection: AsyncConnection, order_id: str, *, state: OrderState, stage: Stage) -> None:
    await connection.execute(
        sa.update(orders)
        .where(orders.c.id == order_id)
        .values(state=state, stage=stage, version=orders.c.version + 1, updated_at=sa.func.now())
    )


async def list_orders(
    connection: AsyncConnection, *, state: OrderState | None, external_id: str | None, offset: int, limit: int
) -> list[StoredOrder]:
    query = sa.select(orders).order_by(orders.c.created_at.desc(), orders.c.id).offset(offset).limit(limit)
    if state is not None:
        query = query.where(orders.c.state == state)
    if external_id is not None:
        query = query.where(orders.c.external_id == external_id)
    return [_stored(row) for row in await connection.execute(query)]
