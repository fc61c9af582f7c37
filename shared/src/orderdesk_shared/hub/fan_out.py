"""Writing notifications (Hub): a unit of work hands the hub what it changed, and before the transaction commits
the notifications are fanned out to the matching subscriptions in one statement, with a NOTIFY that wakes the
delivery loops."""

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.hub.tables import HubTables
from orderdesk_shared.notifications import Notification, matches
from orderdesk_shared.telemetry import Traced

# What a unit of work hands the hub: the notifications, built only when some listener is registered (given the
# transaction's connection, for the reads that building them needs).
NotificationSource = Callable[[AsyncConnection], Sequence[Notification] | Awaitable[Sequence[Notification]]]


class Hub:
    """A service's hub: its tables, and the notifications units of work write into them."""

    def __init__(self, tables: HubTables) -> None:
        self.tables = tables
        self._fan_out_statement = _fan_out_statement(tables.notifications, delivery_channel(tables))

    def notify(self, uow: UnitOfWork, source: NotificationSource) -> None:
        """Fan the source's notifications out to the matching subscriptions when `uow` commits."""
        uow.before_commit(self.fan_out, source)

    async def fan_out(self, uow: UnitOfWork, sources: Sequence[Traced[NotificationSource]]) -> None:
        """Every notification of the transaction, to each subscription it matches: one read of the subscriptions,
        and one insert when any matches."""
        subscriptions = self.tables.subscriptions
        registered = (
            await uow.connection.execute(
                sa.select(subscriptions.c.id, subscriptions.c.audience, subscriptions.c.filter).order_by(
                    subscriptions.c.id
                )
            )
        ).all()
        if not registered:
            return
        notifications = [note for source in sources for note in await _built(source.item, uow.connection)]
        rows = []
        for note in notifications:
            envelope = note.envelope()
            body = json.dumps(envelope, separators=(",", ":"))
            rows += [
                (subscription.id, note, body)
                for subscription in registered
                if (subscription.audience is None or subscription.audience in note.audience)
                and matches(subscription.filter, envelope)
            ]
        if rows:
            await uow.connection.execute(
                self._fan_out_statement,
                {
                    "subscription_ids": [subscription_id for subscription_id, _, _ in rows],
                    "event_ids": [note.event_id for _, note, _ in rows],
                    "event_types": [note.event_type for _, note, _ in rows],
                    "bodies": [body for _, _, body in rows],
                },
            )


async def _built(source: NotificationSource, connection: AsyncConnection) -> Sequence[Notification]:
    built = source(connection)
    return await built if inspect.isawaitable(built) else built


def delivery_channel(tables: HubTables) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's delivery loops when notifications are written."""
    return f"{tables.notifications.schema or 'public'}_hub"


def _fan_out_statement(notifications: sa.Table, channel: str) -> sa.TextClause:
    table = postgresql.dialect().identifier_preparer.format_table(notifications)
    arrays = ("subscription_ids", "event_ids", "event_types", "bodies")
    # The NOTIFY is transactional too: the delivery loops hear it once these rows are committed.
    sql = (
        f"WITH fanned_out AS (INSERT INTO {table} (subscription_id, event_id, event_type, body) "
        f"SELECT * FROM unnest({', '.join(f'CAST(:{name} AS text[])' for name in arrays)}) ON CONFLICT DO NOTHING) "
        "SELECT pg_notify(:channel, '')"
    )
    return sa.text(sql).bindparams(
        *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in arrays),
        sa.bindparam("channel", value=channel, type_=sa.Text),
    )
