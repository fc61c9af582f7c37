"""TMF hub/listener notifications for a service's TMF API: registration (`POST {api_root}/hub`,
`DELETE {api_root}/hub/{id}`), the notifications a unit of work writes with its state change, and the loop that
delivers them to the listeners.

- **Written with the change.** A handler hands `Hub.notify` what it changed; before the transaction commits, the
  notifications are fanned out to the matching subscriptions in one statement (nothing at all is built while there
  are none). What commits is delivered; what rolls back never was.
- **Who sees what.** A subscription is its registrant's, and gets only what the registrant may read: the roles whose
  duties reach every order everything, a sales rep the notifications about their own orders, the CRM those about
  the orders that came through the CRM channel (audience tags on each notification, one tag on a subscription).
- **Delivered at least once, in order.** The delivery loop claims subscriptions with work due (`FOR UPDATE SKIP
  LOCKED`: replicas share the work, never a subscription), POSTs each one's notifications oldest first, and stops
  at the first failure, which is retried with a doubling wait (RetrySchedule). With nothing due it sleeps until
  the next retry is, or a fan-out's NOTIFY wakes it (the relay's way with its outbox): a service with no listener
  runs no query for them. A notification still undelivered
  when its retry window closes is dead-lettered with its reason (GET /ops/notifications, metric
  `orderdesk_notifications_dead_total`) and the listener's next one goes on. Each carries its stable `eventId`.
- **Signed.** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the subscription's secret.
"""

import asyncio
import contextlib
import inspect
import json
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.access import same_person, sees_every_order
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.errors import describe_error, is_transient, logged_error
from orderdesk_shared.events.order import Channel
from orderdesk_shared.limits import Offset, PageSize
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import NOTIFICATIONS_DEAD, NOTIFICATIONS_DELIVERED
from orderdesk_shared.notifications import (
    EVENT_ID_HEADER,
    MAX_CALLBACK_CHARS,
    MAX_QUERY_CHARS,
    METADATA_HOSTS,
    SIGNATURE_HEADER,
    InvalidSubscription,
    Notification,
    RetrySchedule,
    address_refusal,
    callback_parts,
    matches,
    parse_query,
    signature,
)
from orderdesk_shared.settings import ServiceSettings
from orderdesk_shared.telemetry import Traced

log = get_logger(__name__)

# --- tables -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubTables:
    subscriptions: sa.Table
    notifications: sa.Table


def hub_tables(metadata: sa.MetaData) -> HubTables:
    """Add the hub's tables to a service's metadata."""
    subscriptions = sa.Table(
        "hub_subscriptions",
        metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("query", sa.Text),
        # The query as the fan-out applies it: each dotted path with the values it may have.
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("registrant", sa.Text, nullable=False),
        # What the registrant may see: NULL for everything, else one audience tag (a person, a channel).
        sa.Column("audience", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    notifications = sa.Table(
        "hub_notifications",
        metadata,
        # Fan-out order is delivery order: a listener gets each resource's events in the order they happened.
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        # Unregistering stops deliveries: the subscription's notifications go with it.
        sa.Column(
            "subscription_id",
            sa.Text,
            sa.ForeignKey(subscriptions.c.id, ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        # Dead-lettered: the retries ran out; `last_error` says why.
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscription_id", "event_id", name="hub_notifications_once_per_subscription"),
        sa.Index(
            "hub_notifications_pending",
            "subscription_id",
            "id",
            postgresql_where=sa.text("delivered_at IS NULL AND dead_at IS NULL"),
        ),
        sa.Index("hub_notifications_dead", "dead_at", postgresql_where=sa.text("dead_at IS NOT NULL")),
    )
    return HubTables(subscriptions=subscriptions, notifications=notifications)


# --- audiences ----------------------------------------------------------------------------------------------------


def person_tag(person: str) -> str:
    return f"person:{same_person(person)}"


def channel_tag(channel: str) -> str:
    return f"channel:{channel}"


def audience_of(principal: Principal) -> str | None:
    """What a registrant's subscription may receive: None for everything (the duties of every role but a sales rep's
    reach every order), the orders through the CRM channel for the CRM, a sales rep's own orders for a sales rep."""
    if sees_every_order(principal):
        return None
    if Role.CRM_SYSTEM in principal.roles:
        return channel_tag(Channel.CRM)
    return person_tag(principal.subject)


# --- writing notifications ----------------------------------------------------------------------------------------

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


# --- registering --------------------------------------------------------------------------------------------------

MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 200
# How long a registration waits for the callback's host name to resolve.
RESOLVE_SECONDS = 5.0


class EventSubscriptionInput(BaseModel):
    """TMF EventSubscriptionInput, with OrderDesk's optional `secret` for the signature."""

    model_config = ConfigDict(extra="ignore")

    callback: str = Field(min_length=1, max_length=MAX_CALLBACK_CHARS)
    query: str | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    secret: str | None = Field(
        default=None,
        min_length=MIN_SECRET_CHARS,
        max_length=MAX_SECRET_CHARS,
        description="the key of the HMAC-SHA256 signature of each notification; one is made and returned once "
        "when left out",
    )


def hub_router(*, api_root: str, hub: Hub, event_types: Collection[str], registrants: Collection[Role]) -> APIRouter:
    """The TMF hub routes of one API: register a listener, unregister it."""
    router = APIRouter(prefix=api_root, tags=["events subscription"])
    Registrant = Annotated[Principal, Depends(require_roles(*registrants))]
    subscriptions = hub.tables.subscriptions

    @router.post("/hub", status_code=status.HTTP_201_CREATED)
    async def register_listener(
        body: EventSubscriptionInput, principal: Registrant, db: DatabaseDep, request: Request, response: Response
    ) -> dict:
        """Register a listener for this API's events (those its query selects, of what the caller may read).

        Each notification is signed (X-Hub-Signature-256) with the `secret` given, or with one made here and
        returned once, in this answer.
        """
        try:
            conditions = parse_query(body.query, event_types=event_types)
            await ensure_callback_allowed(body.callback, request.app.state.runtime.settings)
        except InvalidSubscription as invalid:
            raise RequestValidationError(
                [{"loc": ("body", invalid.field), "msg": invalid.reason, "type": "value_error"}]
            ) from invalid
        subscription_id = str(uuid.uuid4())
        secret = body.secret or secrets.token_urlsafe(32)
        async with db.unit_of_work() as uow:
            await uow.connection.execute(
                sa.insert(subscriptions).values(
                    id=subscription_id,
                    callback=body.callback,
                    query=body.query,
                    filter=conditions,
                    secret=secret,
                    registrant=principal.subject,
                    audience=audience_of(principal),
                )
            )
        response.headers["Location"] = f"{api_root}/hub/{subscription_id}"
        registered = {"id": subscription_id, "callback": body.callback, "query": body.query}
        return registered | ({} if body.secret else {"secret": secret})

    @router.delete("/hub/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def unregister_listener(subscription_id: str, principal: Registrant, db: DatabaseDep) -> Response:
        """Unregister a listener: nothing more is delivered to it. Only its registrant may."""
        async with db.unit_of_work() as uow:
            removed = await uow.connection.execute(
                sa.delete(subscriptions)
                .where(subscriptions.c.id == subscription_id, subscriptions.c.registrant == principal.subject)
                .returning(subscriptions.c.id)
            )
            if removed.first() is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no listener {subscription_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


async def ensure_callback_allowed(callback: str, settings: ServiceSettings) -> None:
    """Refuse a callback notifications must not go to: not http(s), or resolving to an address refused (link-local
    and metadata always; loopback and private outside a local stack, unless its host is on the allowlist)."""
    host, port = callback_parts(callback)
    allowed_hosts = {name.lower() for name in settings.hub_callback_hosts}
    if allowed_hosts and host not in allowed_hosts:
        raise InvalidSubscription("callback", f"{host} is not among the hosts notifications may go to")
    if host in METADATA_HOSTS:
        raise InvalidSubscription("callback", f"{host} is a cloud metadata service")
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            resolved = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as error:
        raise InvalidSubscription("callback", f"the callback's host {host} does not resolve") from error
    private_allowed = settings.is_local or host in allowed_hosts
    for *_, address in resolved:
        if refusal := address_refusal(address[0], private_allowed=private_allowed):
            raise InvalidSubscription("callback", f"notifications may not go to {host}: {refusal}")


# --- the SREs' view -----------------------------------------------------------------------------------------------


def hub_ops_router(hub: Hub) -> APIRouter:
    """GET /ops/notifications: the notifications dead-lettered (or still waiting), with why."""
    router = APIRouter(prefix="/ops", tags=["operations"])
    SreOnly = Annotated[Principal, Depends(require_roles(Role.SRE))]
    notifications, subscriptions = hub.tables.notifications, hub.tables.subscriptions

    @router.get("/notifications")
    async def list_notifications(
        db: DatabaseDep,
        _: SreOnly,
        response: Response,
        state: Annotated[str, Query(pattern="^(dead|pending)$")] = "dead",
        offset: Offset = 0,
        limit: PageSize = 50,
    ) -> list[dict[str, Any]]:
        """Dead-lettered notifications (the newest first), or those waiting; X-Total-Count says how many."""
        shown = (
            notifications.c.dead_at.is_not(None)
            if state == "dead"
            else sa.and_(notifications.c.dead_at.is_(None), notifications.c.delivered_at.is_(None))
        )
        query = (
            sa.select(notifications, subscriptions.c.callback, subscriptions.c.registrant)
            .join(subscriptions, subscriptions.c.id == notifications.c.subscription_id)
            .where(shown)
        )
        async with db.engine.connect() as connection:
            total = await connection.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
            rows = await connection.execute(query.order_by(notifications.c.id.desc()).offset(offset).limit(limit))
        response.headers["X-Total-Count"] = str(total)
        return [
            {
                "id": row.id,
                "subscriptionId": row.subscription_id,
                "callback": row.callback,
                "registrant": row.registrant,
                "eventId": row.event_id,
                "eventType": row.event_type,
                "attempts": row.attempts,
                "lastError": row.last_error,
                "createdAt": row.created_at,
                "nextAttemptAt": row.next_attempt_at if row.dead_at is None else None,
                "deadAt": row.dead_at,
            }
            for row in rows
        ]

    return router


# --- delivering ---------------------------------------------------------------------------------------------------

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
