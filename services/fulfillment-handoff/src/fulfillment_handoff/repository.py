"""Fulfillment's repositories: its orders' locks and later versions, hand-offs, billing-code map, catalogue tickets
and Operations' reports, each working in the connection (the transaction) it is built on."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from fulfillment_handoff.domain.billing import BillingCode, CodeKey
from fulfillment_handoff.domain.fulfillment import Fulfillment, HandedOff, ItemOutcome
from fulfillment_handoff.domain.handoff import HANDED_OFF, HELD, PriorHandOff
from fulfillment_handoff.tables import (
    billing_codes,
    catalogue_tickets,
    handoffs,
    ops_reports,
    order_versions,
    ticket_orders,
)
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.order_versions import (
    Standing,
    note_cancelled,
    note_version,
    standing,
    store_all_if_live,
    store_if_live,
)

_LOCK_ORDERS = sa.text(
    "SELECT pg_advisory_xact_lock(hashtext('fulfillment.order'), hashtext(order_id)) "
    "FROM (SELECT order_id FROM unnest(CAST(:order_ids AS text[])) AS order_id ORDER BY order_id) AS locked"
).bindparams(sa.bindparam("order_ids", type_=ARRAY(sa.Text)))


class Orders:
    """The orders' locks, and the later versions and cancels intake announced."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, order_id: str) -> None:
        """Serialise the transactions deciding about one order, its first hand-off and a cancel or correction alike
        (a row lock cannot: before the first hand-off the order has no row)."""
        await self._connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("fulfillment.order"), sa.func.hashtext(order_id)))
        )

    async def lock_all(self, order_ids: Iterable[str]) -> None:
        """`lock` for several orders in one statement, in id order (as every taker of several does, so that
        none waits for another in a cycle)."""
        ids = sorted(set(order_ids))
        if ids:
            await self._connection.execute(_LOCK_ORDERS, {"order_ids": ids})

    async def note_live_version(self, order_id: str, version: int) -> None:
        await note_version(self._connection, order_versions, order_id=order_id, version=version)

    async def note_cancel(self, order_id: str, version: int, reason: str) -> None:
        await note_cancelled(self._connection, order_versions, order_id=order_id, version=version, reason=reason)

    async def standing_of(self, order_id: str) -> Standing | None:
        return await standing(self._connection, order_versions, order_id)


# Built once: every poll of approvals locks its orders' rows with it.
_LOCK_HANDOFFS = (
    sa.select(handoffs)
    .where(handoffs.c.order_id == sa.any_(sa.bindparam("order_ids", type_=ARRAY(sa.Text))))
    .with_for_update()
)


class HandOffs:
    """Each order's row: its latest approved version, held or handed off, and what Operations reported of it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, order_id: str, *, skip_locked: bool = False) -> sa.Row | None:
        """The order's row, locked; with `skip_locked`, None when another transaction holds it."""
        query = sa.select(handoffs).where(handoffs.c.order_id == order_id).with_for_update(skip_locked=skip_locked)
        return (await self._connection.execute(query)).first()

    async def lock_all(self, order_ids: Iterable[str]) -> dict[str, sa.Row]:
        """`lock` for several orders in one statement: their rows by order id (those that have one)."""
        rows = await self._connection.execute(_LOCK_HANDOFFS, {"order_ids": sorted(set(order_ids))})
        return {row.order_id: row for row in rows}

    async def get(self, order_id: str) -> sa.Row | None:
        return (await self._connection.execute(sa.select(handoffs).where(handoffs.c.order_id == order_id))).first()

    async def save_hold(self, **values: object) -> bool:
        """Store the order's hold; what Operations has of an earlier version stays as it is. False (nothing stored)
        when the version may not be handed off: it was corrected since, or the order cancelled."""
        return await store_if_live(self._connection, handoffs, order_versions, state=HELD, **values)

    async def save_hand_off(self, *, item_ids: list[str], **values: object) -> bool:
        """Store the order's hand-off: Operations has this version now, and its fulfillment starts over. False
        (nothing stored) when the version may not be handed off: it was corrected since, or the order cancelled."""
        row = hand_off_row(item_ids=item_ids, **values)
        return await store_if_live(self._connection, handoffs, order_versions, **row)

    async def save_hand_offs(self, hand_offs: Sequence[Mapping[str, object]]) -> set[str]:
        """`save_hand_off` for several orders in one statement (each value as save_hand_off takes it); the ids of
        the orders stored."""
        rows = [hand_off_row(**hand_off) for hand_off in hand_offs]
        stored = await store_all_if_live(self._connection, handoffs, order_versions, rows)
        return {order_id for order_id, _ in stored}

    async def drop_hold(self, order_id: str, *, state: str) -> None:
        """The held version will never be handed off (its tickets' waits are released apart: Tickets)."""
        await self._connection.execute(
            sa.update(handoffs).where(handoffs.c.order_id == order_id).values(state=state, findings=[], approved=None)
        )

    async def set_state(self, order_id: str, state: str) -> None:
        await self._connection.execute(sa.update(handoffs).where(handoffs.c.order_id == order_id).values(state=state))

    async def mark_cancel_sent(self, order_id: str) -> None:
        await self._connection.execute(
            sa.update(handoffs).where(handoffs.c.order_id == order_id).values(cancel_sent_at=sa.func.now())
        )

    async def update_fulfillment(self, order_id: str, fulfillment: Fulfillment) -> None:
        await self._connection.execute(
            sa.update(handoffs)
            .where(handoffs.c.order_id == order_id)
            .values(**fulfillment_columns(fulfillment), ops_updated_at=sa.func.now())
        )


def fulfillment_columns(fulfillment: Fulfillment) -> dict[str, object]:
    """The row's columns that hold what Operations reported (handed_off_of reads them back)."""
    return {
        "ops_status": fulfillment.status.value if fulfillment.status else None,
        "scheduled_for": fulfillment.scheduled_for,
        "installed_on": fulfillment.installed_on,
        "failure_reason": fulfillment.failure_reason,
        "item_outcomes": {
            item_id: {
                "status": outcome.status.value,
                "effectiveDate": outcome.effective_date.isoformat() if outcome.effective_date else None,
                "reason": outcome.reason,
            }
            for item_id, outcome in fulfillment.items.items()
        },
    }


def hand_off_row(*, item_ids: list[str], **values: object) -> dict[str, object]:
    """The row of a hand-off: Operations has this version now, and its fulfillment starts over."""
    return dict(
        **values,
        state=HANDED_OFF,
        handed_off_version=values["order_version"],
        item_ids=item_ids,
        ops_status=None,
        scheduled_for=None,
        installed_on=None,
        failure_reason=None,
        item_outcomes={},
        ops_updated_at=None,
        cancel_sent_at=None,
    )


def people_of(row: sa.Row) -> OrderPeople:
    """Who the order belongs to, as its latest approved version named them."""
    return OrderPeople(order_id=row.order_id, submitted_by=row.submitted_by, reps=frozenset(row.sales_reps))


def prior_of(row: sa.Row | None) -> PriorHandOff:
    """What the order's row says before a version is decided about (nothing when it has none)."""
    if row is None:
        return PriorHandOff()
    return PriorHandOff(
        version=row.order_version,
        was_held=row.state == HELD,
        held_for=row.findings,
        replaces_version=row.handed_off_version,
    )


def handed_off_of(row: sa.Row | None) -> HandedOff | None:
    """The version Operations has and what it reported; None when no version of the order was handed off."""
    if row is None or row.handed_off_version is None:
        return None
    return HandedOff(
        version=row.handed_off_version,
        on=row.handed_off_at.astimezone(UTC).date(),
        item_ids=tuple(row.item_ids),
        fulfillment=Fulfillment(
            status=OpsStatus(row.ops_status) if row.ops_status else None,
            scheduled_for=row.scheduled_for,
            installed_on=row.installed_on,
            failure_reason=row.failure_reason,
            items={
                item_id: ItemOutcome(
                    OpsStatus(outcome["status"]),
                    date.fromisoformat(outcome["effectiveDate"]) if outcome["effectiveDate"] else None,
                    outcome["reason"],
                )
                for item_id, outcome in row.item_outcomes.items()
            },
        ),
        cancel_sent=row.cancel_sent_at is not None,
    )


@dataclass(frozen=True)
class MapChange:
    added: list[BillingCode]
    unchanged: list[BillingCode]
    conflicts: list[tuple[BillingCode, BillingCode]]  # (new, the existing entry whose period it overlaps)


class BillingCodes:
    """The billing-code map."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock_map(self) -> None:
        """Serialise changes to the map with holds, so no order is held for a code added meanwhile."""
        await self._connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("fulfillment.billing_codes")))
        )

    async def codes_for(self, keys: Iterable[CodeKey]) -> list[BillingCode]:
        keys = list(keys)
        if not keys:
            return []
        key_columns = sa.tuple_(billing_codes.c.price_component, billing_codes.c.billing_system, billing_codes.c.market)
        query = sa.select(billing_codes).where(key_columns.in_([tuple(key) for key in keys]))
        return [billing_code_of(row) for row in await self._connection.execute(query)]

    async def listed(
        self, *, price_component: str | None, market: str | None, billing_system: str | None
    ) -> list[sa.Row]:
        query = sa.select(billing_codes).order_by(
            billing_codes.c.market, billing_codes.c.price_component, billing_codes.c.effective_from
        )
        for column, wanted in (
            (billing_codes.c.price_component, price_component),
            (billing_codes.c.market, market),
            (billing_codes.c.billing_system, billing_system),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        return list(await self._connection.execute(query))

    async def add(self, codes: list[BillingCode], *, added_by: str) -> MapChange:
        """Add entries to the map; an entry already there is unchanged, one overlapping another's period
        conflicts."""
        existing = await self.codes_for({code.key for code in codes})
        added, unchanged, conflicts = [], [], []
        for code in codes:
            if code in existing:
                unchanged.append(code)
            elif overlapping := next((other for other in existing if other.overlaps(code)), None):
                conflicts.append((code, overlapping))
            else:
                added.append(code)
        if added and not conflicts:
            await self._connection.execute(
                sa.insert(billing_codes),
                [
                    {
                        "price_component": code.key.price_component,
                        "billing_system": code.key.billing_system,
                        "market": code.key.market,
                        "billing_code": code.billing_code,
                        "effective_from": code.effective_from,
                        "effective_to": code.effective_to,
                        "added_by": added_by,
                    }
                    for code in added
                ],
            )
        return MapChange(added, unchanged, conflicts)


def billing_code_of(row: sa.Row) -> BillingCode:
    return BillingCode(
        CodeKey(row.price_component, row.billing_system, row.market),
        row.billing_code,
        row.effective_from,
        row.effective_to,
    )


class Tickets:
    """The catalogue team's tickets for missing billing codes, and the held orders waiting on them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def wait_on(self, order_id: str, keys: Iterable[CodeKey]) -> None:
        """The order now waits on exactly these codes' open tickets (opened when missing)."""
        await self._connection.execute(
            sa.delete(ticket_orders).where(ticket_orders.c.order_id == order_id, ticket_orders.c.released_at.is_(None))
        )
        for key in keys:
            await self._connection.execute(
                insert(catalogue_tickets)
                .values(price_component=key.price_component, billing_system=key.billing_system, market=key.market)
                .on_conflict_do_nothing(
                    index_elements=["price_component", "billing_system", "market"],
                    index_where=catalogue_tickets.c.resolved_at.is_(None),
                )
            )
            ticket_id = (
                await self._connection.execute(sa.select(catalogue_tickets.c.id).where(*_open_ticket_for(key)))
            ).scalar_one()
            await self._connection.execute(
                insert(ticket_orders)
                .values(ticket_id=ticket_id, order_id=order_id)
                .on_conflict_do_update(index_elements=["ticket_id", "order_id"], set_={"released_at": None})
            )
        await self._resolve_tickets_nobody_waits_on()

    async def release_waits(self, order_id: str) -> None:
        """The order waits on no ticket any more (those nobody waits on resolve)."""
        await self._connection.execute(
            sa.update(ticket_orders)
            .where(ticket_orders.c.order_id == order_id, ticket_orders.c.released_at.is_(None))
            .values(released_at=sa.func.now())
        )
        await self._resolve_tickets_nobody_waits_on()

    async def _resolve_tickets_nobody_waits_on(self) -> None:
        waiting = sa.select(ticket_orders.c.ticket_id).where(
            ticket_orders.c.ticket_id == catalogue_tickets.c.id, ticket_orders.c.released_at.is_(None)
        )
        await self._connection.execute(
            sa.update(catalogue_tickets)
            .where(catalogue_tickets.c.resolved_at.is_(None), ~sa.exists(waiting))
            .values(resolved_at=sa.func.now())
        )

    async def orders_waiting_on(self, keys: Iterable[CodeKey]) -> list[str]:
        """Held orders waiting on any of these codes, oldest wait first."""
        keys = list(keys)
        if not keys:
            return []
        key_columns = sa.tuple_(
            catalogue_tickets.c.price_component, catalogue_tickets.c.billing_system, catalogue_tickets.c.market
        )
        rows = await self._connection.execute(
            sa.select(ticket_orders.c.order_id, sa.func.min(ticket_orders.c.waiting_since).label("since"))
            .join(catalogue_tickets, catalogue_tickets.c.id == ticket_orders.c.ticket_id)
            .where(
                catalogue_tickets.c.resolved_at.is_(None),
                ticket_orders.c.released_at.is_(None),
                key_columns.in_([tuple(key) for key in keys]),
            )
            .group_by(ticket_orders.c.order_id)
            .order_by("since", ticket_orders.c.order_id)
        )
        return [row.order_id for row in rows]

    async def listed(
        self, *, open_only: bool, order_id: str | None = None, offset: int = 0, limit: int | None = None
    ) -> list[dict]:
        """Catalogue tickets, oldest first, each with the orders waiting on it (or that waited, once resolved);
        `limit` of them from `offset` (all of an order's without one: an order waits on a handful)."""
        query = (
            sa.select(
                catalogue_tickets,
                sa.func.array_agg(ticket_orders.c.order_id).label("order_ids"),
            )
            .join(ticket_orders, ticket_orders.c.ticket_id == catalogue_tickets.c.id)
            .group_by(catalogue_tickets.c.id)
            .order_by(catalogue_tickets.c.opened_at, catalogue_tickets.c.id)
            .offset(offset)
            .limit(limit)
        )
        if open_only:
            query = query.where(catalogue_tickets.c.resolved_at.is_(None), ticket_orders.c.released_at.is_(None))
        if order_id is not None:
            query = query.where(
                catalogue_tickets.c.id.in_(
                    sa.select(ticket_orders.c.ticket_id).where(ticket_orders.c.order_id == order_id)
                )
            )
        return [row._asdict() | {"order_ids": sorted(row.order_ids)} for row in await self._connection.execute(query)]


def _open_ticket_for(key: CodeKey) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        catalogue_tickets.c.price_component == key.price_component,
        catalogue_tickets.c.billing_system == key.billing_system,
        catalogue_tickets.c.market == key.market,
        catalogue_tickets.c.resolved_at.is_(None),
    )


class OpsReports:
    """Every report from Operations, with what it did."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, report: OpsOrderStatusChanged, *, outcome: str) -> None:
        await self._connection.execute(
            sa.insert(ops_reports).values(
                order_id=report.order_id,
                order_version=report.order_version,
                status=report.status.value,
                effective_date=report.effective_date,
                reason=report.reason,
                item_ids=report.item_ids,
                reported_by=report.reported_by,
                outcome=outcome,
            )
        )
