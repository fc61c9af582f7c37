"""Queries over commission's ratifications, account services, ledger and disputes."""

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
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
from orderdesk_shared.db import insert_or_update
from orderdesk_shared.events.order import OrderType

# How order_progress names the whole order among the items Operations installed or cancelled.
WHOLE_ORDER = "*"


@dataclass(frozen=True)
class RatificationRecord:
    """A ratification decision to store, with the facts of the order version it is about."""

    order_id: str
    order_version: int
    order_type: OrderType
    order_date: date
    submitted_by: str | None
    decision: Ratification


@dataclass(frozen=True)
class Stored:
    """A ratification stored, and what was known of its order before."""

    # Whether an earlier version of the order was ratified: only then does the ledger hold anything on it.
    revised: bool
    # What Operations or intake said of the order (None: nothing yet).
    progress: sa.Row | None


async def record_ratifications(connection: AsyncConnection, records: Sequence[RatificationRecord]) -> dict[str, Stored]:
    """Store the decisions (each of another order) and what the orders do to their accounts' services; the orders
    stored, by id, leaving out each whose version, or a later one, was ratified before."""
    if not records:
        return {}
    rows = await connection.execute(_STORE_RATIFICATIONS, _as_arrays([_ratification_values(r) for r in records]))
    stored = {row.order_id: Stored(revised=row.revised, progress=row if row.reported else None) for row in rows}
    if revised := sorted(order_id for order_id, known in stored.items() if known.revised):
        await connection.execute(sa.delete(order_offerings).where(order_offerings.c.order_id.in_(revised)))
    offerings = [
        {
            "order_id": record.order_id,
            "offering_id": change.offering_id,
            "order_version": record.order_version,
            "account_key": record.decision.account_key,
            "order_type": str(record.order_type),
            "order_date": record.order_date,
            "eligible": record.decision.eligible,
            "location_keys": sorted(change.location_keys),
            "previous_mrc": change.previous_mrc,
            "mrc_after": change.mrc_after,
            "incremental_mrr": change.incremental_mrr,
        }
        for record in records
        if record.order_id in stored
        for change in record.decision.offerings
    ]
    if offerings:
        await connection.execute(sa.insert(order_offerings), offerings)
    return stored


def _ratification_values(record: RatificationRecord) -> dict[str, object]:
    decision = record.decision
    return {
        "order_id": record.order_id,
        "order_version": record.order_version,
        "order_type": str(record.order_type),
        "account_key": decision.account_key,
        "order_date": record.order_date,
        "submitted_by": record.submitted_by,
        "eligible": decision.eligible,
        "reasons": decision.reasons,
        "explanation": decision.explanation,
        "commissionable_mrr": decision.commissionable_mrr,
        "multiplier": decision.multiplier,
        "commission_total": decision.commission_total,
        "reps": [rep.model_dump(mode="json", by_alias=True) for rep in decision.reps],
        "basis_mrc": decision.basis_mrc,
        "billed_mrc": decision.billed_mrc,
        "item_mrr": {item_id: str(mrr) for item_id, mrr in decision.item_mrr.items()},
    }


_QUOTE = postgresql.dialect().identifier_preparer


def _insert_arrays(table: sa.Table, columns: Sequence[str], *, on_conflict: str, returning: str) -> sa.TextClause:
    """INSERT of rows given as one array per column (`_as_arrays`): one statement for any number of rows, compiled
    once."""
    return sa.text(_insert_arrays_sql(table, columns, on_conflict=on_conflict, returning=returning)).bindparams(
        *_array_parameters(table, columns)
    )


def _insert_arrays_sql(table: sa.Table, columns: Sequence[str], *, on_conflict: str, returning: str) -> str:
    """`_insert_arrays`' SQL. JSONB values travel as text, as an array of JSONB would be an array of one JSON
    document."""
    jsonb = _jsonb_columns(table, columns)
    names = ", ".join(map(_QUOTE.quote, columns))
    arrays = ", ".join(
        f"CAST(:{name} AS {'TEXT' if name in jsonb else table.c[name].type.compile(dialect=postgresql.dialect())}[])"
        for name in columns
    )
    selected = ", ".join(
        f"CAST({_QUOTE.quote(name)} AS JSONB)" if name in jsonb else _QUOTE.quote(name) for name in columns
    )
    return (
        f"INSERT INTO {table.fullname} ({names}) SELECT {selected} FROM unnest({arrays}) AS given({names}) "
        f"ON CONFLICT {on_conflict} RETURNING {returning}"
    )


def _array_parameters(table: sa.Table, columns: Sequence[str]) -> list[sa.BindParameter]:
    jsonb = _jsonb_columns(table, columns)
    return [
        sa.bindparam(name, type_=postgresql.ARRAY(sa.Text if name in jsonb else table.c[name].type)) for name in columns
    ]


def _jsonb_columns(table: sa.Table, columns: Sequence[str]) -> set[str]:
    return {name for name in columns if isinstance(table.c[name].type, JSONB)}


def _as_arrays(rows: Sequence[Mapping[str, object]]) -> dict[str, list]:
    """Rows (same columns) as one array per column, for `_insert_arrays`; dicts and lists as JSON text."""
    return {
        name: [json.dumps(row[name]) if isinstance(row[name], dict | list) else row[name] for row in rows]
        for name in rows[0]
    }


_RATIFICATION_COLUMNS = (
    "order_id",
    "order_version",
    "order_type",
    "account_key",
    "order_date",
    "submitted_by",
    "eligible",
    "reasons",
    "explanation",
    "commissionable_mrr",
    "multiplier",
    "commission_total",
    "reps",
    "basis_mrc",
    "billed_mrc",
    "item_mrr",
)
# A later version of an order replaces all of its ratification but when it was first ratified. Each order stored
# comes back with whether it was ratified before and what was said of it: the statements that would ask are spared.
_STORE_RATIFICATIONS = sa.text(
    f"WITH earlier AS (SELECT order_id FROM {ratifications.fullname} WHERE order_id = ANY(CAST(:order_id AS TEXT[]))),"
    " stored AS ("
    + _insert_arrays_sql(
        ratifications,
        _RATIFICATION_COLUMNS,
        on_conflict="(order_id) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in _RATIFICATION_COLUMNS if name != "order_id")
        + f" WHERE {ratifications.fullname}.order_version < EXCLUDED.order_version",
        returning="order_id",
    )
    + ") SELECT stored.order_id, stored.order_id IN (SELECT order_id FROM earlier) AS revised,"
    " progress.order_id IS NOT NULL AS reported, progress.installed_on, progress.cancelled_on,"
    " progress.installed_items, progress.cancelled_items"
    f" FROM stored LEFT JOIN {order_progress.fullname} AS progress ON progress.order_id = stored.order_id"
).bindparams(*_array_parameters(ratifications, _RATIFICATION_COLUMNS))
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
_ADD_ENTRIES = _insert_arrays(
    ledger_entries, _LEDGER_COLUMNS, on_conflict="(entry_key) DO NOTHING", returning="entry_key"
)


async def get_ratification(connection: AsyncConnection, order_id: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(ratifications).where(ratifications.c.order_id == order_id)
    return (await connection.execute(query.with_for_update() if for_update else query)).first()


@dataclass(frozen=True)
class AccountQuestion:
    """What ratifying an order asks of the account's history: about these offerings, leaving the order itself out."""

    order_id: str
    account_key: str
    offering_ids: frozenset[str]
    order_type: OrderType
    # Since when an earlier sale can be a duplicate of this order.
    sales_since: date


def _per_offering(questions: Sequence[AccountQuestion]) -> dict[str, list]:
    """The questions as parallel arrays, one element per order and offering asked about."""
    asked = [(question, offering_id) for question in questions for offering_id in sorted(question.offering_ids)]
    return {
        "order_ids": [question.order_id for question, _ in asked],
        "account_keys": [question.account_key for question, _ in asked],
        "offering_ids": [offering_id for _, offering_id in asked],
        "order_types": [str(question.order_type) for question, _ in asked],
        "sinces": [question.sales_since for question, _ in asked],
    }


_ASKED = (
    "unnest(CAST(:order_ids AS text[]), CAST(:account_keys AS text[]), CAST(:offering_ids AS text[]), "
    "CAST(:order_types AS text[]), CAST(:sinces AS date[])) AS asked(order_id, account_key, offering_id, order_type, "
    "since)"
)
_ASKED_PARAMETERS = (
    *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in ("order_ids", "account_keys", "offering_ids")),
    sa.bindparam("order_types", type_=postgresql.ARRAY(sa.Text)),
    sa.bindparam("sinces", type_=postgresql.ARRAY(sa.Date)),
)
_OFFERINGS = order_offerings.fullname
# In one statement, two kinds of rows: each account's MRC per offering as the latest earlier order left it (the order
# asking left out), and the accounts' eligible sales of the offerings with the asking order's type since the
# duplicate window opened: the only sales an order can duplicate (a busy account has many others).
_ACCOUNT_HISTORY = sa.text(
    "SELECT asked.order_id AS asked_by, asked.offering_id, latest.mrc_after, NULL AS order_id, NULL AS order_type,"
    f" NULL AS order_date, NULL AS location_keys FROM {_ASKED} CROSS JOIN LATERAL ("
    f"SELECT mrc_after FROM {_OFFERINGS} AS earlier WHERE earlier.account_key = asked.account_key"
    " AND earlier.offering_id = asked.offering_id AND earlier.order_id <> asked.order_id"
    " ORDER BY earlier.seq DESC LIMIT 1) AS latest"
    " UNION ALL SELECT asked.order_id, earlier.offering_id, NULL, earlier.order_id, earlier.order_type,"
    f" earlier.order_date, earlier.location_keys FROM {_ASKED} JOIN {_OFFERINGS} AS earlier"
    " ON earlier.account_key = asked.account_key AND earlier.offering_id = asked.offering_id"
    " AND earlier.order_type = asked.order_type AND earlier.eligible AND earlier.order_date >= asked.since"
    " AND earlier.order_id <> asked.order_id"
).bindparams(*_ASKED_PARAMETERS)


@dataclass(frozen=True)
class AccountHistory:
    """What an asking order's account did before: its MRC per offering as earlier orders left it, and its eligible
    sales of the order's offerings, of the order's type, since the order's `sales_since`."""

    previous_mrcs: dict[str, Decimal] = field(default_factory=dict)
    earlier_sales: list[EarlierSale] = field(default_factory=list)


async def account_histories(
    connection: AsyncConnection, questions: Sequence[AccountQuestion]
) -> dict[str, AccountHistory]:
    """Each asking order's account history, by order id."""
    found = {question.order_id: AccountHistory() for question in questions}
    for row in await connection.execute(_ACCOUNT_HISTORY, _per_offering(questions)):
        history = found[row.asked_by]
        if row.order_id is None:
            history.previous_mrcs[row.offering_id] = row.mrc_after
        else:
            history.earlier_sales.append(
                EarlierSale(
                    order_id=row.order_id,
                    order_type=OrderType(row.order_type),
                    order_date=row.order_date,
                    offering_id=row.offering_id,
                    location_keys=frozenset(row.location_keys),
                )
            )
    return found


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
    # The trace context commission keeps for the order (empty if it kept none).
    trace_carrier: dict[str, str]


@dataclass(frozen=True)
class ServiceQuestion:
    """Which earlier sales of an account's offering a disconnect or downgrade by an order undoes."""

    account_key: str
    offering_id: str
    asked_by: str


_SERVICE = (
    "unnest(CAST(:account_keys AS text[]), CAST(:offering_ids AS text[]), CAST(:asked_by AS text[])) "
    "WITH ORDINALITY AS asked(account_key, offering_id, asked_by, n)"
)
_SAME_SERVICE = (
    "{alias}.account_key = asked.account_key AND {alias}.offering_id = asked.offering_id"
    " AND {alias}.order_id <> asked.asked_by"
)
# Each question's sales since the service's last disconnect, newest first; their ratifications are locked, as the
# ledger of each is about to change.
_COMMISSIONED_SALES = (
    sa.text(
        "SELECT asked.n, sale.order_id, ratified.order_version, sale.incremental_mrr, ratified.commissionable_mrr,"
        " ratified.multiplier, ratified.reps, progress.installed_on, kept.traceparent, kept.tracestate"
        f" FROM {_SERVICE} JOIN {_OFFERINGS} AS sale ON {_SAME_SERVICE.format(alias='sale')}"
        f" JOIN {ratifications.fullname} AS ratified ON ratified.order_id = sale.order_id"
        f" LEFT JOIN {order_progress.fullname} AS progress ON progress.order_id = sale.order_id"
        f" LEFT JOIN {messaging.order_traces.fullname} AS kept ON kept.order_id = sale.order_id"
        " WHERE sale.eligible AND sale.incremental_mrr > 0 AND sale.seq > ("
        f"SELECT coalesce(max(disconnect.seq), 0) FROM {_OFFERINGS} AS disconnect"
        f" WHERE {_SAME_SERVICE.format(alias='disconnect')} AND disconnect.order_type = '{OrderType.DISCONNECT}')"
        " ORDER BY asked.n, sale.seq DESC FOR UPDATE OF ratified"
    )
    .bindparams(
        *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in ("account_keys", "offering_ids", "asked_by"))
    )
    .columns(reps=JSONB)
)


async def commissioned_sales(connection: AsyncConnection, questions: Sequence[ServiceQuestion]) -> list[list[Sale]]:
    """For each question, the sales of the offering to the account since its last disconnect, newest first, their
    ratifications locked."""
    found: list[list[Sale]] = [[] for _ in questions]
    if not questions:
        return found
    rows = await connection.execute(
        _COMMISSIONED_SALES,
        {
            "account_keys": [question.account_key for question in questions],
            "offering_ids": [question.offering_id for question in questions],
            "asked_by": [question.asked_by for question in questions],
        },
    )
    for row in rows:
        carrier = {"traceparent": row.traceparent} | ({"tracestate": row.tracestate} if row.tracestate else {})
        found[row.n - 1].append(
            Sale(
                order_id=row.order_id,
                order_version=row.order_version,
                incremental_mrr=row.incremental_mrr,
                commissionable_mrr=row.commissionable_mrr,
                multiplier=row.multiplier,
                reps=row.reps,
                installed_on=row.installed_on,
                trace_carrier=carrier if row.traceparent else {},
            )
        )
    return found


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
    return (await holdings_of(connection, [order_id]))[order_id]


async def holdings_of(connection: AsyncConnection, order_ids: Collection[str]) -> dict[str, dict[str, Holding]]:
    """What the ledger holds per rep on each of the orders, by order id."""
    if not order_ids:
        return {}
    rows = await connection.execute(
        sa.select(
            ledger_entries.c.order_id,
            ledger_entries.c.rep_id,
            sa.func.sum(ledger_entries.c.accrued_change).label("accrued"),
            sa.func.sum(ledger_entries.c.payable_change).label("payable"),
        )
        .where(ledger_entries.c.order_id.in_(sorted(order_ids)))
        .group_by(ledger_entries.c.order_id, ledger_entries.c.rep_id)
        .order_by(ledger_entries.c.order_id, ledger_entries.c.rep_id)
    )
    found: dict[str, dict[str, Holding]] = {order_id: {} for order_id in order_ids}
    for row in rows:
        found[row.order_id][row.rep_id] = Holding(accrued=row.accrued, payable=row.payable)
    return found


@dataclass(frozen=True)
class Posting:
    """A ledger entry to add to an order, under a key naming the fact it records."""

    order_id: str
    entry: Entry
    entry_key: str
    effective_on: date
    dispute_id: str | None = None


async def add_entries(connection: AsyncConnection, postings: Sequence[Posting]) -> set[str]:
    """Append the entries (distinct keys) to the ledger; the keys of those that were not there already."""
    if not postings:
        return set()
    added = await connection.execute(
        _ADD_ENTRIES,
        _as_arrays(
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
