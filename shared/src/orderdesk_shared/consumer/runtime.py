"""The consumer runtime (ConsumerRuntime), Kafka's side of it: the poll loop; a poll's partitions and their time (a
partition holding a record that failed before is handled apart); each partition's offset, committed once the poll's
transaction is; a partition paused after transient failures and resumed later; rebalances; each partition's lag."""

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential

from orderdesk_shared.backoff import Backoff
from orderdesk_shared.consumer.failures import FailedAttempts
from orderdesk_shared.consumer.handling import Handler, RecordHandling
from orderdesk_shared.consumer.offsets import COMMIT_OFFSETS_EVERY_SECONDS, OffsetCommits, commit_offsets
from orderdesk_shared.consumer.polls import PollOutcome, PollSize, PollTooSlow, caused_by, worth_retrying
from orderdesk_shared.consumer.settings import ConsumerSettings
from orderdesk_shared.db import Database
from orderdesk_shared.errors import is_transient, logged_error
from orderdesk_shared.events.base import Fact
from orderdesk_shared.kafka_connection import PRODUCER_MAX_BATCH_BYTES
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import CONSUMER_LAG, EVENTS_HANDLED, HANDLER_FAILURES

log = get_logger(__name__)

LAG_CHECK_SECONDS = 5.0
IDLE_FETCH_WAIT_MS = 1000
# What one fetch may bring, held in memory until the polls have taken it. aiokafka's defaults (1 MiB a partition,
# 50 MiB a fetch) let a consumer behind on a backlog hold tens of MiB of compressed records, and the allocator seldom
# gives that back: a service's whole memory budget is 150 MiB. A partition's share is one producer batch (a larger
# batch still comes whole); a fetch's, several polls' worth (a poll takes consumer_batch_size records, 200 by
# default, of about a KiB each compressed).
MAX_PARTITION_FETCH_BYTES = PRODUCER_MAX_BATCH_BYTES
FETCH_MAX_BYTES = 2 * 1024 * 1024


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


class ConsumerRuntime:
    """Feeds records to handlers with at-least-once delivery and exactly-once effects (inbox)."""

    def __init__(
        self, *, settings: ConsumerSettings, database: Database, handlers: Mapping[type[Fact], Handler]
    ) -> None:
        self._settings = settings
        self._failures = FailedAttempts(settings.handler_attempts)
        self._handling = RecordHandling(
            settings=settings, database=database, handlers=handlers, failures=self._failures
        )
        consumed = {model.topic for model in handlers}
        self.topics = sorted(consumed | {settings.replay_topic} if consumed and settings.replay_topic else consumed)
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_in_flight = asyncio.Lock()
        self._paused_until: dict[TopicPartition, float] = {}
        self._next_lag_check = 0.0
        # The offset commits of the Kafka consumer of the moment (`run` makes one for each).
        self._offset_commits: OffsetCommits | None = None
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
                functools.partial(commit_offsets, consumer), every=COMMIT_OFFSETS_EVERY_SECONDS
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
            if any(self._failures.suspect(record) for record in records)
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
        if PollOutcome.SLOW in outcomes:
            self.poll_size.after_slow_poll()
        elif outcomes and all(outcome is PollOutcome.COMMITTED for outcome in outcomes):
            self.poll_size.after_good_poll()

    async def _handle_partitions(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord]], *, deadline: float
    ) -> "PollOutcome":
        consumer = self._consumer
        assert consumer is not None
        records = [record for partition_records in batches.values() for record in partition_records]
        budget = max(deadline - asyncio.get_running_loop().time(), 0.0)
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(worth_retrying),
                stop=stop_after_attempt(self._settings.retry_attempts) | stop_after_delay(budget / 2),
                wait=wait_exponential(multiplier=0.2, max=5),
                reraise=True,
            ):
                with attempt:
                    outcomes = await self._handling.handle_poll(records, deadline=deadline)
        except Exception as error:
            if (slow := caused_by(error, PollTooSlow)) is not None:
                log.warning("poll too slow, read again in smaller polls", records=len(records), reason=str(slow))
                for tp, partition_records in batches.items():
                    consumer.seek(tp, partition_records[0].offset)
                return PollOutcome.SLOW
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
            return PollOutcome.PAUSED
        for (event_type, outcome), count in Counter(outcomes).items():
            EVENTS_HANDLED.labels(self.name, event_type, outcome).inc(count)
        assert self._offset_commits is not None
        self._offset_commits.add({tp: partition_records[-1].offset + 1 for tp, partition_records in batches.items()})
        return PollOutcome.COMMITTED

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
