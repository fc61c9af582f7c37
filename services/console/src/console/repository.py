"""The console's read model as repositories, each on a connection (see unit_of_work.py): timelines, order rows,
assignments and the jeopardy raised; used by its handlers, watchdog, API and pages."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from console.domain.sla import ESCALATED_TO, RaisedLevel
from console.domain.timeline import REP_SEPARATOR, Folded, OrderRow, TimelineEntry
from console.live import ORDER_CHANGED_CHANNEL
from console.tables import OPEN_ORDER, assignments, jeopardy_raised, orders, timeline_events
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.db.arrays import as_arrays, insert_arrays
from orderdesk_shared.errors import TransientError
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderStatus

_ROW_FIELDS = tuple(OrderRow.__dataclass_fields__)
# An order row as it is shown: what folding its next lines on needs is the consumer's bookkeeping.
_SHOWN = tuple(column for column in orders.c if column is not orders.c.folded)
# What a search looks in: the order id, the upstream id, the account, the sales reps and who submitted it.
_SEARCHED = (orders.c.id, orders.c.external_id, orders.c.account, orders.c.sales_reps, orders.c.submitted_by)
DEADLOCK_DETECTED = "40P01"
# Where the order waits on something its findings name: what the dashboard counts as the reasons orders wait.
BLOCKED_STATES = (OrderState.REJECTED, OrderState.PENDING, OrderState.HELD, OrderState.FAILED)
JEOPARDY_SEVERITY = {"medium": 1, "high": 2, "critical": 3}


# Advisory locks taken in one order of keys, so two batches holding orders in common wait instead of deadlocking;
# the live pages' notices ride on the same statement (NOTIFY is sent at commit wherever it is called).
_HOLD_ORDERS = sa.text(
    f"SELECT pg_advisory_xact_lock(key), pg_notify('{ORDER_CHANGED_CHANNEL}', order_id)"
    " FROM (SELECT DISTINCT hashtext(order_id) AS key, order_id"
    " FROM unnest(CAST(:order_ids AS text[])) AS order_id ORDER BY key) AS keys"
).bindparams(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text)))


_ENTRY_FIELDS = tuple(TimelineEntry.__dataclass_fields__)


def _text_array(name: str) -> sa.BindParameter:
    return sa.bindparam(name, type_=postgresql.ARRAY(sa.Text))


# A poll's lines, and its orders' rows (each order once), each in one statement.
_ADD_LINES = insert_arrays(
    timeline_events,
    tuple("order_summary" if name == "order" else name for name in _ENTRY_FIELDS),
    on_conflict="DO NOTHING",
)
_SAVED_COLUMNS = (*_ROW_FIELDS, "sla_due_at", "folded")
_SAVE_ROWS = insert_arrays(
    orders,
    _SAVED_COLUMNS,
    on_conflict="(id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _SAVED_COLUMNS if name != "id"),
)

# The consumer's reads, built once rather than on every poll (building a select was a tenth of what they cost).
_LINES_OF_ORDERS = (
    sa.select(timeline_events)
    .where(
        timeline_events.c.order_id == sa.any_(_text_array("order_ids")),
        timeline_events.c.message_id != sa.all_(_text_array("besides")),
    )
    .order_by(timeline_events.c.occurred_at, timeline_events.c.message_id)
)
_CONTACT_EMAILS = (
    sa.select(timeline_events.c.order_id, timeline_events.c.order_summary["contactEmails"])
    .distinct(timeline_events.c.order_id)
    .where(
        timeline_events.c.order_id == sa.any_(_text_array("order_ids")), timeline_events.c.kind == str(Stage.RECEIVED)
    )
    .order_by(timeline_events.c.order_id, timeline_events.c.order_version.desc())
)
_FOLDED_ORDERS = sa.select(orders).where(orders.c.id == sa.any_(_text_array("order_ids")), orders.c.folded.is_not(None))


def _entry_values(entry: TimelineEntry) -> dict[str, Any]:
    # A shallow copy: the line's lists and dicts are only read from here on (asdict would copy them deeply).
    values = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    values["stage"] = str(entry.stage) if entry.stage else None
    values["order_summary"] = values.pop("order")
    return values


def _entry(row: sa.RowMapping) -> TimelineEntry:
    values = dict(row)
    values["stage"] = Stage(values["stage"]) if values["stage"] else None
    values["order"] = values.pop("order_summary")
    return TimelineEntry(**values)


def _folded(row: sa.RowMapping) -> Folded:
    values = {name: row[name] for name in _ROW_FIELDS}
    values["stage"] = Stage(values["stage"])
    values["state"] = OrderState(values["state"])
    folded = row["folded"]
    status = folded["status"]
    at, version, rank, message_id = folded["through"]
    return Folded(
        row=OrderRow(**values),
        # Tuples, as the fold makes them: a status compares equal to the one it was kept from.
        status=OrderStatus(
            version=status["version"],
            stage=Stage(status["stage"]),
            state=OrderState(status["state"]),
            item_ids=tuple(status["itemIds"]),
            stopped_at=Stage(status["stoppedAt"]) if status["stoppedAt"] else None,
            findings=tuple(status["findings"]),
            item_outcomes={item: OrderState(outcome) for item, outcome in status["itemOutcomes"].items()},
        ),
        through=(datetime.fromisoformat(at), version, rank, message_id),
    )


def _folded_json(folded: Folded) -> dict[str, Any]:
    status = folded.status
    at, version, rank, message_id = folded.through
    return {
        "status": {
            "version": status.version,
            "stage": str(status.stage),
            "state": str(status.state),
            "itemIds": list(status.item_ids),
            "stoppedAt": str(status.stopped_at) if status.stopped_at else None,
            "findings": list(status.findings),
            "itemOutcomes": {item: str(outcome) for item, outcome in status.item_outcomes.items()},
        },
        "through": [at.isoformat(), version, rank, message_id],
    }


def _with_assignee() -> tuple[sa.Select, sa.Subquery]:
    """Order rows with `assigned_to`, the person the desk's latest assignment names (None when nobody took it)."""
    latest = (
        sa.select(assignments.c.order_id, assignments.c.assignee)
        .distinct(assignments.c.order_id)
        .order_by(assignments.c.order_id, assignments.c.assigned_at.desc(), assignments.c.id.desc())
        .subquery("latest_assignment")
    )
    query = sa.select(*_SHOWN, latest.c.assignee.label("assigned_to")).outerjoin(
        latest, latest.c.order_id == orders.c.id
    )
    return query, latest


def people_of(row: dict[str, Any]) -> OrderPeople:
    """The order's submitter and named reps as the read model keeps them: who a sales rep sees it as their own by."""
    reps = row["sales_reps"].split(REP_SEPARATOR) if row["sales_reps"] else []
    return OrderPeople(order_id=row["id"], submitted_by=row["submitted_by"], reps=frozenset(reps))


def orders_of_person(person: str) -> sa.ColumnElement[bool]:
    """The orders `person` (casefolded, as orderdesk_shared.access.own_orders_only gives) submitted or is named on."""
    reps = sa.func.string_to_array(sa.func.lower(orders.c.sales_reps), REP_SEPARATOR, type_=postgresql.ARRAY(sa.Text))
    return sa.or_(sa.func.lower(orders.c.submitted_by) == person, sa.literal(person) == sa.any_(reps))


# How long open orders have been in their stage, in wall-clock time (the SLA watchdog counts business hours).
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(hours=24)),
    ("1–3 days", timedelta(days=3)),
    ("over 3 days", None),
)
THROUGHPUT_HOURS = 24


def _count_per_hour(name: str, column: sa.Column, *, since: datetime) -> sa.Select:
    # Literal text rather than parameters: GROUP BY must repeat the very expression the SELECT shows.
    hour = sa.func.date_trunc(sa.literal_column("'hour'"), column, sa.literal_column("'UTC'"))
    return sa.select(sa.literal(name), hour, sa.func.count()).where(column >= since).group_by(hour)


def _past_sla(now: datetime) -> sa.ColumnElement[bool]:
    """Open orders whose current step's SLA ran out before `now`."""
    return sa.and_(orders.c.sla_due_at < now, OPEN_ORDER)


class Timelines:
    """The timeline lines of each order, one per event heard about it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, entries: Sequence[TimelineEntry]) -> None:
        """Keep timeline lines; one already kept (a redelivery, or a rebuild meeting the live consumer) stays as it
        is."""
        if entries:
            await self._connection.execute(_ADD_LINES, as_arrays([_entry_values(entry) for entry in entries]))

    async def of_order(self, order_id: str) -> list[TimelineEntry]:
        """Every line of an order's timeline, oldest first."""
        return (await self.of_orders([order_id])).get(order_id, [])

    async def of_orders(
        self, order_ids: Sequence[str], *, besides: Sequence[str] = ()
    ) -> dict[str, list[TimelineEntry]]:
        """Every line of each order's timeline but those whose message ids are `besides`, oldest first, by order id."""
        result = await self._connection.execute(
            _LINES_OF_ORDERS, {"order_ids": list(order_ids), "besides": list(besides)}
        )
        lines: dict[str, list[TimelineEntry]] = {}
        for row in result.mappings():
            lines.setdefault(row["order_id"], []).append(_entry(row))
        return lines

    async def contact_emails(self, order_ids: Sequence[str]) -> dict[str, list[str]]:
        """The e-mail addresses of each order's customer contacts, as its latest version was received, by order id."""
        result = await self._connection.execute(_CONTACT_EMAILS, {"order_ids": list(order_ids)})
        return {order_id: emails or [] for order_id, emails in result.all()}


class Orders:
    """The order rows, each the fold of its timeline, and what the desk's pages count and list of them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def hold(self, order_ids: Sequence[str]) -> None:
        """Hold the orders until commit, so lines of one order arriving on several topics at once fold one after
        another; and tell the live pages they changed, once this transaction commits (as `LivePages.announce`)."""
        try:
            await self._connection.execute(_HOLD_ORDERS, {"order_ids": list(order_ids)})
        except sa.exc.DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
            # Two transactions each waiting for the other: Postgres ends one, and its batch is simply redone.
            raise TransientError(f"deadlock waiting for orders {', '.join(order_ids)}") from error

    async def folded(self, order_ids: Sequence[str]) -> dict[str, Folded]:
        """What each order's row and fold say so far, by order id (none for an order without a row, or one kept before
        the rows kept it)."""
        result = await self._connection.execute(_FOLDED_ORDERS, {"order_ids": list(order_ids)})
        return {row["id"]: _folded(row) for row in result.mappings()}

    async def save(self, rows: Sequence[tuple[OrderRow, datetime | None]]) -> None:
        """Write each order's row with the time its current step is due (None when the step has no SLA); a row not
        folded from its timeline has no fold to go on from, so its next lines fold with its whole timeline."""
        await self._save([(row, sla_due_at, None) for row, sla_due_at in rows])

    async def save_folded(self, orders_folded: Sequence[tuple[Folded, datetime | None]]) -> None:
        """Write each order's row as folding its lines left it, with what folding its next lines on needs and the time
        its current step is due (None when the step has no SLA)."""
        await self._save([(folded.row, sla_due_at, _folded_json(folded)) for folded, sla_due_at in orders_folded])

    async def _save(self, rows: Sequence[tuple[OrderRow, datetime | None, dict[str, Any] | None]]) -> None:
        if not rows:
            return
        saved = [
            {name: getattr(row, name) for name in _ROW_FIELDS}
            | {"stage": str(row.stage), "state": str(row.state), "sla_due_at": sla_due_at, "folded": folded}
            for row, sla_due_at, folded in rows
        ]
        await self._connection.execute(_SAVE_ROWS, as_arrays(saved))

    async def get(self, order_id: str) -> dict[str, Any] | None:
        query, _ = _with_assignee()
        row = (await self._connection.execute(query.where(orders.c.id == order_id))).mappings().first()
        return dict(row) if row else None

    async def page(
        self,
        *,
        states: list[str] | None = None,
        stage: str | None = None,
        search: str | None = None,
        awaiting_approval: bool | None = None,
        assigned_to: str | None = None,
        owned_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Orders matching the filters (`owned_by`: only those a sales rep submitted or is named on), most recently
        moved first, and how many match in all."""
        query, latest_assignment = _with_assignee()
        if owned_by:
            query = query.where(orders_of_person(owned_by))
        if assigned_to:
            query = query.where(latest_assignment.c.assignee == assigned_to)
        if states:
            query = query.where(orders.c.state.in_(states))
        if stage:
            query = query.where(orders.c.stage == stage)
        if awaiting_approval is not None:
            # Pricing-approval's pending orders wait for approvers (their queue is pricing-approval's), not for the
            # desk.
            waiting = sa.and_(orders.c.state == OrderState.PENDING, orders.c.stage == Stage.PRICED)
            query = query.where(waiting if awaiting_approval else sa.not_(waiting))
        if search:
            pattern = f"%{search}%"
            query = query.where(sa.or_(*(column.ilike(pattern) for column in _SEARCHED)))
        total = (await self._connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
        page = query.order_by(orders.c.last_event_at.desc(), orders.c.id).limit(limit).offset(offset)
        return [dict(row) for row in (await self._connection.execute(page)).mappings()], total

    async def figures(self, *, now: datetime) -> dict[str, Any]:
        """Orders per stage and per state, jeopardy counts, the most frequent reasons open orders are blocked, open
        orders' age in their stage, and the hourly throughput of the last day."""
        per_stage = await self._connection.execute(sa.select(orders.c.stage, sa.func.count()).group_by(orders.c.stage))
        per_state = await self._connection.execute(sa.select(orders.c.state, sa.func.count()).group_by(orders.c.state))
        jeopardy = await self._connection.execute(
            sa.select(orders.c.jeopardy, sa.func.count())
            .where(orders.c.jeopardy.is_not(None))
            .group_by(orders.c.jeopardy)
        )
        finding = sa.func.jsonb_array_elements(orders.c.findings).table_valued("value").render_derived()
        reason = finding.c.value.op("->>")("reasonCode")
        reasons = await self._connection.execute(
            sa.select(reason.label("reason"), sa.func.count().label("orders"))
            .select_from(orders.join(finding, sa.true()))
            .where(orders.c.state.in_(BLOCKED_STATES))
            .group_by(reason)
            .order_by(sa.func.count().desc(), reason)
            .limit(8)
        )
        stage_counts, state_counts = dict(per_stage.all()), dict(per_state.all())
        # Lists rather than objects: the stages keep the flow's order, the states TMF622's, whoever serialises them.
        return {
            "perStage": [{"stage": str(stage), "orders": stage_counts.get(str(stage), 0)} for stage in Stage],
            "perState": [{"state": str(state), "orders": state_counts.get(str(state), 0)} for state in OrderState],
            "jeopardy": dict(jeopardy.all()),
            "topReasons": [{"reason": r, "orders": n} for r, n in reasons.all()],
            "agingByStage": await self._aging_by_stage(now=now),
            "throughput": await self._hourly_throughput(now=now),
        }

    async def _aging_by_stage(self, *, now: datetime) -> dict[str, Any]:
        """Open orders per stage, counted by how long they have been in it."""
        age = sa.literal(now, sa.DateTime(timezone=True)) - orders.c.stage_entered_at
        bucket = sa.case(
            *((age < limit, number) for number, (_, limit) in enumerate(AGE_BUCKETS) if limit is not None),
            else_=len(AGE_BUCKETS) - 1,
        ).label("bucket")
        counted = await self._connection.execute(
            sa.select(orders.c.stage, bucket, sa.func.count()).where(OPEN_ORDER).group_by(orders.c.stage, bucket)
        )
        counts = {(stage, number): total for stage, number, total in counted.all()}
        return {
            "buckets": [name for name, _ in AGE_BUCKETS],
            "perStage": [
                {"stage": str(stage), "orders": [counts.get((str(stage), n), 0) for n in range(len(AGE_BUCKETS))]}
                for stage in Stage
            ],
        }

    async def _hourly_throughput(self, *, now: datetime) -> dict[str, Any]:
        """Orders received, handed off and ratified in each of the last hours (UTC), oldest hour first."""
        this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = [this_hour - timedelta(hours=back) for back in reversed(range(THROUGHPUT_HOURS))]
        milestones = {
            "received": orders.c.received_at,
            "handedOff": orders.c.handed_off_at,
            "ratified": orders.c.ratified_at,
        }
        per_hour = sa.union_all(*(_count_per_hour(name, column, since=hours[0]) for name, column in milestones.items()))
        counts = {(name, hour): total for name, hour, total in (await self._connection.execute(per_hour)).all()}
        return {"hours": [hour.isoformat() for hour in hours]} | {
            name: [counts.get((name, hour), 0) for hour in hours] for name in milestones
        }

    async def escalated(self, *, owned_by: str | None = None, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
        """Open orders in jeopardy (`owned_by`: a sales rep's own), each with the rungs of the escalation ladder reached
        at its current stage (`escalated_to`, unordered): the most severe first (level, then rungs), then the longest in
        their stage."""
        rung = jeopardy_raised.c.level
        reached = (
            sa.select(
                jeopardy_raised.c.order_id,
                jeopardy_raised.c.order_version,
                jeopardy_raised.c.stage,
                sa.func.array_agg(sa.func.substr(rung, len(ESCALATED_TO) + 1)).label("escalated_to"),
            )
            .where(rung.startswith(ESCALATED_TO))
            .group_by(jeopardy_raised.c.order_id, jeopardy_raised.c.order_version, jeopardy_raised.c.stage)
            .subquery()
        )
        at_current_stage = sa.and_(
            reached.c.order_id == orders.c.id,
            reached.c.order_version == orders.c.order_version,
            reached.c.stage == orders.c.stage,
        )
        severity = sa.case(JEOPARDY_SEVERITY, value=orders.c.jeopardy, else_=0)
        query = (
            sa.select(*_SHOWN, reached.c.escalated_to)
            .select_from(orders.outerjoin(reached, at_current_stage))
            .where(orders.c.jeopardy.is_not(None), OPEN_ORDER)
        )
        if owned_by:
            query = query.where(orders_of_person(owned_by))
        total = (await self._connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
        page = query.order_by(
            severity.desc(),
            sa.func.coalesce(sa.func.cardinality(reached.c.escalated_to), 0).desc(),
            orders.c.stage_entered_at,
            orders.c.id,
        ).limit(limit)
        rows = [
            dict(row) | {"escalated_to": row["escalated_to"] or []}
            for row in (await self._connection.execute(page)).mappings()
        ]
        return rows, total

    async def past_their_sla(self, *, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Open orders whose current step's SLA ran out before `now`, the longest overdue first."""
        overdue = sa.select(*_SHOWN).where(_past_sla(now)).order_by(orders.c.sla_due_at, orders.c.id).limit(limit)
        return [dict(row) for row in (await self._connection.execute(overdue)).mappings()]

    async def past_their_sla_by_stage(self, *, now: datetime) -> dict[Stage, int]:
        """How many open orders are past their SLA in each stage (every stage, zero or not)."""
        counted = await self._connection.execute(
            sa.select(orders.c.stage, sa.func.count()).where(_past_sla(now)).group_by(orders.c.stage)
        )
        counts = dict(counted.all())
        return {stage: counts.get(str(stage), 0) for stage in Stage}

    async def in_flight(self) -> list[dict[str, Any]]:
        """Orders whose stage clock runs: not ended, and with an SLA due time."""
        result = await self._connection.execute(
            sa.select(*_SHOWN).where(
                orders.c.sla_due_at.is_not(None),
                OPEN_ORDER,
            )
        )
        return [dict(row) for row in result.mappings()]

    async def reset(self) -> None:
        """Forget every timeline and order row (not what the watchdog raised, whose events stay on the bus, nor the
        desk's assignments, which are on no topic)."""
        await self._connection.execute(sa.text(f"TRUNCATE {orders.fullname}, {timeline_events.fullname}"))


class Assignments:
    """The desk's assignments of orders to people (the console's own record, on no topic)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def assign(self, *, order_id: str, order_version: int, assignee: str, assigned_by: str, at: datetime) -> None:
        """Give the order to a person on the desk; earlier assignments stay as its history."""
        await self._connection.execute(
            assignments.insert().values(
                order_id=order_id,
                order_version=order_version,
                assignee=assignee,
                assigned_by=assigned_by,
                assigned_at=at,
            )
        )

    async def history(self, order_id: str) -> list[dict[str, Any]]:
        """Every assignment of the order, oldest first."""
        result = await self._connection.execute(
            sa.select(assignments)
            .where(assignments.c.order_id == order_id)
            .order_by(assignments.c.assigned_at, assignments.c.id)
        )
        return [dict(row) for row in result.mappings()]


_CLAIM_LEVELS = insert_arrays(
    jeopardy_raised,
    ("order_id", "order_version", "stage", "level", "raised_at"),
    on_conflict="DO NOTHING",
    returning="order_id, order_version, stage, level",
)


class JeopardyRaised:
    """The jeopardy levels and escalation rungs raised, each once per order version and stage."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, levels: Sequence[RaisedLevel], *, at: datetime) -> set[RaisedLevel]:
        """Record each level as raised for its order version and stage, in one statement: those not raised before."""
        if not levels:
            return set()
        rows = await self._connection.execute(
            _CLAIM_LEVELS,
            {
                "order_id": [level.order_id for level in levels],
                "order_version": [level.order_version for level in levels],
                "stage": [level.stage for level in levels],
                "level": [level.level for level in levels],
                "raised_at": [at] * len(levels),
            },
        )
        return {RaisedLevel(*row) for row in rows}
