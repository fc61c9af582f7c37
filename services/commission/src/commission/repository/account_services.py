"""What an account's services were before an order: the MRC earlier orders left per offering, the sales an order
could duplicate, and the commissioned sales a disconnect or downgrade undoes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from commission.domain.ratification import EarlierSale
from commission.tables import messaging, order_offerings, order_progress, ratifications, sale_locations
from orderdesk_shared.events.order import OrderType


@dataclass(frozen=True)
class AccountQuestion:
    """What ratifying an order asks of the account's history: about these offerings, leaving the order itself out."""

    order_id: str
    account_key: str
    # The order's offerings, each with the locations the order sells it at.
    offering_locations: Mapping[str, frozenset[str]]
    order_type: OrderType
    # Since when an earlier sale can be a duplicate of this order.
    sales_since: date


def _per_location(questions: Sequence[AccountQuestion]) -> dict[str, list]:
    """The questions as parallel arrays, one element per order, offering and location asked about."""
    asked = [
        (question, offering_id, location_key)
        for question in questions
        for offering_id, location_keys in sorted(question.offering_locations.items())
        for location_key in sorted(location_keys)
    ]
    return {
        "order_ids": [question.order_id for question, _, _ in asked],
        "account_keys": [question.account_key for question, _, _ in asked],
        "offering_ids": [offering_id for _, offering_id, _ in asked],
        "order_types": [str(question.order_type) for question, _, _ in asked],
        "sinces": [question.sales_since for question, _, _ in asked],
        "location_keys": [location_key for _, _, location_key in asked],
    }


_ASKED = (
    "WITH asked AS (SELECT * FROM unnest(CAST(:order_ids AS text[]), CAST(:account_keys AS text[]),"
    " CAST(:offering_ids AS text[]), CAST(:order_types AS text[]), CAST(:sinces AS date[]),"
    " CAST(:location_keys AS text[])) AS asked(order_id, account_key, offering_id, order_type, since, location_key))"
)
_ASKED_PARAMETERS = (
    *(
        sa.bindparam(name, type_=postgresql.ARRAY(sa.Text))
        for name in ("order_ids", "account_keys", "offering_ids", "order_types", "location_keys")
    ),
    sa.bindparam("sinces", type_=postgresql.ARRAY(sa.Date)),
)
_OFFERINGS = order_offerings.fullname
# In one statement, two kinds of rows: each account's MRC per offering as the latest earlier order left it (the order
# asking left out), and the accounts' eligible sales of the offerings with the asking order's type, at the asking
# order's locations, since the duplicate window opened: the only sales an order can duplicate (a busy account has
# many others), each with those of its locations the order is at, the earliest first.
_ACCOUNT_HISTORY = sa.text(
    f"{_ASKED} SELECT offering.order_id AS asked_by, offering.offering_id, latest.mrc_after, NULL AS order_id,"
    " NULL AS order_type, NULL AS order_date, NULL AS location_keys"
    " FROM (SELECT DISTINCT order_id, account_key, offering_id FROM asked) AS offering CROSS JOIN LATERAL ("
    f"SELECT mrc_after FROM {_OFFERINGS} AS earlier WHERE earlier.account_key = offering.account_key"
    " AND earlier.offering_id = offering.offering_id AND earlier.order_id <> offering.order_id"
    " ORDER BY earlier.seq DESC LIMIT 1) AS latest"
    " UNION ALL SELECT asked.order_id, sale.offering_id, NULL, sale.order_id, sale.order_type, sale.order_date,"
    f" array_agg(sale.location_key) FROM asked JOIN {sale_locations.fullname} AS sale"
    " ON sale.account_key = asked.account_key AND sale.offering_id = asked.offering_id"
    " AND sale.order_type = asked.order_type AND sale.location_key = asked.location_key"
    " AND sale.order_date >= asked.since AND sale.order_id <> asked.order_id"
    " GROUP BY asked.order_id, sale.offering_id, sale.order_id, sale.order_type, sale.order_date"
    " ORDER BY asked_by, order_date, order_id"
).bindparams(*_ASKED_PARAMETERS)


@dataclass(frozen=True)
class AccountHistory:
    """What an asking order's account did before: its MRC per offering as earlier orders left it, and its eligible
    sales of the order's offerings, of the order's type, at the order's locations, since the order's `sales_since`
    (each sale with those of its locations the order is at), the earliest first."""

    previous_mrcs: dict[str, Decimal] = field(default_factory=dict)
    earlier_sales: list[EarlierSale] = field(default_factory=list)


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


_SAME_SERVICE = (
    "{alias}.account_key = asked.account_key AND {alias}.offering_id = asked.offering_id"
    " AND {alias}.order_id <> asked.asked_by"
)
# Each question with the seq of its service's last disconnect, found once a question: a CTE the planner cannot fold
# into the sales' join, where it ran once a candidate sale.
_SERVICE_SINCE_DISCONNECT = (
    "WITH asked AS MATERIALIZED (SELECT asked.*, (SELECT coalesce(max(disconnect.seq), 0)"
    f" FROM {_OFFERINGS} AS disconnect WHERE {_SAME_SERVICE.format(alias='disconnect')}"
    f" AND disconnect.order_type = '{OrderType.DISCONNECT}') AS after_seq"
    " FROM unnest(CAST(:account_keys AS text[]), CAST(:offering_ids AS text[]), CAST(:asked_by AS text[]))"
    " WITH ORDINALITY AS asked(account_key, offering_id, asked_by, n))"
)
# Each question's sales since the service's last disconnect, newest first; their ratifications are locked, as the
# ledger of each is about to change. The sales after the disconnect are a range of the (account, offering, seq) index,
# so an account's older history is not read.
_COMMISSIONED_SALES = (
    sa.text(
        f"{_SERVICE_SINCE_DISCONNECT} SELECT asked.n, sale.order_id, ratified.order_version, sale.incremental_mrr,"
        " ratified.commissionable_mrr, ratified.multiplier, ratified.reps, progress.installed_on, kept.traceparent,"
        f" kept.tracestate FROM asked JOIN {_OFFERINGS} AS sale ON {_SAME_SERVICE.format(alias='sale')}"
        " AND sale.seq > asked.after_seq"
        f" JOIN {ratifications.fullname} AS ratified ON ratified.order_id = sale.order_id"
        f" LEFT JOIN {order_progress.fullname} AS progress ON progress.order_id = sale.order_id"
        f" LEFT JOIN {messaging.order_traces.fullname} AS kept ON kept.order_id = sale.order_id"
        " WHERE sale.eligible AND sale.incremental_mrr > 0"
        " ORDER BY asked.n, sale.seq DESC FOR UPDATE OF ratified"
    )
    .bindparams(
        *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in ("account_keys", "offering_ids", "asked_by"))
    )
    .columns(reps=JSONB)
)


class AccountServices:
    """What accounts' services were before an order: their histories and their commissioned sales."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def histories(self, questions: Sequence[AccountQuestion]) -> dict[str, AccountHistory]:
        """Each asking order's account history, by order id."""
        found = {question.order_id: AccountHistory() for question in questions}
        for row in await self._connection.execute(_ACCOUNT_HISTORY, _per_location(questions)):
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

    async def commissioned_sales(self, questions: Sequence[ServiceQuestion]) -> list[list[Sale]]:
        """For each question, the sales of the offering to the account since its last disconnect, newest first, their
        ratifications locked."""
        found: list[list[Sale]] = [[] for _ in questions]
        if not questions:
            return found
        rows = await self._connection.execute(
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
