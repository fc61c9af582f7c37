"""The consumer runtime: batched reads, one transaction per poll, offsets per partition after commit."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential

from orderdesk_shared.codec import IncomingEvent, InvalidEnvelope, decode
from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.errors import TransientError, describe_error, logged_error
from orderdesk_shared.events.base import Fact
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import CONSUMER_LAG, EVENTS_HANDLED, HANDLER_FAILURES, HANDLER_SECONDS
from orderdesk_shared.telemetry import context_from_headers, tracer

log = get_logger(__name__)

Handler = Callable[[Fact, UnitOfWork], Awaitable[None]]

LAG_CHECK_SECONDS = 5.0


def is_transient(error: BaseException) -> bool:
    """Failures worth retrying: the database or a dependency is unavailable or slow."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError) or _is_connection_error(error)
    return isinstance(error, (TransientError, TimeoutError, ConnectionError, OSError))


def _is_connection_error(error: DBAPIError) -> bool:
    original = getattr(error.orig, "__cause__", None) or error.orig
    return isinstance(original, (ConnectionError, OSError)) or "connection" in type(original).__name__.lower()


@dataclass(frozen=True)
class Delivery:
    """The record behind the event a handler is handling: what a read model keeps beside the event itself."""

    message_id: str
    source: str
    time: datetime | None
    topic: str
    trace_id: str | None


_current_delivery: ContextVar[Delivery | None] = ContextVar("current_delivery", default=None)


def current_delivery() -> Delivery | None:
    """The delivery being handled in this task, or None outside a handler."""
    return _current_delivery.get()


@contextlib.contextmanager
def delivering(record: ConsumerRecord, incoming: IncomingEvent) -> Iterator[Delivery]:
    """Make `record` the current delivery while its handler runs."""
    headers = dict(record.headers or ())
    traceparent = headers.get("traceparent", b"").decode(errors="replace").split("-")
    delivery = Delivery(
        message_id=incoming.id,
        source=incoming.source,
        time=incoming.time,
        topic=record.topic,
        trace_id=traceparent[1] if len(traceparent) == 4 else None,
    )
    token = _current_delivery.set(delivery)
    try:
        yield delivery
    finally:
        _current_delivery.reset(token)


@dataclass(frozen=True)
class ConsumerSettings:
    group_id: str
    bootstrap_servers: str
    batch_size: int
    handler_timeout_seconds: float
    max_poll_interval_ms: int
    retry_attempts: int
    paused_partition_retry_seconds: float


class ConsumerRuntime:
    """Feeds records to handlers with at-least-once delivery and exactly-once effects (inbox)."""

    def __init__(
        self, *, settings: ConsumerSettings, database: Database, handlers: Mapping[type[Fact], Handler]
    ) -> None:
        self._settings = settings
        self._database = database
        self._handlers: dict[str, tuple[type[Fact], Handler]] = {
            model.event_type: (model, handler) for model, handler in handlers.items()
        }
        self.topics = sorted({model.topic for model in handlers})
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_in_flight = asyncio.Lock()
        self._paused_until: dict[TopicPartition, float] = {}
        self._next_lag_check = 0.0
        self.running = False

    @property
    def name(self) -> str:
        return self._settings.group_id

    async def run(self) -> None:
        """Consume until cancelled."""
        if not self.topics:
            self.running = True
            await asyncio.Event().wait()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.bootstrap_servers,
            group_id=self._settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=self._settings.max_poll_interval_ms,
            isolation_level="read_committed",
        )
        consumer.subscribe(self.topics, listener=_FinishBatchBeforeRevoke(self))
        await consumer.start()
        self._consumer = consumer
        self.running = True
        try:
            while True:
                self._resume_due_partitions()
                batches = await consumer.getmany(timeout_ms=500, max_records=self._settings.batch_size)
                if batches:
                    async with self._batch_in_flight:
                        await self._handle_batch(batches)
                await self._record_lag()
        finally:
            self.running = False
            await consumer.stop()

    async def _handle_batch(self, batches: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """Handle what one poll read, from every partition, in one transaction; then commit each partition's offset.

        One transaction a poll, not one a partition: the handlers' shared work (`UnitOfWork.before_commit`)
        then covers the whole poll, and a consumer of many partitions needs one connection, not one each.
        """
        consumer = self._consumer
        assert consumer is not None
        batches = {tp: records for tp, records in batches.items() if tp in consumer.assignment()}
        records = [record for partition_records in batches.values() for record in partition_records]
        if not records:
            return
        # Retries included, a batch must end well inside max.poll.interval.ms, or the group would evict us.
        budget = self._settings.max_poll_interval_ms / 1000 / 2
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(is_transient),
                stop=stop_after_attempt(self._settings.retry_attempts) | stop_after_delay(budget),
                wait=wait_exponential(multiplier=0.2, max=5),
                reraise=True,
            ):
                with attempt:
                    async with asyncio.timeout(budget / 2):
                        outcomes = await self._handle_in_one_transaction(records)
        except Exception as error:
            if not is_transient(error):
                raise
            HANDLER_FAILURES.labels(self.name, type(error).__name__).inc()
            # Not committed: read the same records again once the pause is over.
            for tp, partition_records in batches.items():
                log.warning(
                    "partition paused after transient failures",
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=partition_records[0].offset,
                    error=logged_error(error),
                )
                consumer.seek(tp, partition_records[0].offset)
                consumer.pause(tp)
                self._paused_until[tp] = time.monotonic() + self._settings.paused_partition_retry_seconds
            return
        for event_type, outcome in outcomes:
            EVENTS_HANDLED.labels(self.name, event_type, outcome).inc()
        try:
            await consumer.commit({tp: partition_records[-1].offset + 1 for tp, partition_records in batches.items()})
        except (CommitFailedError, KafkaError) as error:
            # Partitions moved to another member; it will redeliver and the inbox drops the repeats.
            log.info("offset commit skipped", partitions=len(batches), error=str(error))

    async def _handle_in_one_transaction(self, records: list[ConsumerRecord]) -> list[tuple[str, str]]:
        """Handle a batch in one transaction; if a record fails for good, redo it with each record isolated."""
        try:
            async with self._database.unit_of_work() as uow:
                # The whole batch is claimed in the inbox at once; a failure rolls the claims back with it.
                unclaimed = await uow.first_deliveries(consumer=self.name, message_ids=self._routed_ids(records))
                outcomes = [await self._handle_record(uow, record, unclaimed=unclaimed) for record in records]
                try:
                    await uow.run_deferred()
                except Exception as error:
                    if is_transient(error):
                        raise
                    # Work the handlers shared failed for good: which record caused it shows once each is alone.
                    raise _RecordFailed from error
                return outcomes
        except _RecordFailed:
            # Savepoints cost two round trips a record, so only the rare batch with a bad record pays them.
            async with self._database.unit_of_work() as uow:
                return [await self._handle_record(uow, record, unclaimed=None) for record in records]

    def _routed_ids(self, records: list[ConsumerRecord]) -> list[str]:
        """The CloudEvent ids of the records this consumer has a handler for."""
        ids = []
        for record in records:
            headers = dict(record.headers or ())
            if headers.get("ce_type", b"").decode(errors="replace") in self._handlers and "ce_id" in headers:
                ids.append(headers["ce_id"].decode(errors="replace"))
        return ids

    async def _handle_record(
        self, uow: UnitOfWork, record: ConsumerRecord, *, unclaimed: set[str] | None
    ) -> tuple[str, str]:
        """Handle one record inside the batch transaction; returns (event type, outcome).

        `unclaimed` holds the batch's ids claimed up front and not yet handled; None means the record
        is isolated in a savepoint with its own claim, so that its failure undoes only its own work.
        """
        isolated = unclaimed is None
        headers = list(record.headers or ())
        try:
            incoming = decode(key=record.key, value=record.value, headers=headers)
        except InvalidEnvelope as error:
            return "unreadable", await self._dead_letter(uow, record, error)
        route = self._handlers.get(incoming.type)
        if route is None:
            return incoming.type, "skipped"
        model, handler = route
        with (
            tracer().start_as_current_span(
                f"{record.topic} process",
                context=context_from_headers(headers),
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.consumer.group.name": self.name,
                    "messaging.destination.name": record.topic,
                    "messaging.destination.partition.id": str(record.partition),
                    "messaging.kafka.offset": record.offset,
                    "messaging.message.id": incoming.id,
                    "cloudevents.event_type": incoming.type,
                    "orderdesk.order_id": incoming.subject or "",
                },
            ) as span,
            structlog.contextvars.bound_contextvars(order_id=incoming.subject, event_type=incoming.type),
            delivering(record, incoming),
        ):
            try:
                async with uow.savepoint() if isolated else contextlib.nullcontext():
                    if not await self._first_delivery(uow, incoming.id, unclaimed):
                        return incoming.type, "duplicate"
                    event = model.model_validate(incoming.data)
                    started = time.perf_counter()
                    async with asyncio.timeout(self._settings.handler_timeout_seconds):
                        await handler(event, uow)
                        if isolated:
                            await uow.run_deferred()
                    HANDLER_SECONDS.labels(self.name, incoming.type).observe(time.perf_counter() - started)
            except Exception as error:
                if is_transient(error):
                    raise
                if not isolated:
                    raise _RecordFailed from error
                # Invalid payloads, domain refusals and defects alike: keep the record, keep flowing.
                span.set_status(Status(StatusCode.ERROR, describe_error(error)))
                return incoming.type, await self._dead_letter(uow, record, error)
        return incoming.type, "handled"

    async def _first_delivery(self, uow: UnitOfWork, message_id: str, unclaimed: set[str] | None) -> bool:
        if unclaimed is None:
            return await uow.first_delivery(consumer=self.name, message_id=message_id)
        if message_id not in unclaimed:
            return False
        unclaimed.discard(message_id)  # a second copy later in the same batch is a duplicate
        return True

    async def _dead_letter(self, uow: UnitOfWork, record: ConsumerRecord, error: Exception) -> str:
        reason = _describe(error)
        kept = await uow.dead_letter(
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key is not None else None,
            headers={name: value.decode(errors="replace") for name, value in record.headers or ()},
            payload=record.value or b"",
            error_class=type(error).__name__,
            reason=reason,
        )
        if kept:
            log.warning(
                "record dead-lettered",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=reason,
            )
        return "dead_lettered"

    def _resume_due_partitions(self) -> None:
        now = time.monotonic()
        due = [tp for tp, until in self._paused_until.items() if until <= now]
        for tp in due:
            del self._paused_until[tp]
            if self._consumer is not None and tp in self._consumer.assignment():
                self._consumer.resume(tp)

    def _forget_partitions(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self._paused_until.pop(tp, None)

    async def _record_lag(self) -> None:
        consumer = self._consumer
        if consumer is None or time.monotonic() < self._next_lag_check:
            return
        self._next_lag_check = time.monotonic() + LAG_CHECK_SECONDS
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                position = await consumer.position(tp)
                CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(highwater - position, 0))


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}" for item in error.errors()
        )
        return f"invalid payload: {problems}"
    return describe_error(error)


class _RecordFailed(Exception):
    """A record of the batch cannot be handled: the batch is redone with each record in a savepoint."""


class _FinishBatchBeforeRevoke(ConsumerRebalanceListener):
    """Let the batch in flight commit its offsets before its partitions go to another member."""

    def __init__(self, runtime: ConsumerRuntime) -> None:
        self._runtime = runtime

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._runtime._batch_in_flight:
            self._runtime._forget_partitions(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None
