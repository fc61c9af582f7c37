"""Intake's orders as stored: a stored order and a new one, storing, correcting, reading and listing them, and the
live orders a new one likely duplicates."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.acceptance import earlier_alike
from intake.domain.records import NewOrder, StoredOrder
from intake.repository.statuses import status_of, status_values
from intake.repository.submissions import canonical_bytes
from intake.tables import orders, submissions
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.db import insert_all
from orderdesk_shared.events.order import Channel, OrderState, ProductOrder


def _stored(row: sa.Row) -> StoredOrder:
    return StoredOrder(
        order=ProductOrder.model_validate(row.order_document),
        status=status_of(row),
        created_at=row.created_at,
        request_document=row.request_document,
        completed_on=row.completed_on,
    )


@dataclass(frozen=True)
class OrderFilter:
    """Which orders a listing returns; every criterion left empty matches all."""

    states: tuple[OrderState, ...] = ()
    external_id: str | None = None
    account_id: str | None = None
    channel: Channel | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Only the orders this person submitted or is named on (as orderdesk_shared.access.own_orders_only says).
    owned_by: str | None = None

    def apply(self, query: sa.Select) -> sa.Select:
        criteria = [
            orders.c.people.contains([self.owned_by]) if self.owned_by else None,
            orders.c.state.in_(self.states) if self.states else None,
            orders.c.external_id == self.external_id if self.external_id else None,
            orders.c.account_id == self.account_id if self.account_id else None,
            orders.c.channel == self.channel if self.channel else None,
            orders.c.created_at >= self.since if self.since else None,
            orders.c.created_at < self.until if self.until else None,
        ]
        return query.where(*(criterion for criterion in criteria if criterion is not None))


# Built once, of one shape whatever the batch (its candidates bound as arrays, not an IN list of pairs whose text
# grows with the batch: each text is compiled and prepared on every pooled connection again, and kept).
_CANDIDATE_KEYS = (
    sa.func.unnest(
        sa.bindparam("account_keys", type_=ARRAY(sa.Text)), sa.bindparam("fingerprints", type_=ARRAY(sa.Text))
    )
    .table_valued("account_key", "fingerprint")
    .render_derived()
)
_EARLIER_ALIKE = (
    sa.select(orders.c.id, orders.c.account_key, orders.c.fingerprint, orders.c.external_id)
    .where(
        sa.tuple_(orders.c.account_key, orders.c.fingerprint).in_(
            sa.select(_CANDIDATE_KEYS.c.account_key, _CANDIDATE_KEYS.c.fingerprint)
        ),
        orders.c.created_at >= sa.bindparam("since", type_=orders.c.created_at.type),
        orders.c.state.not_in([OrderState.REJECTED, OrderState.CANCELLED]),
    )
    .order_by(orders.c.created_at)
)


class Orders:
    """Intake's orders, in the unit of work's transaction (or on a connection of a read of its own)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def insert(self, new_orders: Sequence[NewOrder]) -> None:
        """Store new orders, and claim each one's source: a second order from the same source conflicts here."""
        await insert_all(self._connection, orders, [_order_values(new) for new in new_orders])
        sources = [
            dict(
                source_id=new.source_id,
                channel=new.order.channel,
                order_id=new.order.id,
                document=canonical_bytes(new.request_document),
            )
            for new in new_orders
            if new.source_id
        ]
        if sources:
            await insert_all(self._connection, submissions, sources)

    async def get(self, order_id: str, *, for_update: bool = False) -> StoredOrder | None:
        query = sa.select(orders).where(orders.c.id == order_id)
        row = (await self._connection.execute(query.with_for_update() if for_update else query)).first()
        return _stored(row) if row else None

    async def get_many(self, order_ids: Collection[str]) -> list[StoredOrder]:
        """The stored orders among these ids, in one read."""
        query = sa.select(orders).where(orders.c.id.in_(sorted(order_ids))).order_by(orders.c.id)
        return [_stored(row) for row in await self._connection.execute(query)]

    async def for_idempotency_key(self, key: str, *, owner: str) -> StoredOrder | None:
        """The order the caller `owner` made with this Idempotency-Key; another caller's key is another key."""
        found = sa.select(orders).where(orders.c.idempotency_owner == owner, orders.c.idempotency_key == key)
        row = (await self._connection.execute(found)).first()
        return _stored(row) if row else None

    async def replace(self, corrected: NewOrder) -> None:
        """Store a corrected order under the same id, as its new version."""
        order = corrected.order
        await self._connection.execute(
            sa.update(orders)
            .where(orders.c.id == order.id)
            .values(
                external_id=order.external_id,
                order_type=order.order_type,
                account_id=order.account.id,
                account_key=order.account.key,
                fingerprint=corrected.fingerprint,
                people=_people(order),
                order_document=order.model_dump(mode="json", by_alias=True, exclude_none=True),
                request_document=corrected.request_document,
                updated_at=sa.func.now(),
                **status_values(corrected.status),
            )
        )

    async def page(self, selection: OrderFilter, *, offset: int, limit: int) -> tuple[list[StoredOrder], int]:
        """One page of the matching orders, newest first, and how many match in all."""
        page = selection.apply(sa.select(orders)).order_by(orders.c.created_at.desc(), orders.c.id).offset(offset)
        total = selection.apply(sa.select(sa.func.count()).select_from(orders))
        rows = await self._connection.execute(page.limit(limit))
        return [_stored(row) for row in rows], (await self._connection.execute(total)).scalar_one()

    async def likely_duplicates(self, candidates: Sequence[NewOrder], *, since: datetime) -> dict[str, str]:
        """For each candidate, a live order received since `since` for the same account, offerings and sites under
        another externalId: {candidate order id: the earlier order's id}."""
        keyed = [new for new in candidates if new.fingerprint]
        if not keyed:
            return {}
        rows = await self._connection.execute(
            _EARLIER_ALIKE,
            {
                "account_keys": [new.order.account.key for new in keyed],
                "fingerprints": [new.fingerprint for new in keyed],
                "since": since,
            },
        )
        earlier: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for row in rows:
            earlier.setdefault((row.account_key, row.fingerprint), []).append((row.id, row.external_id))
        return earlier_alike(keyed, earlier)


def _order_values(new: NewOrder) -> dict:
    return dict(
        id=new.order.id,
        external_id=new.order.external_id,
        channel=new.order.channel,
        order_type=new.order.order_type,
        account_id=new.order.account.id,
        account_key=new.order.account.key,
        fingerprint=new.fingerprint,
        idempotency_key=new.idempotency_key,
        # The API submits in the caller's name: the key is the submitter's own.
        idempotency_owner=new.order.submitted_by if new.idempotency_key else None,
        people=_people(new.order),
        order_document=new.order.model_dump(mode="json", by_alias=True, exclude_none=True),
        request_document=new.request_document,
        created_at=new.received_at,
        updated_at=new.received_at,
        **status_values(new.status),
    )


def _people(order: ProductOrder) -> list[str]:
    return sorted(OrderPeople.of(order).owners)
