"""Queries over intake's orders, their histories, cancellation requests, the installed base and coaching."""

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.installed_base import InstalledProduct, ProductChange, ProductState
from intake.domain.validation import Validation
from intake.tables import cancel_requests, findings_made, installed_products, order_revisions, orders, submissions
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.db import insert_all, insert_if_absent, insert_or_update_all
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Channel, OrderState, ProductOrder, ServiceLocation, Stage
from orderdesk_shared.order_state import OrderStatus


@dataclass(frozen=True)
class StoredOrder:
    order: ProductOrder
    status: OrderStatus
    created_at: datetime
    request_document: dict | None
    completed_on: date | None

    @property
    def state(self) -> OrderState:
        return self.status.state

    @property
    def stage(self) -> Stage:
        return self.status.stage

    @property
    def version(self) -> int:
        return self.status.version

    @property
    def findings(self) -> list[dict]:
        """What stops the order, as the desk is shown it."""
        return list(self.status.findings)


def _status(row: sa.Row) -> OrderStatus:
    return OrderStatus(
        version=row.version,
        stage=Stage(row.stage),
        state=OrderState(row.state),
        item_ids=tuple(row.item_ids),
        stopped_at=Stage(row.stopped_at) if row.stopped_at else None,
        findings=tuple(row.findings),
        item_outcomes={item_id: OrderState(outcome) for item_id, outcome in row.item_outcomes.items()},
    )


def _stored(row: sa.Row) -> StoredOrder:
    return StoredOrder(
        order=ProductOrder.model_validate(row.order_document),
        status=_status(row),
        created_at=row.created_at,
        request_document=row.request_document,
        completed_on=row.completed_on,
    )


@dataclass(frozen=True)
class NewOrder:
    """A submitted order as validated, ready to store, and what intake decided of it."""

    validation: Validation
    status: OrderStatus
    received_at: datetime
    idempotency_key: str | None
    request_document: dict | None
    # The source (channel, account, externalId) it is the first order of; None for an order without an externalId.
    source_id: str | None = None
    fingerprint: str | None = None
    duplicate_window_days: int = 90

    @property
    def order(self) -> ProductOrder:
        return self.validation.order

    @property
    def findings(self) -> list[Finding]:
        return self.validation.findings


async def insert_orders(connection: AsyncConnection, new_orders: Sequence[NewOrder]) -> None:
    """Store new orders, and claim each one's source: a second order from the same source conflicts here."""
    await insert_all(
        connection,
        orders,
        [
            dict(
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
                **_status_values(new.status),
            )
            for new in new_orders
        ],
    )
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
        await insert_all(connection, submissions, sources)


def _people(order: ProductOrder) -> list[str]:
    return sorted(OrderPeople.of(order).owners)


def canonical_bytes(document: dict | None) -> bytes:
    """A request document as bytes that compare equal whenever the documents do."""
    return json.dumps(document or {}, sort_keys=True, separators=(",", ":"), default=str).encode()


def _status_values(status: OrderStatus) -> dict:
    return {
        "version": status.version,
        "state": str(status.state),
        "stage": str(status.stage),
        "stopped_at": str(status.stopped_at) if status.stopped_at else None,
        "findings": list(status.findings),
        "item_ids": list(status.item_ids),
        "item_outcomes": {item_id: str(outcome) for item_id, outcome in status.item_outcomes.items()},
    }


async def get_order(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> StoredOrder | None:
    query = sa.select(orders).where(orders.c.id == order_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return _stored(row) if row else None


async def get_orders(connection: AsyncConnection, order_ids: Collection[str]) -> list[StoredOrder]:
    """The stored orders among these ids, in one read."""
    rows = await connection.execute(sa.select(orders).where(orders.c.id.in_(sorted(order_ids))).order_by(orders.c.id))
    return [_stored(row) for row in rows]


_STATUS_COLUMNS = (
    orders.c.id,
    orders.c.version,
    orders.c.stage,
    orders.c.state,
    orders.c.stopped_at,
    orders.c.findings,
    orders.c.item_ids,
    orders.c.item_outcomes,
)


# Built once: every poll of the consumers locks its orders' statuses with it.
_LOCK_STATUSES = (
    sa.select(*_STATUS_COLUMNS)
    .where(orders.c.id == sa.any_(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text))))
    .order_by(orders.c.id)
    .with_for_update()
)


async def lock_statuses(connection: AsyncConnection, order_ids: Collection[str]) -> dict[str, OrderStatus]:
    """Each order's status, its row held until commit (locked in id order, so batches wait, not deadlock)."""
    rows = await connection.execute(_LOCK_STATUSES, {"order_ids": list(order_ids)})
    return {row.id: _status(row) for row in rows}


_SAVE_STATUSES = sa.text(
    f"UPDATE {orders.fullname} SET state = saved.state, stage = saved.stage, stopped_at = saved.stopped_at, "
    "findings = saved.findings, item_outcomes = saved.item_outcomes, updated_at = now() "
    "FROM jsonb_to_recordset(CAST(:statuses AS jsonb)) "
    "AS saved(id text, state text, stage text, stopped_at text, findings jsonb, item_outcomes jsonb) "
    f"WHERE {orders.name}.id = saved.id"
)


async def save_statuses(connection: AsyncConnection, statuses: Mapping[str, OrderStatus]) -> None:
    """Store each order's new status, in one statement (its version and items stay as they are)."""
    if statuses:
        rows = [{"id": order_id} | _status_values(status) for order_id, status in statuses.items()]
        await connection.execute(_SAVE_STATUSES, {"statuses": json.dumps(rows)})


async def order_for_idempotency_key(connection: AsyncConnection, key: str, *, owner: str) -> StoredOrder | None:
    """The order the caller `owner` made with this Idempotency-Key; another caller's key is another key."""
    found = sa.select(orders).where(orders.c.idempotency_owner == owner, orders.c.idempotency_key == key)
    row = (await connection.execute(found)).first()
    return _stored(row) if row else None


async def replace_order(
    connection: AsyncConnection,
    *,
    order: ProductOrder,
    status: OrderStatus,
    request_document: dict,
    fingerprint: str | None,
) -> None:
    """Store a corrected order under the same id, as its new version."""
    await connection.execute(
        sa.update(orders)
        .where(orders.c.id == order.id)
        .values(
            external_id=order.external_id,
            order_type=order.order_type,
            account_id=order.account.id,
            account_key=order.account.key,
            fingerprint=fingerprint,
            people=_people(order),
            order_document=order.model_dump(mode="json", by_alias=True, exclude_none=True),
            request_document=request_document,
            updated_at=sa.func.now(),
            **_status_values(status),
        )
    )


async def get_version(connection: AsyncConnection, order_id: str) -> int | None:
    """The order's current version; None when intake does not know the order."""
    return await connection.scalar(sa.select(orders.c.version).where(orders.c.id == order_id))


async def mark_completed(connection: AsyncConnection, order_id: str, *, on: date) -> None:
    """The day Operations last reported an installation of the order."""
    await connection.execute(sa.update(orders).where(orders.c.id == order_id).values(completed_on=on))


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


async def list_orders(
    connection: AsyncConnection, selection: OrderFilter, *, offset: int, limit: int
) -> tuple[list[StoredOrder], int]:
    """One page of the matching orders, newest first, and how many match in all."""
    page = selection.apply(sa.select(orders)).order_by(orders.c.created_at.desc(), orders.c.id).offset(offset)
    total = selection.apply(sa.select(sa.func.count()).select_from(orders))
    rows = await connection.execute(page.limit(limit))
    return [_stored(row) for row in rows], (await connection.execute(total)).scalar_one()


async def likely_duplicates(
    connection: AsyncConnection, candidates: Sequence[NewOrder], *, since: datetime
) -> dict[str, str]:
    """For each candidate, a live order received since `since` for the same account, offerings and sites under
    another externalId: {candidate order id: the earlier order's id}."""
    keyed = [new for new in candidates if new.fingerprint]
    if not keyed:
        return {}
    rows = await connection.execute(
        sa.select(orders.c.id, orders.c.account_key, orders.c.fingerprint, orders.c.external_id)
        .where(
            sa.tuple_(orders.c.account_key, orders.c.fingerprint).in_(
                [(new.order.account.key, new.fingerprint) for new in keyed]
            ),
            orders.c.created_at >= since,
            orders.c.state.not_in([OrderState.REJECTED, OrderState.CANCELLED]),
        )
        .order_by(orders.c.created_at)
    )
    earlier: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for row in rows:
        earlier.setdefault((row.account_key, row.fingerprint), []).append((row.id, row.external_id))
    found = {}
    for new in keyed:
        others = earlier.get((new.order.account.key, new.fingerprint), [])
        match = next(
            (
                order_id
                for order_id, external_id in others
                if order_id != new.order.id and (external_id is None or external_id != new.order.external_id)
            ),
            None,
        )
        if match:
            found[new.order.id] = match
    return found


@dataclass(frozen=True)
class Revision:
    """One line of an order's history: what was done to which version, by whom, with what findings."""

    order_id: str
    version: int
    action: str
    actor: str
    state: OrderState
    findings: Sequence[Finding | dict]


async def record_revisions(connection: AsyncConnection, revisions: Sequence[Revision]) -> None:
    await insert_all(
        connection,
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


def _finding_json(finding: Finding) -> dict:
    return finding.model_dump(mode="json", by_alias=True, exclude_none=True)


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


_RECORD_FINDINGS = sa.text(
    f"INSERT INTO {findings_made.fullname} (order_id, order_version, stage, reason_code, channel, reps) "
    "SELECT o.id, :version, :stage, code, o.channel, COALESCE("
    "(SELECT array_agg(rep->>'repId') FROM jsonb_array_elements(o.order_document->'salesReps') AS rep), "
    "ARRAY[COALESCE(o.order_document->>'submittedBy', 'unknown')]) "
    f"FROM {orders.fullname} AS o, unnest(CAST(:codes AS text[])) AS code WHERE o.id = :order_id"
).bindparams(sa.bindparam("codes", type_=postgresql.ARRAY(sa.Text)))


async def record_findings_made(
    connection: AsyncConnection, *, order_id: str, version: int, stage: Stage, findings: Sequence[dict]
) -> None:
    """Keep each finding made on the order for coaching, crediting the reps the order names (else its submitter)."""
    if findings:
        codes = [finding["reasonCode"] for finding in findings]
        await connection.execute(
            _RECORD_FINDINGS, {"order_id": order_id, "version": version, "stage": str(stage), "codes": codes}
        )


async def finding_counts(connection: AsyncConnection, *, since: datetime, until: datetime) -> list[dict]:
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


async def repoint_submission(connection: AsyncConnection, source_id: str, *, order_id: str) -> None:
    """A channel submission found to be about an order its source made before: it points there."""
    await connection.execute(
        sa.update(submissions).where(submissions.c.source_id == source_id).values(order_id=order_id)
    )


@dataclass(frozen=True)
class Submission:
    order_id: str
    document: bytes


async def submission(connection: AsyncConnection, source_id: str) -> Submission | None:
    row = (
        await connection.execute(
            sa.select(submissions.c.order_id, submissions.c.document).where(submissions.c.source_id == source_id)
        )
    ).first()
    return Submission(row.order_id, bytes(row.document)) if row else None


# --- cancellation requests ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelRequest:
    id: str
    order_id: str
    order_version: int
    reason: str
    requested_by: str
    requested_at: datetime
    requested_cancellation_date: datetime | None
    state: str
    effective_at: datetime | None
    outcome: str | None
    document: dict | None = None


async def add_cancel_request(connection: AsyncConnection, request: CancelRequest) -> None:
    await connection.execute(sa.insert(cancel_requests).values(vars(request)))


async def get_cancel_request(connection: AsyncConnection, request_id: str) -> CancelRequest | None:
    row = (await connection.execute(sa.select(cancel_requests).where(cancel_requests.c.id == request_id))).first()
    return CancelRequest(**row._asdict()) if row else None


async def list_cancel_requests(
    connection: AsyncConnection, *, order_id: str | None, owned_by: str | None, offset: int, limit: int
) -> tuple[list[CancelRequest], int]:
    """One page of cancellation requests, newest first, and how many match: of one order, of the orders `owned_by`
    submitted or is named on, or all."""
    query = sa.select(cancel_requests)
    if order_id:
        query = query.where(cancel_requests.c.order_id == order_id)
    if owned_by:
        owned = sa.select(orders.c.id).where(orders.c.people.contains([owned_by]))
        query = query.where(cancel_requests.c.order_id.in_(owned))
    total = (await connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await connection.execute(
        query.order_by(cancel_requests.c.requested_at.desc(), cancel_requests.c.id).offset(offset).limit(limit)
    )
    return [CancelRequest(**row._asdict()) for row in rows], total


async def settle_cancel_requests(
    connection: AsyncConnection, order_id: str, *, state: str, outcome: str, at: datetime
) -> list[CancelRequest]:
    """End the order's cancellation request still waiting for Operations; the requests it ended."""
    settled = await connection.execute(
        sa.update(cancel_requests)
        .where(cancel_requests.c.order_id == order_id, cancel_requests.c.state == "inProgress")
        .values(state=state, outcome=outcome, effective_at=at)
        .returning(*cancel_requests.c)
    )
    return [CancelRequest(**row._asdict()) for row in settled]


# --- the installed base -------------------------------------------------------------------------------------------


async def products_of(
    connection: AsyncConnection, account_id: str, *, also: Collection[str] = ()
) -> list[InstalledProduct]:
    """The products intake has on record for the account (those handed off through OrderDesk), and the records of
    the products `also` names wherever they are now (a seed product transferred to another account, say)."""
    rows = await connection.execute(
        sa.select(installed_products).where(
            sa.or_(installed_products.c.account_id == account_id, installed_products.c.product_id.in_(list(also)))
        )
    )
    return [
        InstalledProduct(
            product_id=row.product_id,
            account_id=row.account_id,
            offering_id=row.offering_id,
            characteristics=row.characteristics,
            location=ServiceLocation.model_validate(row.location) if row.location else None,
            mrc=row.mrc,
            term_months=row.term_months,
            state=ProductState(row.state),
            order_id=row.order_id,
        )
        for row in rows
    ]


# What a disconnect leaves as it was on record: only its state and the order changing it are new.
_PRODUCT_DETAILS = ("account_id", "offering_id", "characteristics", "location", "mrc", "term_months")


async def record_product_changes(connection: AsyncConnection, changes: Sequence[ProductChange]) -> None:
    """Handed-off orders' products: added or replaced as handed off, or marked as being disconnected (a product of
    the seed gets its record then), two statements for a whole batch."""
    replaced = [_product_values(change.product) for change in changes if change.replaces]
    await insert_or_update_all(connection, installed_products, replaced)
    marked = [_product_values(change.product) for change in changes if not change.replaces]
    await insert_or_update_all(connection, installed_products, marked, keep_first=_PRODUCT_DETAILS)


def _product_values(product: InstalledProduct) -> dict:
    return {
        "product_id": product.product_id,
        "account_id": product.account_id,
        "offering_id": product.offering_id,
        "characteristics": dict(product.characteristics),
        "location": product.location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if product.location
        else None,
        "mrc": product.mrc,
        "term_months": product.term_months,
        "state": str(product.state),
        "order_id": product.order_id,
        "updated_at": datetime.now(UTC),
    }


_AFTER_INSTALL = {ProductState.ORDERED: ProductState.INSTALLED, ProductState.DISCONNECTING: ProductState.DISCONNECTED}
_AFTER_CANCEL = {ProductState.DISCONNECTING: ProductState.INSTALLED}


async def settle_products(connection: AsyncConnection, order_id: str, *, installed: bool) -> None:
    """Operations installed the order (its products are in service, its disconnects done) or stopped it (what it
    would have added never was, what it would have disconnected stays)."""
    settled = _AFTER_INSTALL if installed else _AFTER_CANCEL
    for before, after in settled.items():
        await connection.execute(
            sa.update(installed_products)
            .where(installed_products.c.order_id == order_id, installed_products.c.state == before)
            .values(state=after, updated_at=sa.func.now())
        )
    if not installed:
        await connection.execute(
            sa.delete(installed_products).where(
                installed_products.c.order_id == order_id, installed_products.c.state == ProductState.ORDERED
            )
        )
