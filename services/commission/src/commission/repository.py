"""Queries over commission's ratifications, account services, ledger and disputes."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ledger import Entry, Holding
from commission.domain.ratification import EarlierSale, Ratification
from commission.tables import (
    dispute_history,
    disputes,
    ledger_entries,
    messaging,
    order_offerings,
    order_progress,
    ratifications,
)
from orderdesk_shared.db import insert_if_absent, insert_or_supersede, insert_or_update
from orderdesk_shared.events.order import OrderType

# How order_progress names the whole order among the items Operations installed or cancelled.
WHOLE_ORDER = "*"


async def record_ratification(
    connection: AsyncConnection,
    *,
    order_id: str,
    order_version: int,
    order_type: OrderType,
    order_date: date,
    submitted_by: str | None,
    decision: Ratification,
) -> bool:
    """Store the decision and what the order does to the account's services; False when this or a later
    version of the order was ratified before."""
    stored = await insert_or_supersede(
        connection,
        ratifications,
        order_id=order_id,
        order_version=order_version,
        order_type=str(order_type),
        account_key=decision.account_key,
        order_date=order_date,
        submitted_by=submitted_by,
        eligible=decision.eligible,
        reasons=decision.reasons,
        explanation=decision.explanation,
        commissionable_mrr=decision.commissionable_mrr,
        multiplier=decision.multiplier,
        commission_total=decision.commission_total,
        reps=[rep.model_dump(mode="json", by_alias=True) for rep in decision.reps],
        basis_mrc=decision.basis_mrc,
        billed_mrc=decision.billed_mrc,
        item_mrr={item_id: str(mrr) for item_id, mrr in decision.item_mrr.items()},
    )
    if not stored:
        return False
    await connection.execute(sa.delete(order_offerings).where(order_offerings.c.order_id == order_id))
    if decision.offerings:
        await connection.execute(
            sa.insert(order_offerings),
            [
                {
                    "order_id": order_id,
                    "offering_id": change.offering_id,
                    "order_version": order_version,
                    "account_key": decision.account_key,
                    "order_type": str(order_type),
                    "order_date": order_date,
                    "eligible": decision.eligible,
                    "location_keys": sorted(change.location_keys),
                    "previous_mrc": change.previous_mrc,
                    "mrc_after": change.mrc_after,
                    "incremental_mrr": change.incremental_mrr,
                }
                for change in decision.offerings
            ],
        )
    return True


async def get_ratification(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(ratifications).where(ratifications.c.order_id == order_id)
    return (await connection.execute(query.with_for_update() if for_update else query)).first()


async def previous_mrc(
    connection: AsyncConnection, account_key: str, offering_ids: Iterable[str], *, excluding: str
) -> dict[str, Decimal]:
    """The account's MRC per offering as earlier orders left it."""
    latest = (
        sa.select(order_offerings.c.offering_id, order_offerings.c.mrc_after)
        .where(
            order_offerings.c.account_key == account_key,
            order_offerings.c.offering_id.in_(list(offering_ids)),
            order_offerings.c.order_id != excluding,
        )
        .order_by(order_offerings.c.offering_id, order_offerings.c.seq.desc())
        .distinct(order_offerings.c.offering_id)
    )
    return {row.offering_id: row.mrc_after for row in await connection.execute(latest)}


async def earlier_sales(
    connection: AsyncConnection,
    account_key: str,
    offering_ids: Collection[str],
    *,
    order_type: OrderType,
    since: date,
    excluding: str,
) -> list[EarlierSale]:
    """The account's eligible sales of these offerings with this order type, ratified on or after `since`:
    the only sales an order can duplicate (a busy account has many others)."""
    rows = await connection.execute(
        sa.select(order_offerings).where(
            order_offerings.c.account_key == account_key,
            order_offerings.c.offering_id.in_(offering_ids),
            order_offerings.c.order_type == str(order_type),
            order_offerings.c.eligible,
            order_offerings.c.order_date >= since,
            order_offerings.c.order_id != excluding,
        )
    )
    return [
        EarlierSale(
            order_id=row.order_id,
            order_type=OrderType(row.order_type),
            order_date=row.order_date,
            offering_id=row.offering_id,
            location_keys=frozenset(row.location_keys),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Sale:
    """An eligible order that earned commission on an offering of an account."""

    order_id: str
    order_version: int
    incremental_mrr: Decimal
    commissionable_mrr: Decimal
    multiplier: Decimal
    reps: list[dict]
    installed_on: date | None


async def commissioned_sales(
    connection: AsyncConnection, account_key: str, offering_id: str, *, excluding: str
) -> list[Sale]:
    """The sales of an offering to an account since its last disconnect, newest first."""
    same_service = sa.and_(
        order_offerings.c.account_key == account_key,
        order_offerings.c.offering_id == offering_id,
        order_offerings.c.order_id != excluding,
    )
    last_disconnect = (
        sa.select(sa.func.coalesce(sa.func.max(order_offerings.c.seq), 0))
        .where(same_service, order_offerings.c.order_type == str(OrderType.DISCONNECT))
        .scalar_subquery()
    )
    rows = await connection.execute(
        sa.select(
            ratifications.c.order_id,
            ratifications.c.order_version,
            order_offerings.c.incremental_mrr,
            ratifications.c.commissionable_mrr,
            ratifications.c.multiplier,
            ratifications.c.reps,
            order_progress.c.installed_on,
        )
        .select_from(
            order_offerings.join(ratifications, ratifications.c.order_id == order_offerings.c.order_id).outerjoin(
                order_progress, order_progress.c.order_id == order_offerings.c.order_id
            )
        )
        .where(
            same_service,
            order_offerings.c.eligible,
            order_offerings.c.incremental_mrr > 0,
            order_offerings.c.seq > last_disconnect,
        )
        .order_by(order_offerings.c.seq.desc())
    )
    return [Sale(**row._mapping) for row in rows]


async def get_progress(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(order_progress).where(order_progress.c.order_id == order_id))).first()


async def record_progress(connection: AsyncConnection, order_id: str, **facts: object) -> None:
    """Remember what Operations or intake said about the order; the first install and cancel dates stay."""
    await insert_or_update(
        connection,
        order_progress,
        keep_first=("installed_on", "cancelled_on"),
        order_id=order_id,
        **facts,
        updated_at=datetime.now(UTC),
    )


async def record_items(
    connection: AsyncConnection, order_id: str, *, installed: Sequence[str] = (), cancelled: Sequence[str] = ()
) -> None:
    """Add to the items Operations reported installed or cancelled ("*": the whole order)."""
    added = postgresql.insert(order_progress).values(
        order_id=order_id,
        installed_items=list(installed),
        cancelled_items=list(cancelled),
        updated_at=datetime.now(UTC),
    )
    await connection.execute(
        added.on_conflict_do_update(
            index_elements=[order_progress.c.order_id],
            set_={
                name: sa.func.array_cat(order_progress.c[name], added.excluded[name])
                for name in ("installed_items", "cancelled_items")
            }
            | {"updated_at": added.excluded.updated_at},
        )
    )


async def holdings(connection: AsyncConnection, order_id: str) -> dict[str, Holding]:
    """What the ledger holds per rep on an order."""
    rows = await connection.execute(
        sa.select(
            ledger_entries.c.rep_id,
            sa.func.sum(ledger_entries.c.accrued_change).label("accrued"),
            sa.func.sum(ledger_entries.c.payable_change).label("payable"),
        )
        .where(ledger_entries.c.order_id == order_id)
        .group_by(ledger_entries.c.rep_id)
        .order_by(ledger_entries.c.rep_id)
    )
    return {row.rep_id: Holding(accrued=row.accrued, payable=row.payable) for row in rows}


async def add_entry(
    connection: AsyncConnection,
    entry: Entry,
    *,
    entry_key: str,
    order_id: str,
    effective_on: date,
    dispute_id: str | None = None,
) -> bool:
    """Append an entry to the ledger; False when the entry with this key is there already."""
    return await insert_if_absent(
        connection,
        ledger_entries,
        entry_key=entry_key,
        rep_id=entry.rep_id,
        order_id=order_id,
        kind=str(entry.kind),
        accrued_change=entry.accrued_change,
        payable_change=entry.payable_change,
        reason=entry.reason,
        effective_on=effective_on,
        dispute_id=dispute_id,
    )


async def balances(connection: AsyncConnection, *, before: date | None = None) -> dict[str, Holding]:
    """Every rep's balances over the whole ledger (or up to the day before `before`)."""
    query = sa.select(
        ledger_entries.c.rep_id,
        sa.func.sum(ledger_entries.c.accrued_change).label("accrued"),
        sa.func.sum(ledger_entries.c.payable_change).label("payable"),
    ).group_by(ledger_entries.c.rep_id)
    if before is not None:
        query = query.where(ledger_entries.c.effective_on < before)
    return {row.rep_id: Holding(row.accrued, row.payable) for row in await connection.execute(query)}


async def rep_balance(connection: AsyncConnection, rep_id: str, *, before: date) -> Holding:
    row = (
        await connection.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(ledger_entries.c.accrued_change), 0),
                sa.func.coalesce(sa.func.sum(ledger_entries.c.payable_change), 0),
            ).where(ledger_entries.c.rep_id == rep_id, ledger_entries.c.effective_on < before)
        )
    ).one()
    return Holding(accrued=Decimal(row[0]), payable=Decimal(row[1]))


async def rep_entries(connection: AsyncConnection, rep_id: str, *, first_day: date, last_day: date) -> Sequence[sa.Row]:
    return (
        await connection.execute(
            sa.select(ledger_entries)
            .where(
                ledger_entries.c.rep_id == rep_id,
                ledger_entries.c.effective_on.between(first_day, last_day),
            )
            .order_by(ledger_entries.c.effective_on, ledger_entries.c.id)
        )
    ).all()


async def order_entries(connection: AsyncConnection, order_id: str, *, rep_id: str | None = None) -> Sequence[sa.Row]:
    query = sa.select(ledger_entries).where(ledger_entries.c.order_id == order_id).order_by(ledger_entries.c.id)
    if rep_id is not None:
        query = query.where(ledger_entries.c.rep_id == rep_id)
    return (await connection.execute(query)).all()


async def open_dispute(
    connection: AsyncConnection, *, dispute_id: str, order_id: str, rep_id: str, claim: str, opened_on: date
) -> None:
    await connection.execute(
        sa.insert(disputes).values(
            dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, state="open", claim=claim, opened_on=opened_on
        )
    )
    await add_dispute_history(connection, dispute_id=dispute_id, actor=rep_id, action="opened", note=claim)


async def add_dispute_history(
    connection: AsyncConnection,
    *,
    dispute_id: str,
    actor: str,
    action: str,
    note: str,
    adjustment: Decimal | None = None,
) -> None:
    await connection.execute(
        sa.insert(dispute_history).values(
            dispute_id=dispute_id, actor=actor, action=action, note=note, adjustment=adjustment
        )
    )


async def open_dispute_of(connection: AsyncConnection, order_id: str, rep_id: str) -> str | None:
    return (
        await connection.execute(
            sa.select(disputes.c.dispute_id).where(
                disputes.c.order_id == order_id, disputes.c.rep_id == rep_id, disputes.c.state == "open"
            )
        )
    ).scalar()


async def get_dispute(connection: AsyncConnection, dispute_id: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(disputes).where(disputes.c.dispute_id == dispute_id)
    return (await connection.execute(query.with_for_update() if for_update else query)).first()


async def list_disputes(
    connection: AsyncConnection, *, state: str | None, rep_id: str | None, limit: int, offset: int
) -> Sequence[sa.Row]:
    """Disputes in `state` (any when None), of one rep or all, longest open first."""
    query = sa.select(disputes)
    if state is not None:
        query = query.where(disputes.c.state == state)
    if rep_id is not None:
        query = query.where(disputes.c.rep_id == rep_id)
    ordered = query.order_by(disputes.c.opened_on, disputes.c.dispute_id).limit(limit).offset(offset)
    return (await connection.execute(ordered)).all()


async def decide_dispute(
    connection: AsyncConnection,
    dispute_id: str,
    *,
    state: str,
    decided_by: str,
    decided_on: date,
    decision: str,
    adjustment: Decimal | None,
) -> None:
    await connection.execute(
        sa.update(disputes)
        .where(disputes.c.dispute_id == dispute_id)
        .values(state=state, decided_by=decided_by, decided_on=decided_on, decision=decision, adjustment=adjustment)
    )
    await add_dispute_history(
        connection, dispute_id=dispute_id, actor=decided_by, action=state, note=decision, adjustment=adjustment
    )


async def history_of(connection: AsyncConnection, dispute_id: str) -> Sequence[sa.Row]:
    return (
        await connection.execute(
            sa.select(dispute_history).where(dispute_history.c.dispute_id == dispute_id).order_by(dispute_history.c.id)
        )
    ).all()


async def reconciliation_rows(connection: AsyncConnection, *, first_day: date, last_day: date) -> Sequence[sa.Row]:
    """Every order ratified in the period, with what Operations said about it."""
    return (
        await connection.execute(
            sa.select(
                ratifications.c.order_id,
                ratifications.c.order_version,
                ratifications.c.order_type,
                ratifications.c.order_date,
                ratifications.c.eligible,
                ratifications.c.commission_total,
                ratifications.c.basis_mrc,
                ratifications.c.billed_mrc,
                order_progress.c.installed_on,
                order_progress.c.cancelled_on,
                order_progress.c.failure,
            )
            .select_from(ratifications.outerjoin(order_progress, order_progress.c.order_id == ratifications.c.order_id))
            .where(ratifications.c.order_date.between(first_day, last_day))
            .order_by(ratifications.c.order_date, ratifications.c.order_id)
        )
    ).all()


async def unratified_handoffs(connection: AsyncConnection, *, topic: str) -> Sequence[sa.Row]:
    """Hand-offs commission could not handle (dead-lettered) for orders it never ratified."""
    dead_letters = messaging.dead_letters
    return (
        await connection.execute(
            sa.select(dead_letters.c.key.label("order_id"), dead_letters.c.reason, dead_letters.c.created_at)
            .where(
                dead_letters.c.topic == topic,
                ~sa.exists().where(ratifications.c.order_id == dead_letters.c.key),
            )
            .order_by(dead_letters.c.created_at)
        )
    ).all()
