"""Delivering notifications (HubDelivery): the loop that claims subscriptions with work due, POSTs each one's
notifications oldest first, signed, retries a failure with a doubling wait, dead-letters a notification still
undelivered when its retry window closes, and purges the delivered and the dead-lettered once their retention is
over. While nothing is due it sleeps, until the next retry is or a fan-out's NOTIFY wakes it."""

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from orderdesk_shared.db import Database
from orderdesk_shared.errors import describe_error, is_transient, logged_error
from orderdesk_shared.hub.callbacks import ensure_callback_allowed
from orderdesk_shared.hub.fan_out import Hub, delivery_channel
from orderdesk_shared.hub.tables import HubTables
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import NOTIFICATIONS_DEAD, NOTIFICATIONS_DELIVERED
from orderdesk_shared.notifications import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    InvalidSubscription,
    RetrySchedule,
    signature,
)
from orderdesk_shared.settings import ServiceSettings

log = get_logger(__name__)

# Subscriptions one replica works on at once, and the notifications it sends each of them in one round.
SUBSCRIPTIONS_PER_ROUND = 20
NOTIFICATIONS_PER_SUBSCRIPTION = 50
# How long one round may keep sending to one listener before it lets another replica's round take over.
ROUND_SECONDS = 20.0
PURGE_INTERVAL_SECONDS = 60.0
PURGE_BATCH_ROWS = 5_000
# With nothing waiting, how long the loop sleeps unless a fan-out wakes it: a safety net (and the purge's beat),
# not the way new notifications are found.
IDLE_RECHECK_SECONDS = PURGE_INTERVAL_SECONDS


@dataclass(frozen=True)
class _Due:
    id: int
    event_id: str
    body: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class _Outcome:
    id: int
    outcome: str  # delivered, retry, dead
    attempts: int
    reason: str | None = None
    next_attempt_at: datetime | None = None


class HubDelivery:
    """The loop that POSTs a service's notifications to their listeners (a task of the service's runtime)."""

    def __init__(self, hub: Hub, settings: ServiceSettings) -> None:
        self._tables = hub.tables
        self._settings = settings
        self._service = settings.service_name
        self._schedule = RetrySchedule(
            first=settings.hub_retry_first_seconds,
            longest=settings.hub_retry_longest_seconds,
            window=settings.hub_retry_window_seconds,
        )
        self._timeout = settings.hub_delivery_timeout_seconds
        self._poll_seconds = settings.hub_poll_seconds
        self._retention = settings.retention
        self._next_purge = 0.0
        self._channel = delivery_channel(self._tables)
        self._wake = asyncio.Event()
        self._claim, self._due, self._record = _delivery_statements(self._tables)
        self._next_due = _next_due_statement(self._tables)

    async def run(self, database: Database) -> None:
        """Deliver until cancelled; a database that is away is waited for."""
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            while True:
                try:
                    await self._deliver_while_listening(database, client)
                except Exception as error:
                    if not is_transient(error):
                        raise
                    log.warning("notification delivery interrupted", error=logged_error(error))
                    await asyncio.sleep(self._poll_seconds)

    async def _deliver_while_listening(self, database: Database, client: httpx.AsyncClient) -> None:
        """Deliver rounds while one connection listens for fan-outs, sleeping between them while nothing is due."""
        async with database.engine.connect() as listening:
            driver_connection = (await listening.get_raw_connection()).driver_connection
            await driver_connection.add_listener(self._channel, self._on_notify)
            try:
                while True:
                    # Cleared before the round looks: a fan-out committed meanwhile wakes the wait after it.
                    self._wake.clear()
                    worked = await self._round(database, client)
                    await self._purge(database)
                    if not worked:
                        await self._wait_for_work(driver_connection)
            finally:
                with contextlib.suppress(Exception):
                    await driver_connection.remove_listener(self._channel, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait_for_work(self, driver_connection: Any) -> None:
        """Sleep until the next retry is due or a fan-out wakes the loop. What is due already was claimed by
        another replica: look again after the poll interval."""
        due_in = await driver_connection.fetchval(self._next_due)
        if due_in is None:
            wait = IDLE_RECHECK_SECONDS
        elif due_in > 0:
            wait = min(due_in, IDLE_RECHECK_SECONDS)
        else:
            wait = self._poll_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _round(self, database: Database, client: httpx.AsyncClient) -> bool:
        """Deliver what is due to the subscriptions no other replica is working on; whether there was any."""
        async with database.engine.connect() as connection, connection.begin():
            claimed = (await connection.execute(self._claim, {"limit": SUBSCRIPTIONS_PER_ROUND})).all()
            if not claimed:
                return False
            due: dict[str, list[_Due]] = {subscription.id: [] for subscription in claimed}
            rows = await connection.execute(
                self._due, {"subscription_ids": list(due), "per_subscription": NOTIFICATIONS_PER_SUBSCRIPTION}
            )
            for row in rows:
                due[row.subscription_id].append(
                    _Due(row.id, row.event_id, row.body, row.attempts, row.next_attempt_at, row.created_at)
                )
            outcomes = await asyncio.gather(
                *(self._deliver(client, subscription, due[subscription.id]) for subscription in claimed)
            )
            recorded = [outcome for per_subscription in outcomes for outcome in per_subscription]
            if recorded:
                await connection.execute(
                    self._record, {"outcomes": json.dumps([_outcome_json(outcome) for outcome in recorded])}
                )
        for outcome in recorded:
            NOTIFICATIONS_DELIVERED.labels(self._service, outcome.outcome).inc()
            if outcome.outcome == "dead":
                NOTIFICATIONS_DEAD.labels(self._service).inc()
                log.error("notification dead-lettered", notification=outcome.id, reason=outcome.reason)
        return True

    async def _deliver(self, client: httpx.AsyncClient, subscription: sa.Row, due: list[_Due]) -> list[_Outcome]:
        """POST the subscription's notifications oldest first, stopping at the first to be retried later."""
        outcomes: list[_Outcome] = []
        started = time.monotonic()
        # Checked again at each round: a host name may have come to resolve to an address refused since.
        refused = await _refusal_of(subscription.callback, self._settings)
        for notification in due:
            now = datetime.now(UTC)
            if notification.next_attempt_at > now or time.monotonic() - started > ROUND_SECONDS:
                break
            failure = refused or await self._post(client, subscription, notification)
            attempts = notification.attempts + 1
            if failure is None:
                outcomes.append(_Outcome(notification.id, "delivered", attempts))
                continue
            if self._schedule.gives_up(age_seconds=(now - notification.created_at).total_seconds()):
                # The next notification is not held up for good by one the listener never took.
                outcomes.append(_Outcome(notification.id, "dead", attempts, f"retries ran out: {failure}"))
                continue
            retry_at = now + timedelta(seconds=self._schedule.delay(attempts))
            outcomes.append(_Outcome(notification.id, "retry", attempts, failure, retry_at))
            break
        return outcomes

    async def _post(self, client: httpx.AsyncClient, subscription: sa.Row, notification: _Due) -> str | None:
        """Send one notification; None when the listener took it (2xx), else why not."""
        body = notification.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(subscription.secret, body),
            EVENT_ID_HEADER: notification.event_id,
        }
        try:
            response = await client.post(subscription.callback, content=body, headers=headers)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {describe_error(error)}"
        if response.is_success:
            return None
        return f"the listener answered HTTP {response.status_code}"

    async def _purge(self, database: Database) -> None:
        """Drop delivered notifications after the outbox's retention, dead ones after the dead letters'."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
        notifications = self._tables.notifications
        expired = [
            (notifications.c.delivered_at, self._retention.published_outbox),
            (notifications.c.dead_at, self._retention.dead_letters),
        ]
        async with database.engine.connect() as connection, connection.begin():
            for aged_by, kept_for in expired:
                oldest = (
                    sa.select(notifications.c.id)
                    .where(aged_by < sa.func.now() - kept_for)
                    .limit(PURGE_BATCH_ROWS)
                    .scalar_subquery()
                )
                await connection.execute(sa.delete(notifications).where(notifications.c.id.in_(oldest)))


async def _refusal_of(callback: str, settings: ServiceSettings) -> str | None:
    try:
        await ensure_callback_allowed(callback, settings)
    except InvalidSubscription as refusal:
        return f"the callback is refused now: {refusal.reason}"
    return None


def _outcome_json(outcome: _Outcome) -> dict:
    return {
        "id": outcome.id,
        "outcome": outcome.outcome,
        "attempts": outcome.attempts,
        "reason": outcome.reason,
        "next_attempt_at": outcome.next_attempt_at.isoformat() if outcome.next_attempt_at else None,
    }


def _next_due_statement(tables: HubTables) -> str:
    """Seconds until the next notification waiting is due (<= 0: one is due now), NULL when none waits."""
    notifications = postgresql.dialect().identifier_preparer.format_table(tables.notifications)
    return (
        "SELECT CAST(EXTRACT(EPOCH FROM min(next_attempt_at) - now()) AS float8) "
        f"FROM {notifications} WHERE delivered_at IS NULL AND dead_at IS NULL"
    )


def _delivery_statements(tables: HubTables) -> tuple[sa.TextClause, sa.TextClause, sa.TextClause]:
    """Claim subscriptions with a notification due, read their due notifications, record the outcomes."""
    quote = postgresql.dialect().identifier_preparer.format_table
    subscriptions, notifications = quote(tables.subscriptions), quote(tables.notifications)
    pending = "n.delivered_at IS NULL AND n.dead_at IS NULL"
    claim = sa.text(
        f"SELECT s.id, s.callback, s.secret FROM {subscriptions} AS s "
        f"WHERE (SELECT n.next_attempt_at FROM {notifications} AS n WHERE n.subscription_id = s.id AND {pending} "
        "ORDER BY n.id LIMIT 1) <= now() "
        "ORDER BY s.id LIMIT :limit FOR NO KEY UPDATE OF s SKIP LOCKED"
    )
    due = sa.text(
        "SELECT d.* FROM unnest(CAST(:subscription_ids AS text[])) AS claimed(id) CROSS JOIN LATERAL ("
        f"SELECT n.id, n.subscription_id, n.event_id, n.body, n.attempts, n.next_attempt_at, n.created_at "
        f"FROM {notifications} AS n WHERE n.subscription_id = claimed.id AND {pending} "
        "ORDER BY n.id LIMIT :per_subscription) AS d ORDER BY d.subscription_id, d.id"
    ).bindparams(sa.bindparam("subscription_ids", type_=postgresql.ARRAY(sa.Text)))
    record = sa.text(
        f"UPDATE {notifications} AS n SET attempts = o.attempts, last_error = o.reason, "
        "delivered_at = CASE WHEN o.outcome = 'delivered' THEN now() END, "
        "dead_at = CASE WHEN o.outcome = 'dead' THEN now() END, "
        "next_attempt_at = COALESCE(o.next_attempt_at, n.next_attempt_at) "
        "FROM jsonb_to_recordset(CAST(:outcomes AS jsonb)) "
        "AS o(id bigint, outcome text, attempts integer, reason text, next_attempt_at timestamptz) "
        "WHERE n.id = o.id"
    )
    return claim, due, record
