"""The outbox relay: publishes committed outbox rows to Kafka in commit order, once leader."""

import asyncio
import contextlib
import functools
import time
from collections import Counter
from typing import Any, NamedTuple

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import InvalidTopicError, MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from orderdesk_shared.db import (
    DEFAULT_RETENTION,
    Database,
    Retention,
    insert_if_absent,
    outbox_channel,
    purge_expired,
    quoted_table,
)
from orderdesk_shared.errors import describe_error, logged_error
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import (
    DEAD_LETTERS_OPEN,
    EVENTS_PUBLISHED,
    OUTBOX_BACKLOG,
    OUTBOX_DEAD_LETTERED,
    RELAY_LAST_CYCLE,
    RELAY_LEADER,
)
from orderdesk_shared.telemetry import context_from_carrier, order_attributes, trace_carrier, tracer

log = get_logger(__name__)

PURGE_INTERVAL_SECONDS = 60.0
# Batches each purge deletes at most per table: a relay catching up on a huge table purges a little each minute.
PURGE_BATCHES = 10
# How often each replica counts its service's dead letters for the metric: about a scrape interval.
DEAD_LETTER_COUNT_INTERVAL_SECONDS = 15.0
# How often a relay working through full batches counts the rows still waiting, for the backlog metric.
BACKLOG_COUNT_INTERVAL_SECONDS = 5.0
# With nothing to relay, how long the leader waits unless a NOTIFY wakes it: the NOTIFY is how new rows are found,
# this is a safety net, and the beat of the last-cycle gauge (alerted on past a minute) and the dead-letter count.
IDLE_RECHECK_SECONDS = DEAD_LETTER_COUNT_INTERVAL_SECONDS

# Refusals no retry can cure: the row itself can never become a Kafka record (too large, unserialisable).
UNPUBLISHABLE = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TypeError,
    ValueError,
)
# The name a relay's dead letters go under in the dead_letters table, beside the consumers' own.
RELAY_DEAD_LETTER_CONSUMER = "outbox-relay"
# A dead-lettered outbox row never reached a partition; its offset column holds the row's outbox seq.
NO_PARTITION = -1


class OutboxRelay:
    """Moves outbox rows to Kafka. One replica relays at a time (a Postgres advisory lock)."""

    def __init__(
        self,
        *,
        database: Database,
        producer: AIOKafkaProducer,
        batch_size: int,
        poll_seconds: float,
        retention: Retention = DEFAULT_RETENTION,
    ) -> None:
        self._database = database
        self._producer = producer
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._retention = retention
        self._next_purge = 0.0
        self._next_dead_letter_count = 0.0
        self._next_backlog_count = 0.0
        self._wake = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._is_leader = False
        self.last_error: str | None = None
        # Since when every attempt to relay failed (monotonic seconds); None while it works.
        self.failing_since: float | None = None

    @property
    def _service(self) -> str:
        return self._database.source

    @property
    def is_leader(self) -> bool:
        return self._is_leader

    @is_leader.setter
    def is_leader(self, leading: bool) -> None:
        self._is_leader = leading
        RELAY_LEADER.labels(self._service).set(int(leading))

    def stop(self) -> None:
        """Finish the batch in hand (published and marked), then return from `run`."""
        self._stop_requested.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped or cancelled; on a database or Kafka failure, back off and start again."""
        while not self._stop_requested.is_set():
            try:
                await self._lead_and_relay()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.is_leader = False
                self.last_error = logged_error(error)
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                log.warning("outbox relay interrupted", error=self.last_error)
                await self._pause(self._poll_seconds)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), timeout=seconds)

    def _worked(self) -> None:
        self.last_error = None
        self.failing_since = None

    async def _lead_and_relay(self) -> None:
        tables = self._database.tables
        lock_name = f"{tables.schema}.outbox_relay"
        async with self._database.engine.connect() as connection:
            driver_connection = (await connection.get_raw_connection()).driver_connection
            got_lock = await driver_connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", lock_name)
            if not got_lock:
                # Another replica relays; stay ready to take over when its session ends.
                self.is_leader = False
                self._worked()
                await self._count_dead_letters(connection)
                await self._pause(self._poll_seconds)
                return
            channel = outbox_channel(tables)
            await driver_connection.add_listener(channel, self._on_notify)
            self.is_leader = True
            # The rows of the last batch Kafka took, marked published by the next batch's read.
            unmarked: list[str] = []
            try:
                while not self._stop_requested.is_set():
                    read, unmarked = await self._publish_batch(connection, driver_connection, unmarked)
                    await connection.commit()
                    self._worked()
                    RELAY_LAST_CYCLE.labels(self._service).set_to_current_time()
                    await self._count_dead_letters(connection)
                    # A batch that was not full is marked by one more read before the relay waits for work.
                    if read < self._batch_size and not unmarked and not self._stop_requested.is_set():
                        await self._purge_expired(connection)
                        await self._wait_for_work()
                if unmarked:
                    await driver_connection.execute(_mark_published_sql(self._database.tables.outbox), unmarked)
            finally:
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await driver_connection.remove_listener(channel, self._on_notify)
                    await driver_connection.execute("SELECT pg_advisory_unlock_all()")

    async def _purge_expired(self, connection) -> None:
        """Drop published outbox rows, inbox and dead-letter rows older than their retention (at most once a
        minute; the leading replica alone)."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
        deleted = await purge_expired(connection, self._database.tables, self._retention, max_batches=PURGE_BATCHES)
        if any(deleted.values()):
            log.info("expired rows purged", **deleted)

    async def _count_dead_letters(self, connection) -> None:
        """Set the open dead letters metric (every replica, about once a scrape interval, leading or not: whichever
        replica is scraped tells the truth)."""
        if time.monotonic() < self._next_dead_letter_count:
            return
        self._next_dead_letter_count = time.monotonic() + DEAD_LETTER_COUNT_INTERVAL_SECONDS
        count = (await connection.execute(self._database.tables.open_dead_letters_count())).scalar_one()
        await connection.commit()
        DEAD_LETTERS_OPEN.labels(self._service).set(count)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(self._poll_seconds, IDLE_RECHECK_SECONDS))
        self._wake.clear()

    async def _publish_batch(self, connection, driver_connection: Any, unmarked: list[str]) -> tuple[int, list[str]]:
        """Mark the rows of the last batch published, read and publish the oldest unpublished rows; how many were
        read, and the ids of those Kafka took, for the next call to mark.

        One statement marks and reads, outside a transaction (the session's advisory lock already makes this relay
        the only one, and a row published but not yet marked is published again after a crash, which the inbox
        absorbs): between a NOTIFY and the send, and from one batch to the next, a single round trip.
        """
        outbox = self._database.tables.outbox
        rows = list(
            map(_OutboxRow._make, await driver_connection.fetch(_mark_and_read_sql(outbox), unmarked, self._batch_size))
        )
        if not rows:
            OUTBOX_BACKLOG.labels(self._service).set(0)
            return 0, []
        refusals = await self._deliver(rows)
        if transient := next((error for error in refusals.values() if not isinstance(error, UNPUBLISHABLE)), None):
            raise transient
        published = [row for row in rows if row.id not in refusals]
        for row in rows:
            if row.id in refusals:
                await self._dead_letter(connection, row, refusals[row.id])
        for topic, count in Counter(row.topic for row in published).items():
            EVENTS_PUBLISHED.labels(self._service, topic).inc(count)
        await self._count_backlog(connection, full_batch=len(rows) == self._batch_size, unmarked=len(published))
        return len(rows), [row.id for row in published]

    async def _count_backlog(self, connection, *, full_batch: bool, unmarked: int) -> None:
        """Set the outbox backlog metric: none left after a batch that was not full; after a full one, the rows
        left behind (not the batch just published, marked with the next read), counted about once a scrape interval
        (a relay catching up runs full batches back to back)."""
        if not full_batch:
            OUTBOX_BACKLOG.labels(self._service).set(0)
            self._next_backlog_count = 0.0
            return
        if time.monotonic() < self._next_backlog_count:
            return
        self._next_backlog_count = time.monotonic() + BACKLOG_COUNT_INTERVAL_SECONDS
        backlog = (await connection.execute(self._database.tables.backlog_count())).scalar_one()
        OUTBOX_BACKLOG.labels(self._service).set(max(backlog - unmarked, 0))

    async def _deliver(self, rows) -> dict[str, BaseException]:
        """Queue the rows in commit order and wait for Kafka; the refusal of each row it did not take, by row id."""
        refusals: dict[str, BaseException] = {}
        deliveries: dict[str, asyncio.Future] = {}
        for row in rows:
            try:
                deliveries[row.id] = await self._send(row)
            except UNPUBLISHABLE as error:
                # Refused before queueing: the rows after it still go, in order.
                refusals[row.id] = error
        outcomes = await asyncio.gather(*deliveries.values(), return_exceptions=True)
        refusals |= {
            row_id: outcome
            for row_id, outcome in zip(deliveries, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        return refusals

    async def _dead_letter(self, connection, row, error: BaseException) -> None:
        """Keep a row Kafka will never take in dead_letters, with its reason, and take it out of the outbox.

        Left in place it would block every row behind it for good; it is not sent to a `.dlt` topic,
        which would refuse it just the same.
        """
        reason = f"unpublishable: {describe_error(error)}"
        await insert_if_absent(
            connection,
            self._database.tables.dead_letters,
            consumer=RELAY_DEAD_LETTER_CONSUMER,
            topic=row.topic,
            partition=NO_PARTITION,
            offset=row.seq,
            key=row.aggregate_id or None,
            headers=row.headers,
            payload=row.payload,
            error_class=type(error).__name__,
            reason=reason,
        )
        outbox = self._database.tables.outbox
        await connection.execute(sa.delete(outbox).where(outbox.c.id == row.id))
        OUTBOX_DEAD_LETTERED.labels(self._service, row.topic, type(error).__name__).inc()
        log.error(
            "outbox row dead-lettered",
            topic=row.topic,
            outbox_seq=row.seq,
            event_type=row.type,
            payload_bytes=len(row.payload),
            reason=reason,
        )

    async def _send(self, row) -> asyncio.Future:
        """Queue one row in order; the returned future resolves when Kafka acknowledged it.

        The publish span lasts until then, and names the partition and offset Kafka gave the record.
        """
        stored_context = context_from_carrier(
            {name: value for name, value in (("traceparent", row.traceparent), ("tracestate", row.tracestate)) if value}
        )
        span = tracer().start_span(
            f"{row.topic} publish",
            context=stored_context,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": row.topic,
                "messaging.message.id": row.headers.get("ce_id", str(row.id)),
                "cloudevents.event_type": row.type,
            }
            # Named after its order when about one (dead letters, and rows kept before versions were, have no version).
            | (order_attributes(row.aggregate_id, row.order_version) if row.order_version is not None else {}),
        )
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            headers = row.headers | trace_carrier()
            try:
                delivery = await self._producer.send(
                    row.topic,
                    value=row.payload,
                    key=row.aggregate_id.encode() if row.aggregate_id else None,
                    headers=[(name, value.encode()) for name, value in headers.items()],
                )
            except BaseException as error:
                _end_publish_span(span, error=error)
                raise
        delivery.add_done_callback(functools.partial(_on_delivery, span))
        return delivery


class _OutboxRow(NamedTuple):
    """An unpublished outbox row, as the relay reads it (the columns of `_mark_and_read_sql`, in order)."""

    id: str
    seq: int
    type: str
    topic: str
    aggregate_id: str
    payload: bytes
    headers: dict[str, str]
    traceparent: str | None
    tracestate: str | None
    order_version: int | None


@functools.cache
def _mark_and_read_sql(outbox: sa.Table) -> str:
    """Mark the rows $1 published; the oldest unpublished rows after them in commit order, $2 at most (for the
    driver, which prepares it once). The read sees the table as before the mark, so it leaves the marked rows out
    itself."""
    table = quoted_table(outbox)
    return (
        f"WITH marked AS (UPDATE {table} SET published_at = now() WHERE id = ANY($1::uuid[])) "
        "SELECT id::text, seq, type, topic, aggregate_id, payload, headers, traceparent, tracestate, order_version "
        f"FROM {table} WHERE published_at IS NULL AND id <> ALL($1::uuid[]) ORDER BY seq LIMIT $2"
    )


@functools.cache
def _mark_published_sql(outbox: sa.Table) -> str:
    return f"UPDATE {quoted_table(outbox)} SET published_at = now() WHERE id = ANY($1::uuid[])"


def _on_delivery(span: trace.Span, delivery: asyncio.Future) -> None:
    if delivery.cancelled():
        _end_publish_span(span, error=asyncio.CancelledError())
    elif (error := delivery.exception()) is not None:
        _end_publish_span(span, error=error)
    else:
        metadata = delivery.result()
        span.set_attributes(
            {"messaging.destination.partition.id": str(metadata.partition), "messaging.kafka.offset": metadata.offset}
        )
        span.end()


def _end_publish_span(span: trace.Span, *, error: BaseException) -> None:
    span.set_status(Status(StatusCode.ERROR, describe_error(error)))
    span.end()
