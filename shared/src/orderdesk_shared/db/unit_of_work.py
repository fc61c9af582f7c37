"""The unit of work, which commits state, outbox and inbox together, and the Database that opens it."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import orjson
import sqlalchemy as sa
from opentelemetry.context import Context
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from orderdesk_shared.codec import KafkaRecord, encode
from orderdesk_shared.db.inserts import insert_if_absent
from orderdesk_shared.db.json_columns import json_text
from orderdesk_shared.db.messaging_statements import (
    claim_sql,
    keep_order_traces_sql,
    order_trace_statement,
    outbox_channel,
    outbox_insert_sql,
)
from orderdesk_shared.errors import DatabaseUnavailable
from orderdesk_shared.events.base import Event, Fact
from orderdesk_shared.events.catalogue import dead_letter_headers, dead_letter_topic
from orderdesk_shared.ids import new_id
from orderdesk_shared.messaging import MessagingTables
from orderdesk_shared.telemetry import Traced, batch_span, context_from_carrier, trace_carrier

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _PendingRow:
    record: KafkaRecord
    aggregate_type: str
    event_type: str
    trace_carrier: dict[str, str]
    order_version: int | None


DeferredWork = Callable[["UnitOfWork", Sequence[Traced[T]]], Awaitable[None]]


class UnitOfWork:
    """One database transaction; events emitted in it reach the outbox only if it commits."""

    def __init__(self, connection: AsyncConnection, *, tables: MessagingTables, source: str) -> None:
        self.connection = connection
        self._tables = tables
        self._source = source
        self._pending: list[_PendingRow] = []
        self._deferred: dict[DeferredWork, list[Traced]] = {}
        # Order id -> the first trace context (traceparent, tracestate) this transaction handled or emitted it in.
        self._order_traces: dict[str, tuple[str, str | None]] = {}
        self._driver: asyncpg.Connection | None = None

    def before_commit(self, work: DeferredWork[T], item: T) -> None:
        """Hand `item` to `work`, which runs once before this transaction commits with every item handed to it.

        The handlers of a consumer batch share one statement this way where each alone would need its own.
        """
        self._deferred.setdefault(work, []).append(Traced.here(item))

    async def run_deferred(self) -> None:
        """Run the work handed to `before_commit` so far (committing does it too), each in a span linked to
        the traces of the items it works on."""
        while self._deferred:
            work, items = self._deferred.popitem()
            with batch_span(f"{work.__qualname__} before commit", items):
                await work(self, items)

    @property
    def emitted(self) -> list[KafkaRecord]:
        return [row.record for row in self._pending]

    def emit(self, event: Fact, *, trace_context: Context | None = None) -> None:
        """Record an event to publish once this transaction commits.

        It carries the current trace, or `trace_context` when the event belongs to another (a group commit's);
        an event about an order makes that trace the order's, if the service kept none for it yet.
        """
        about_order = isinstance(event, Event)
        carrier = self.emit_record(
            encode(event, source=self._source),
            aggregate_type="order",
            event_type=event.event_type,
            trace_context=trace_context,
            order_version=event.order_version if about_order else None,
        )
        if about_order:
            self.keep_order_trace(event.order_id, carrier.get("traceparent"), carrier.get("tracestate"))

    def emit_record(
        self,
        record: KafkaRecord,
        *,
        aggregate_type: str,
        event_type: str,
        trace_context: Context | None = None,
        order_version: int | None = None,
    ) -> dict[str, str]:
        """Record a Kafka record to publish once this transaction commits; the trace headers it will carry."""
        carrier = trace_carrier(trace_context)
        self._pending.append(_PendingRow(record, aggregate_type, event_type, carrier, order_version))
        return carrier

    def keep_order_trace(self, order_id: str, traceparent: str | None, tracestate: str | None = None) -> None:
        """Keep this trace context as the order's, unless the service kept one before (written at commit, with
        every other order's of the transaction in one statement)."""
        if traceparent and order_id not in self._order_traces:
            self._order_traces[order_id] = (traceparent, tracestate)

    async def order_trace(self, order_id: str) -> Context | None:
        """The trace context the service keeps for an order; None if it kept none."""
        kept = (
            await self.connection.execute(order_trace_statement(self._tables.order_traces), {"order_id": order_id})
        ).first()
        if kept is None:
            return None
        carrier = {"traceparent": kept.traceparent} | ({"tracestate": kept.tracestate} if kept.tracestate else {})
        return context_from_carrier(carrier)

    async def first_delivery(self, *, consumer: str, message_id: str) -> bool:
        """Claim a message for a consumer; False when it was handled before (inbox dedup)."""
        return await insert_if_absent(self.connection, self._tables.inbox, consumer=consumer, message_id=message_id)

    async def first_deliveries(self, *, consumer: str, message_ids: Sequence[str]) -> set[str]:
        """Claim a batch of messages in one statement; the ids of those not handled before."""
        if not message_ids:
            return set()
        driver = await self._driver_connection()
        claimed = await driver.fetch(claim_sql(self._tables.inbox), consumer, list(message_ids))
        return {row[0] for row in claimed}

    async def _driver_connection(self) -> asyncpg.Connection:
        """The asyncpg connection beneath `connection`, inside this transaction.

        SQLAlchemy's asyncpg adapter begins its transaction at its first statement; a statement sent to the driver
        before that would run outside the transaction, so the adapter is made to begin it first (its own BEGIN).
        """
        if self._driver is None:
            pooled = await self.connection.get_raw_connection()
            adapted = pooled.dbapi_connection
            if not adapted._started:
                await adapted._start_transaction()
            self._driver = pooled.driver_connection
        return self._driver

    async def dead_letter(
        self,
        *,
        consumer: str,
        topic: str,
        partition: int,
        offset: int,
        key: str | None,
        headers: dict[str, str],
        payload: bytes,
        error_class: str,
        reason: str,
        replay_topic: str | None = None,
    ) -> bool:
        """Keep a record this consumer cannot handle, and queue it for `<topic>.dlt`; False if kept before.

        A replayed record names its own topic as `topic`, and the replay topic it was read from (at `partition`
        and `offset`) as `replay_topic`.
        """
        kept = await insert_if_absent(
            self.connection,
            self._tables.dead_letters,
            consumer=consumer,
            topic=topic,
            replay_topic=replay_topic,
            partition=partition,
            offset=offset,
            key=key,
            headers=headers,
            payload=payload,
            error_class=error_class,
            reason=reason,
        )
        if not kept:
            return False
        failure_headers = dead_letter_headers(
            consumer=consumer,
            topic=topic,
            partition=partition,
            offset=offset,
            error_class=error_class,
            reason=reason,
            replay_topic=replay_topic,
        )
        self.emit_record(
            KafkaRecord(topic=dead_letter_topic(topic), key=key, value=payload, headers=headers | failure_headers),
            aggregate_type="dead_letter",
            event_type=headers.get("ce_type", "unreadable"),
        )
        return True

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Undo the database work and the emitted events of the block if it raises."""
        emitted_before = len(self._pending)
        deferred_before = {work: len(items) for work, items in self._deferred.items()}
        try:
            async with self.connection.begin_nested():
                yield
        except BaseException:
            del self._pending[emitted_before:]
            self._deferred = {
                work: items[: deferred_before[work]]
                for work, items in self._deferred.items()
                if work in deferred_before
            }
            raise

    async def _write_order_traces(self) -> None:
        if not self._order_traces:
            return
        # In key order, so that two transactions keeping the same orders never wait on each other in a cycle.
        order_ids = sorted(self._order_traces)
        driver = await self._driver_connection()
        await driver.execute(
            keep_order_traces_sql(self._tables.order_traces),
            order_ids,
            [self._order_traces[order_id][0] for order_id in order_ids],
            [self._order_traces[order_id][1] for order_id in order_ids],
        )

    async def _write_outbox(self) -> None:
        if not self._pending:
            return
        # Serialise outbox writers from their insert to their commit, so that `seq` order is
        # commit order and the relay never publishes a later fact before an earlier one.
        # NOTIFY is transactional too: the relay hears it only once these rows are committed.
        rows = self._pending
        driver = await self._driver_connection()
        await driver.execute(
            outbox_insert_sql(self._tables.outbox),
            self._lock_name,
            outbox_channel(self._tables),
            [new_id() for _ in rows],
            [row.aggregate_type for row in rows],
            [row.record.key or "" for row in rows],
            [row.event_type for row in rows],
            [row.record.topic for row in rows],
            [row.record.value for row in rows],
            [json_text(row.record.headers) for row in rows],
            [row.trace_carrier.get("traceparent") for row in rows],
            [row.trace_carrier.get("tracestate") for row in rows],
            [row.order_version for row in rows],
        )

    @property
    def _lock_name(self) -> str:
        return f"{self._tables.schema}.outbox"


class Database:
    """A service's engine and its unit-of-work factory.

    `unit_of_work` is the service's own kind of unit of work: UnitOfWork with the service's repositories on it
    (`uow.orders`...), each working in the unit's transaction.
    """

    def __init__(
        self,
        *,
        url: str,
        tables: MessagingTables,
        source: str,
        pool_size: int = 10,
        unit_of_work: type[UnitOfWork] = UnitOfWork,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            # Bound values are order data: keep them out of error texts, and so out of logs and dead letters.
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No ping at checkout: SQLAlchemy's asyncpg ping is BEGIN, a statement and ROLLBACK, three round trips
            # on every transaction. A connection the server dropped fails its first statement instead, as a
            # transient error the consumer, relay and group commit retry; that failure marks every connection of
            # the pool made before it as stale, so the retry connects afresh.
            pool_pre_ping=False,
            hide_parameters=True,
            # JSON columns: serialising order documents with the standard library was a tenth of a write's CPU.
            json_serializer=json_text,
            json_deserializer=orjson.loads,
        )
        self.tables = tables
        self.source = source
        self._unit_of_work = unit_of_work

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Open a transaction, in the service's own kind of unit of work; commit it (with its outbox rows) when the
        block ends cleanly."""
        async with self.engine.connect() as connection, connection.begin():
            uow = self._unit_of_work(connection, tables=self.tables, source=self.source)
            yield uow
            await uow.run_deferred()
            await uow._write_order_traces()
            await uow._write_outbox()

    async def ping(self, *, timeout: float = 5.0) -> None:
        """Return once the database answers; a `DatabaseUnavailable` when it does not within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except TimeoutError as error:
            raise DatabaseUnavailable(f"the database did not answer within {timeout:g} s") from error

    async def dispose(self) -> None:
        await self.engine.dispose()
