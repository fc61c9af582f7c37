"""Commission's ratifications: storing each decision with what the order does to its account's services, reading
them back, and the reports over them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ratification import Ratification
from commission.domain.reconciliation import RatifiedOrder
from commission.tables import messaging, order_offerings, order_progress, ratifications, sale_locations
from orderdesk_shared.db.arrays import array_parameters, as_arrays, insert_arrays_sql
from orderdesk_shared.events.order import OrderType


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
    + insert_arrays_sql(
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
).bindparams(*array_parameters(ratifications, _RATIFICATION_COLUMNS))


_OFFERING_COLUMNS = (
    "order_id",
    "offering_id",
    "order_version",
    "account_key",
    "order_type",
    "order_date",
    "eligible",
    "location_keys",
    "previous_mrc",
    "mrc_after",
    "incremental_mrr",
)
_SALE_LOCATION_COLUMNS = "order_id, offering_id, location_key, account_key, order_type, order_date"
# What the orders do to their accounts' services, and each eligible one's offerings once per location, in one
# statement.
_STORE_OFFERINGS = sa.text(
    "WITH stored AS ("
    + insert_arrays_sql(
        order_offerings,
        _OFFERING_COLUMNS,
        on_conflict=None,
        returning="order_id, offering_id, location_keys, account_key, order_type, order_date, eligible",
    )
    + f") INSERT INTO {sale_locations.fullname} ({_SALE_LOCATION_COLUMNS})"
    " SELECT order_id, offering_id, unnest(location_keys), account_key, order_type, order_date FROM stored"
    " WHERE eligible"
).bindparams(*array_parameters(order_offerings, _OFFERING_COLUMNS))
# A revised order's offerings go, with its sales' locations, before its new version's are stored.
_FORGET_OFFERINGS = sa.text(
    f"WITH sales AS (DELETE FROM {sale_locations.fullname} WHERE order_id = ANY(CAST(:order_ids AS TEXT[])))"
    f" DELETE FROM {order_offerings.fullname} WHERE order_id = ANY(CAST(:order_ids AS TEXT[]))"
).bindparams(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text)))


class Ratifications:
    """Ratifications with what their orders do to their accounts' services, and the reports over them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, records: Sequence[RatificationRecord]) -> dict[str, Stored]:
        """Store the decisions (each of another order) and what the orders do to their accounts' services; the orders
        stored, by id, leaving out each whose version, or a later one, was ratified before."""
        if not records:
            return {}
        rows = await self._connection.execute(
            _STORE_RATIFICATIONS, as_arrays([_ratification_values(r) for r in records])
        )
        stored = {row.order_id: Stored(revised=row.revised, progress=row if row.reported else None) for row in rows}
        if revised := sorted(order_id for order_id, known in stored.items() if known.revised):
            await self._connection.execute(_FORGET_OFFERINGS, {"order_ids": revised})
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
            await self._connection.execute(_STORE_OFFERINGS, as_arrays(offerings))
        return stored

    async def get(self, order_id: str, *, for_update: bool = False) -> sa.Row | None:
        query = sa.select(ratifications).where(ratifications.c.order_id == order_id)
        return (await self._connection.execute(query.with_for_update() if for_update else query)).first()

    async def ratified_between(self, *, first_day: date, last_day: date) -> list[RatifiedOrder]:
        """Every order ratified in the period, with what Operations said about it."""
        rows = await self._connection.execute(
            sa.select(
                ratifications.c.order_id,
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
        return [RatifiedOrder(**row._mapping) for row in rows]

    async def unratified_handoffs(self, *, topic: str, first_day: date, last_day: date) -> list[tuple[str, str]]:
        """Hand-offs commission could not handle (dead-lettered) in the period (UTC days) for orders it never
        ratified: each order's id ("(no key)" for a message without one) and why it could not be handled."""
        dead_letters = messaging.dead_letters
        rows = await self._connection.execute(
            sa.select(dead_letters.c.key, dead_letters.c.reason)
            .where(
                dead_letters.c.topic == topic,
                sa.cast(sa.func.timezone("UTC", dead_letters.c.created_at), sa.Date).between(first_day, last_day),
                ~sa.exists().where(ratifications.c.order_id == dead_letters.c.key),
            )
            .order_by(dead_letters.c.created_at)
        )
        return [(row.key or "(no key)", row.reason) for row in rows]
