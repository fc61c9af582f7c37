"""The consumer runtime: batched reads, one transaction per poll, offsets per partition after commit."""

import asyncio
import contextlib
import enum
import functools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential

from orderdesk_shared.backoff import Backoff
from orderdesk_shared.codec import IncomingEvent, InvalidEnvelope, decode
from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.errors import (
    DatabaseUnavailable,
    PermanentError,
    describe_error,
    is_transient,
    logged_error,
)
from orderdesk_shared.events.base import Event, Fact
from orderdesk_shared.events.catalogue import REPLAY_SOURCE_TOPIC_HEADER
from orderdesk_shared.field_problems import described, field_problems
from orderdesk_shared.kafka_connection import PRODUCER_MAX_BATCH_BYTES, KafkaConnection
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import CONSUMER_LAG, EVENTS_HANDLED, HANDLER_FAILURES, HANDLER_SECONDS
from orderdesk_shared.telemetry import ORDER_ID, ORDER_VERSION, context_from_carrier, tracer

log = get_logger(__name__)

Handler = Callable[[Fact, UnitOfWork], Awaitable[None]]

LAG_CHECK_SECONDS = 5.0
IDLE_FETCH_WAIT_MS = 1000
# A consumer commits its offsets at most this often. Each commit is a write to __consumer_offsets, replicated, that
# wakes every fetch waiting on it; a commit per poll cost the brokers more than the orders' own records. A member
# that dies redelivers at most this long's records, which the inbox drops; a rebalance and a stop commit at once.
COMMIT_OFFSETS_EVERY_SECONDS = 1.0
# What one fetch may bring, held in memory until the polls have taken it. aiokafka's defaults (1 MiB a partition,
# 50 MiB a fetch) let a consumer behind on a backlog hold tens of MiB of compressed records, and the allocator seldom
# gives that back: a service's whole memory budget is 150 MiB. A partition's share is one producer batch (a larger
# batch still comes whole); a fetch's, several polls' worth (a poll takes consumer_batch_size records, 200 by
# default, of about a KiB each compressed).
MAX_PARTITION_FETCH_BYTES = PRODUCER_MAX_BATCH_BYTES
FETCH_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """The record behind the event a handler is handling: what a read model keeps beside the event itself."""

    message_id: str
    source: str
    time: datetime | None
    # The event's own topic, also when the record is an SRE's replay read from the service's replay topic.
    topic: str
    trace_id: str | None


_current_delivery: ContextVar[Delivery | None] = ContextVar("current_delivery", default=None)


def current_delivery() -> Delivery | None:
    """The delivery being handled in this task, or None outside a handler."""
    return _current_delivery.get()


@contextlib.contextmanager
def delivering(record: ConsumerRecord, incoming: IncomingEvent, *, topic: str | None = None) -> Iterator[Delivery]:
    """Make `record` the current delivery while its handler runs; `topic`: the event's own, when not the record's."""
    delivery = _delivery(incoming, topic=topic or record.topic, traceparent=incoming.trace_carrier.get("traceparent"))
    token = _current_delivery.set(delivery)
    try:
        yield delivery
    finally:
        _current_delivery.reset(token)


def _delivery(incoming: IncomingEvent, *, topic: str, traceparent: str | None) -> Delivery:
    trace_fields = (traceparent or "").split("-")
    return Delivery(
        message_id=incoming.id,
        source=incoming.source,
        time=incoming.time,
        topic=topic,
        trace_id=trace_fields[1] if len(trace_fields) == 4 else None,
    )


@dataclass(frozen=True)
class ConsumerSettings:
    group_id: str
    kafka: KafkaConnection
    batch_size: int
    handler_timeout_seconds: float
    max_poll_interval_ms: int
    retry_attempts: int
    paused_partition_retry_seconds: float
    handler_attempts: int = 3
    # Where an SRE's replays of this consumer's dead letters arrive (events/catalogue.replay_topic), read with the
    # handlers' topics; None: no replays.
    replay_topic: str | None = None


RecordKey = tuple[str, int, int]  # topic, partition, offset
# A record and its CloudEvent, or why it has none.
_Decoded = tuple[ConsumerRecord, IncomingEvent | InvalidEnvelope]


@dataclass(frozen=True)
class PartitionLag:
    """Where this consumer stood on one assigned partition at its last lag check."""

    topic: str
    partition: int
    position: int
    end: int
    paused: bool

    @property
    def lag(self) -> int:
        return max(self.end - self.position, 0)


def record_key(record: ConsumerRecord) -> RecordKey:
    return record.topic, record.partition, record.offset


@dataclass(frozen=True)
class Failure:
    """Why a record's last attempt failed, and how many attempts failed so far."""

    error_class: str
    reason: str
    attempts: int

    @property
    def dead_letter_reason(self) -> str:
        return self.reason if self.attempts == 1 else f"{self.reason} ({self.attempts} attempts)"


class FailedAttempts:
    """The failed attempts of each record still being retried, in memory: a restart gives a record fresh tries."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures: dict[RecordKey, Failure] = {}

    def failed(self, key: RecordKey, *, error_class: str, reason: str) -> Failure:
        """Count a failed attempt; returns the record's failure so far."""
        attempts = self._failures[key].attempts + 1 if key in self._failures else 1
        self._failures[key] = Failure(error_class, reason, attempts)
        return self._failures[key]

    def exhausted(self, key: RecordKey) -> Failure | None:
        """The record's failure once it has used all its attempts, else None."""
        failure = self._failures.get(key)
        return failure if failure is not None and failure.attempts >= self.limit else None

    def suspect(self, key: RecordKey) -> bool:
        """The record failed before: handle it alone."""
        return key in self._failures

    def forget(self, key: RecordKey) -> None:
        self._failures.pop(key, None)

    def forget_partitions(self, partitions: set[TopicPartition]) -> None:
        """Another member takes these partitions (and counts afresh)."""
        self._failures = {
            key: failure for key, failure in self._failures.items() if TopicPartition(key[0], key[1]) not in partitions
        }


@dataclass
class PollSize:
    """How many records a poll reads: halved after a poll that was too slow, so that one slow record does not
    hold up a full batch each time it is tried; doubled back after each poll that was not."""

    largest: int
    current: int = 0

    def __post_init__(self) -> None:
        self.current = self.current or self.largest

    def after_slow_poll(self) -> None:
        self.current = max(1, self.current // 2)

    def after_good_poll(self) -> None:
        self.current = min(self.largest, self.current * 2)


# Failures no retry can cure: dead-letter at the first attempt.
PERMANENT_FAILURES = (ValidationError, PermanentError)
# How long a timed-out handler's record waits for the database to answer before the database is blamed instead.
DATABASE_CHECK_SECONDS = 3.0


class ConsumerRuntime:
    """Feeds records to handlers with at-least-once delivery and exactly-once effects (inbox)."""

    def __init__(
        self, *, settings: ConsumerSettings, database: Database, handlers: Mapping[type[Fact], Handler]
    ) -> None:
        self._settings = settings
        self._database = database
        # Each route with its handler-time histogram, labelled once: labelling looks the child up under a lock,
        # which per record was a twentieth of a busy consumer's CPU.
        self._handlers: dict[str, tuple[type[Fact], Handler, Histogram]] = {
            model.event_type: (model, handler, HANDLER_SECONDS.labels(settings.group_id, model.event_type))
            for model, handler in handlers.items()
        }
        consumed = {model.topic for model in handlers}
        self.topics = sorted(consumed | {settings.replay_topic} if consumed and settings.replay_topic else consumed)
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_in_flight = asyncio.Lock()
        self._paused_until: dict[TopicPartition, float] = {}
        self._next_lag_check = 0.0
        # The offset commits of the Kafka consumer of the moment (`run` makes one for each).
        self._offset_commits: OffsetCommits | None = None
        self._failures = FailedAttempts(settings.handler_attempts)
        self.poll_size = PollSize(settings.batch_size)
        self._stop_requested = asyncio.Event()
        self.joined = False
        # The partitions assigned at the last lag check, for the operations API (no Kafka call per request).
        self.partition_lags: list[PartitionLag] = []

    @property
    def name(self) -> str:
        return self._settings.group_id

    def stop(self) -> None:
        """Finish the batch in hand, commit it, leave the group and return from `run`."""
        self._stop_requested.set()

    async def run(self) -> None:
        """Consume until stopped or cancelled; while Kafka is away, try to join again with backoff."""
        if not self.topics:
            self.joined = True
            await self._stop_requested.wait()
            return
        backoff = Backoff()
        while not self._stop_requested.is_set():
            consumer = AIOKafkaConsumer(
                **self._settings.kafka.client_options(),
                group_id=self._settings.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_interval_ms=self._settings.max_poll_interval_ms,
                isolation_level="read_committed",
                # A fetch returns as soon as a record is there; this is only how long an idle one waits, so a
                # longer wait adds no latency and halves the fetches that find nothing.
                fetch_max_wait_ms=IDLE_FETCH_WAIT_MS,
                # How often the background fetcher looks over every assigned partition when nothing wakes it (a
                # fetch answered, records taken, a rebalance or a resume do): the default 200 ms made that walk
                # five times a second at rest.
                consumer_timeout_ms=IDLE_FETCH_WAIT_MS,
                max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
                fetch_max_bytes=FETCH_MAX_BYTES,
            )
            consumer.subscribe(self.topics, listener=_FinishBatchBeforeRevoke(self))
            try:
                await consumer.start()
            except KafkaError as error:
                await consumer.stop()
                if not is_transient(error):
                    raise
                log.warning("consumer cannot reach Kafka yet", error=logged_error(error))
                await backoff.wait(self._stop_requested)
                continue
            self._consumer = consumer
            self._offset_commits = offset_commits = OffsetCommits(
                functools.partial(_commit_offsets, consumer), every=COMMIT_OFFSETS_EVERY_SECONDS
            )
            try:
                await self._consume(consumer)
            except asyncio.CancelledError:
                # Stopped past its time (Kafka away, say): a commit could wait for Kafka as long. Its records are
                # read again, and the inbox drops them.
                offset_commits.abandon()
                raise
            finally:
                self.joined = False
                self.partition_lags = []
                await offset_commits.settled()
                # Leaves the group, so its partitions go to the other members at once.
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stop_requested.is_set():
            self._resume_due_partitions()
            # Returns as soon as records are there; the wait only sets how often an idle loop goes round.
            batches = await consumer.getmany(timeout_ms=IDLE_FETCH_WAIT_MS, max_records=self.poll_size.current)
            if batches:
                async with self._batch_in_flight:
                    await self._handle_batch(batches)
            await self._record_lag()

    async def _handle_batch(self, batches: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """Handle what one poll read, from every partition, in one transaction; then commit each partition's offset.

        One transaction a poll, not one a partition: the handlers' shared work (`UnitOfWork.before_commit`)
        then covers the whole poll, and a consumer of many partitions needs one connection, not one each.
        A partition holding a record that failed before is handled apart, after the others, in a transaction
        of its own: the record's next timeout then undoes and holds up its own partition only.
        """
        consumer = self._consumer
        assert consumer is not None
        batches = {tp: records for tp, records in batches.items() if tp in consumer.assignment()}
        suspect = [
            {tp: records}
            for tp, records in batches.items()
            if any(self._failures.suspect(record_key(record)) for record in records)
        ]
        clean = {tp: records for tp, records in batches.items() if all(tp not in part for part in suspect)}
        # Retries and slow records included, a poll must end well inside max.poll.interval.ms, or the group
        # would evict us. The other partitions get half of that when suspect ones follow.
        budget = self._settings.max_poll_interval_ms / 1000 / 2
        start = asyncio.get_running_loop().time()
        outcomes = []
        if clean:
            clean_deadline = start + (budget / 2 if suspect else budget)
            outcomes.append(await self._handle_partitions(clean, deadline=clean_deadline))
        for part in suspect:
            outcomes.append(await self._handle_partitions(part, deadline=start + budget))
        if _PollOutcome.SLOW in outcomes:
            self.poll_size.after_slow_poll()
        elif outcomes and all(outcome is _PollOutcome.COMMITTED for outcome in outcomes):
            self.poll_size.after_good_poll()

    async def _handle_partitions(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord]], *, deadline: float
    ) -> "_PollOutcome":
        consumer = self._consumer
        assert consumer is not None
        records = [record for partition_records in batches.values() for record in partition_records]
        budget = max(deadline - asyncio.get_running_loop().time(), 0.0)
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_worth_retrying),
                stop=stop_after_attempt(self._settings.retry_attempts) | stop_after_delay(budget / 2),
                wait=wait_exponential(multiplier=0.2, max=5),
                reraise=True,
            ):
                with attempt:
                    outcomes = await self._handle_poll(records, deadline=deadline)
        except Exception as error:
            if (slow := _caused_by(error, _PollTooSlow)) is not None:
                log.warning("poll too slow, read again in smaller polls", records=len(records), reason=str(slow))
                for tp, partition_records in batches.items():
                    consumer.seek(tp, partition_records[0].offset)
                return _PollOutcome.SLOW
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
            return _PollOutcome.PAUSED
        for (event_type, outcome), count in Counter(outcomes).items():
            EVENTS_HANDLED.labels(self.name, event_type, outcome).inc(count)
        assert self._offset_commits is not None
        self._offset_commits.add({tp: partition_records[-1].offset + 1 for tp, partition_records in batches.items()})
        return _PollOutcome.COMMITTED

    async def _handle_poll(self, records: list[ConsumerRecord], *, deadline: float) -> list[tuple[str, str]]:
        """Handle a poll in one transaction; if a record fails or is slow, redo the poll with each record isolated.

        A poll holding a record that failed before is isolated at once.
        """
        # Each record's envelope is read once, for the batch's inbox claim and its handler alike.
        decoded = [(record, _decode(record)) for record in records]
        if not any(self._failures.suspect(record_key(record)) for record in records):
            try:
                return await self._handle_together(decoded, deadline=deadline)
            except _RecordFailed:
                pass
        # Savepoints cost two round trips a record, so only the rare poll with a bad or slow record pays them.
        try:
            async with asyncio.timeout_at(deadline), self._database.unit_of_work() as uow:
                return [
                    await self._handle_record(uow, record, incoming, unclaimed=None) for record, incoming in decoded
                ]
        except TimeoutError as error:
            raise _PollTooSlow(f"{len(records)} records took longer than a poll may") from error

    async def _handle_together(self, decoded: list[_Decoded], *, deadline: float) -> list[tuple[str, str]]:
        # Half the time left at most, so that the poll can still be redone with its records isolated.
        time_left = deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(time_left / 2), self._database.unit_of_work() as uow:
                # The whole batch is claimed in the inbox at once; a failure rolls the claims back with it.
                unclaimed = await uow.first_deliveries(consumer=self.name, message_ids=self._routed_ids(decoded))
                outcomes = [
                    await self._handle_record(uow, record, incoming, unclaimed=unclaimed)
                    for record, incoming in decoded
                ]
                await uow.run_deferred()
            return outcomes
        except Exception as error:
            if is_transient(error) and not _caused_by(error, (_RecordFailed, TimeoutError)):
                raise
            # A record failed or was slow (in the handlers' shared work too): which one shows once each is alone.
            raise _RecordFailed from error

    def _routed_ids(self, decoded: list[_Decoded]) -> list[str]:
        """The CloudEvent ids of the readable records this consumer has a handler for."""
        return [
            incoming.id
            for _, incoming in decoded
            if isinstance(incoming, IncomingEvent) and incoming.type in self._handlers
        ]

    async def _handle_record(
        self,
        uow: UnitOfWork,
        record: ConsumerRecord,
        incoming: IncomingEvent | InvalidEnvelope,
        *,
        unclaimed: set[str] | None,
    ) -> tuple[str, str]:
        """Handle one record inside the batch transaction; returns (event type, outcome).

        `unclaimed` holds the batch's ids claimed up front and not yet handled; None means the record
        is isolated in a savepoint with its own claim, so that its failure undoes only its own work.
        """
        isolated = unclaimed is None
        if isinstance(incoming, InvalidEnvelope):
            if not isolated:
                # Unclaimed with the batch: alone, it is dead-lettered, and a replay of it is handled.
                raise _RecordFailed from incoming
            return "unreadable", await self._dead_letter(uow, record, type(incoming).__name__, _describe(incoming))
        route = self._handlers.get(incoming.type)
        if route is None:
            return incoming.type, "skipped"
        if (failure := self._failures.exhausted(record_key(record))) is not None:
            return incoming.type, await self._dead_letter(uow, record, failure.error_class, failure.dead_letter_reason)
        model, handler, handler_seconds = route
        carrier = incoming.trace_carrier
        traceparent = carrier.get("traceparent")
        about_order = issubclass(model, Event) and incoming.subject is not None
        if about_order:
            uow.keep_order_trace(incoming.subject, traceparent, carrier.get("tracestate"))
        # The consumer group is the service (the resource's name) and the topic is in the span's name: not
        # repeated as attributes, each of which every record's span pays for twice, made and exported.
        attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "messaging.message.id": incoming.id,
            "cloudevents.event_type": incoming.type,
        }
        if about_order:
            attributes[ORDER_ID] = incoming.subject
        # Context variables set and reset directly: two generator context managers a record cost more than this.
        log_context = structlog.contextvars.bind_contextvars(order_id=incoming.subject, event_type=incoming.type)
        delivery = _current_delivery.set(_delivery(incoming, topic=self._source_topic(record), traceparent=traceparent))
        try:
            with tracer().start_as_current_span(
                f"{record.topic} process",
                context=context_from_carrier(carrier),
                kind=SpanKind.CONSUMER,
                attributes=attributes,
            ) as span:
                while True:
                    handler_time = asyncio.timeout(self._settings.handler_timeout_seconds)
                    try:
                        async with uow.savepoint() if isolated else contextlib.nullcontext():
                            if not await self._first_delivery(uow, incoming.id, unclaimed):
                                return incoming.type, "duplicate"
                            event = model.model_validate_json(incoming.payload)
                            if about_order:
                                span.set_attribute(ORDER_VERSION, event.order_version)
                            started = time.perf_counter()
                            async with handler_time:
                                await handler(event, uow)
                                if isolated:
                                    await uow.run_deferred()
                            handler_seconds.observe(time.perf_counter() - started)
                        self._failures.forget(record_key(record))
                        return incoming.type, "handled"
                    except Exception as error:
                        if handler_time.expired():
                            if not isolated:
                                raise _RecordFailed from error
                            await self._timed_out(record)
                        if is_transient(error):
                            raise
                        if not isolated:
                            raise _RecordFailed from error
                        span.set_status(Status(StatusCode.ERROR, describe_error(error)))
                        if isinstance(error, PERMANENT_FAILURES):
                            # Invalid payloads and domain refusals: keep the record, keep flowing.
                            return incoming.type, await self._dead_letter(
                                uow, record, type(error).__name__, _describe(error)
                            )
                        HANDLER_FAILURES.labels(self.name, type(error).__name__).inc()
                        failure = self._failures.failed(
                            record_key(record), error_class=type(error).__name__, reason=_describe(error)
                        )
                        if failure.attempts >= self._failures.limit:
                            return incoming.type, await self._dead_letter(
                                uow, record, failure.error_class, failure.dead_letter_reason
                            )
                        log.warning(
                            "record failed, trying it again", attempts=failure.attempts, error=logged_error(error)
                        )
        finally:
            _current_delivery.reset(delivery)
            structlog.contextvars.reset_contextvars(**log_context)

    async def _timed_out(self, record: ConsumerRecord) -> NoReturn:
        """A handler ran out of time: count it against its record, unless the database itself stopped answering.

        The poll is then abandoned (its transaction rolled back, the cancelled statement with it) and read again.
        """
        try:
            await self._database.ping(timeout=DATABASE_CHECK_SECONDS)
        except Exception as error:
            raise DatabaseUnavailable("the database stopped answering while a handler waited on it") from error
        timeout = self._settings.handler_timeout_seconds
        HANDLER_FAILURES.labels(self.name, HandlerTimeout.__name__).inc()
        failure = self._failures.failed(
            record_key(record), error_class=HandlerTimeout.__name__, reason=f"handler timed out after {timeout:g} s"
        )
        log.warning(
            "handler timed out",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            attempts=failure.attempts,
        )
        raise _PollTooSlow(f"a handler timed out after {timeout:g} s at offset {record.offset} of {record.topic}")

    async def _first_delivery(self, uow: UnitOfWork, message_id: str, unclaimed: set[str] | None) -> bool:
        if unclaimed is None:
            return await uow.first_delivery(consumer=self.name, message_id=message_id)
        if message_id not in unclaimed:
            return False
        unclaimed.discard(message_id)  # a second copy later in the same batch is a duplicate
        return True

    def _source_topic(self, record: ConsumerRecord) -> str:
        """The topic of the record's event: its own, or for a replay, the one its header names (the replay topic is
        written by this service alone)."""
        if record.topic != self._settings.replay_topic:
            return record.topic
        for name, value in record.headers or ():
            if name == REPLAY_SOURCE_TOPIC_HEADER:
                return value.decode(errors="replace")
        return record.topic

    async def _dead_letter(self, uow: UnitOfWork, record: ConsumerRecord, error_class: str, reason: str) -> str:
        self._failures.forget(record_key(record))
        topic = self._source_topic(record)
        kept = await uow.dead_letter(
            consumer=self.name,
            topic=topic,
            replay_topic=record.topic if topic != record.topic else None,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key is not None else None,
            headers={name: value.decode(errors="replace") for name, value in record.headers or ()},
            payload=record.value or b"",
            error_class=error_class,
            reason=reason,
        )
        if kept:
            log.warning(
                "record dead-lettered",
                topic=topic,
                read_from=record.topic,
                partition=record.partition,
                offset=record.offset,
                error_class=error_class,
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
            # Its new owner reports its lag from now on; a stale figure here would add to the group's lag for good.
            CONSUMER_LAG.remove(self.name, tp.topic, str(tp.partition))
        self._failures.forget_partitions(partitions)

    async def _record_lag(self) -> None:
        consumer = self._consumer
        if consumer is None or time.monotonic() < self._next_lag_check:
            return
        self._next_lag_check = time.monotonic() + LAG_CHECK_SECONDS
        lags = []
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                position = await consumer.position(tp)
                lags.append(PartitionLag(tp.topic, tp.partition, position, highwater, tp in self._paused_until))
                CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lags[-1].lag)
        self.partition_lags = sorted(lags, key=lambda lag: (lag.topic, lag.partition))


Offsets = dict[TopicPartition, int]


class OffsetCommits:
    """A consumer's offset commits, made behind its polls rather than awaited before the next fetch (a Kafka round
    trip a poll), and at most one every `every` seconds.

    Offsets are added once their poll's transaction committed. One commit is in flight at a time; the polls that
    end meanwhile, or within `every` of it, are committed together by the next, so offsets reach Kafka in the order
    of their polls. A rebalance and a stop commit at once and wait until every offset added is committed
    (`settled`), so no member reads again what this one handled, and none skips what it did not.
    """

    def __init__(self, commit: Callable[[Offsets], Awaitable[None]], *, every: float) -> None:
        self._commit = commit
        self._every = every
        self._pending: Offsets = {}
        self._committing: asyncio.Task[None] | None = None
        self._now = asyncio.Event()

    def add(self, offsets: Offsets) -> None:
        self._pending.update(offsets)
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_pending(), name="offset-commit")

    async def _commit_pending(self) -> None:
        while self._pending:
            offsets, self._pending = self._pending, {}
            await self._commit(offsets)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._now.wait(), self._every)

    async def settled(self) -> None:
        """Commit what is pending now, and return once every offset added so far is committed (or its commit
        failed)."""
        if self._committing is not None:
            committing, self._committing = self._committing, None
            self._now.set()
            try:
                await committing
            finally:
                self._now.clear()

    def abandon(self) -> None:
        """Give up the commit in flight and those pending: their records are read again."""
        if self._committing is not None:
            self._committing.cancel()
            self._committing = None
        self._pending = {}


async def _commit_offsets(consumer: AIOKafkaConsumer, offsets: Offsets) -> None:
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, KafkaError) as error:
        # Partitions moved to another member; it will redeliver and the inbox drops the repeats.
        log.info("offset commit skipped", partitions=len(offsets), error=str(error))


def _decode(record: ConsumerRecord) -> IncomingEvent | InvalidEnvelope:
    """The record's CloudEvent, or why it is none."""
    try:
        return decode(key=record.key, value=record.value, headers=record.headers or ())
    except InvalidEnvelope as error:
        return error


def _caused_by(error: BaseException | None, kinds: type | tuple[type, ...]) -> BaseException | None:
    """The error of `kinds` behind a failure: raised as such, or the context of a rollback that failed after it."""
    while error is not None:
        if isinstance(error, kinds):
            return error
        error = error.__cause__ or error.__context__
    return None


def _worth_retrying(error: BaseException) -> bool:
    """A transient failure, and not the rollback after a slow poll (the poll is read again, smaller, instead)."""
    return is_transient(error) and _caused_by(error, _PollTooSlow) is None


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return f"invalid payload: {described(field_problems(error))}"
    return describe_error(error)


class _PollOutcome(enum.Enum):
    COMMITTED = "committed"
    SLOW = "slow"  # read again, smaller
    PAUSED = "paused"  # a dependency is away


class _RecordFailed(Exception):
    """A record of the batch cannot be handled: the batch is redone with each record in a savepoint."""


class _PollTooSlow(Exception):
    """A handler or the whole poll ran out of time: the poll is read again, smaller, and nothing is committed."""


class HandlerTimeout(TimeoutError):
    """The error class a record's dead letter names when its handler ran out of time on every attempt."""


class _FinishBatchBeforeRevoke(ConsumerRebalanceListener):
    """Let the batch in flight and its offset commit finish before its partitions go to another member."""

    def __init__(self, runtime: ConsumerRuntime) -> None:
        self._runtime = runtime

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._runtime._batch_in_flight:
            if self._runtime._offset_commits is not None:
                await self._runtime._offset_commits.settled()
            self._runtime._forget_partitions(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._runtime.joined = True
