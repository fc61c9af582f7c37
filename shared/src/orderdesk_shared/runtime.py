"""A running service: database, outbox relay, consumer and its own loops, started and stopped together, and the
context (rules and clock) its handlers and routes decide with."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from orderdesk_shared.backoff import Backoff
from orderdesk_shared.consumer import ConsumerRuntime, ConsumerSettings
from orderdesk_shared.context import ContextHandler, ServiceContext, bind
from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.errors import is_transient, logged_error
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.catalogue import replay_topic
from orderdesk_shared.group_commit import BatchWriter, GroupCommit
from orderdesk_shared.heap import freeze_startup_heap
from orderdesk_shared.kafka_connection import idempotent_producer
from orderdesk_shared.logs import get_logger
from orderdesk_shared.messaging import MessagingTables
from orderdesk_shared.relay import OutboxRelay
from orderdesk_shared.settings import ServiceSettings

log = get_logger(__name__)

DatabaseTask = Callable[[Database], Awaitable[None]]

# Task names, as /healthz names a crashed one.
STARTUP = "startup"
CONSUMER = "consumer"
RELAY = "outbox-relay"
# What a SIGTERM leaves the consumer and relay to finish their batch in hand: inside the stack's stop timeout
# (20 s) after uvicorn's graceful shutdown of requests (10 s).
FINISH_WORK_IN_HAND_SECONDS = 8.0
# The relay waited for Kafka's acknowledgements already: what is left to flush is little or nothing.
FLUSH_SECONDS = 2.0
# A readiness probe's wait for each dependency (together, inside the probe's 2 s): a hung database or broker is
# "down", not a hung probe.
PROBE_SECONDS = 1.5


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    database: Database
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: ConsumerRuntime
    context: ServiceContext
    # Run once the database answers, before anything is consumed (e.g. seeding reference data).
    on_start: Sequence[DatabaseTask] = ()
    # A service's own background loops by task name; like the relay and consumer, one that ends is "crashed".
    loops: Mapping[str, DatabaseTask] = field(default_factory=dict)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _group_commits: dict[BatchWriter, GroupCommit] = field(default_factory=dict)
    _producer_started: bool = False

    @classmethod
    def build(
        cls,
        *,
        settings: ServiceSettings,
        tables: MessagingTables,
        handlers: Mapping[type[Fact], ContextHandler],
        context: ServiceContext,
        on_start: Sequence[DatabaseTask] = (),
        loops: Mapping[str, DatabaseTask] | None = None,
        unit_of_work: type[UnitOfWork] = UnitOfWork,
    ) -> "ServiceRuntime":
        database = Database(
            url=settings.database_url,
            tables=tables,
            source=settings.service_name,
            pool_size=settings.database_pool_size,
            unit_of_work=unit_of_work,
        )
        producer = idempotent_producer(settings.kafka)
        relay = OutboxRelay(
            database=database,
            producer=producer,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            retention=settings.retention,
        )
        consumer = ConsumerRuntime(
            settings=ConsumerSettings(
                group_id=settings.service_name,
                kafka=settings.kafka,
                batch_size=settings.consumer_batch_size,
                handler_timeout_seconds=settings.handler_timeout_seconds,
                max_poll_interval_ms=settings.max_poll_interval_ms,
                retry_attempts=settings.transient_retry_attempts,
                paused_partition_retry_seconds=settings.paused_partition_retry_seconds,
                handler_attempts=settings.handler_attempts,
                replay_topic=replay_topic(settings.service_name),
            ),
            database=database,
            handlers=bind(handlers, context),
        )
        return cls(
            settings=settings,
            database=database,
            producer=producer,
            relay=relay,
            consumer=consumer,
            context=context,
            on_start=on_start,
            loops=dict(loops or {}),
        )

    async def start(self) -> None:
        """Start the loops and return at once: the service serves (alive, not ready) while its database or Kafka
        is away, and its loops connect with backoff (`on_start` once the database answers)."""
        self._tasks = [asyncio.create_task(self._connect_and_run(), name=STARTUP)]
        self._tasks[0].add_done_callback(_log_crash)

    async def _connect_and_run(self) -> None:
        await _until_it_works("database", self.database.ping)
        for prepare in self.on_start:
            step = getattr(prepare, "__name__", "start-up task")
            await _until_it_works(step, lambda prepare=prepare: prepare(self.database))
        freeze_startup_heap()
        self._spawn(CONSUMER, self.consumer.run())
        for name, loop in self.loops.items():
            self._spawn(name, loop(self.database))
        await _until_it_works("kafka", self.producer.start)
        self._producer_started = True
        self._spawn(RELAY, self.relay.run())

    def _spawn(self, name: str, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)

    def group_commit(self, write_batch: BatchWriter, *, name: str) -> GroupCommit:
        """The service's one group-commit writer for `write_batch` (made on first use, closed at stop)."""
        if write_batch not in self._group_commits:
            self._group_commits[write_batch] = GroupCommit(self.database, write_batch, name=name)
        return self._group_commits[write_batch]

    async def stop(self) -> None:
        """Finish the work in hand: requests' group commits, the consumer's batch (its transaction and offsets,
        then it leaves the group) and the relay's batch; then stop the rest and close the connections."""
        for writer in self._group_commits.values():
            await writer.close()
        self.consumer.stop()
        self.relay.stop()
        finishing = [task for task in self._tasks if task.get_name() in (CONSUMER, RELAY)]
        if finishing:
            _, unfinished = await asyncio.wait(finishing, timeout=FINISH_WORK_IN_HAND_SECONDS)
            if unfinished:
                log.warning("work in hand not finished in time", loops=sorted(t.get_name() for t in unfinished))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        try:
            # Flushes what is queued; with Kafka away it would wait out its request timeout, past the stop timeout.
            async with asyncio.timeout(FLUSH_SECONDS):
                await self.producer.stop()
        except TimeoutError:
            log.warning("Kafka producer not flushed in time; unmarked outbox rows go again at the next start")
        await self.database.dispose()

    def crashed_loops(self) -> list[str]:
        """Background loops that ended on their own: the process is then no longer alive.

        Only their names: the errors (which may quote data) go to the log, not to an unauthenticated probe.
        """
        return [
            task.get_name()
            for task in self._tasks
            if task.done() and not task.cancelled() and task.exception() is not None
        ]

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state, and nothing more (the probe is unauthenticated; errors are logged).

        The service is ready when every one says "ok": it can do its work. A relay retrying a short hiccup is
        still "ok"; one failing for longer than `relay_unready_after_seconds` is "retrying".
        """
        database, kafka = await asyncio.gather(self._database_state(), self._kafka_state())
        return {
            "database": database,
            "kafka": kafka,
            "relay": _task_state(self._tasks, RELAY) or self._relay_state(),
            "consumer": _task_state(self._tasks, CONSUMER) or ("ok" if self.consumer.joined else "starting"),
        }

    async def _database_state(self) -> str:
        try:
            await self.database.ping(timeout=PROBE_SECONDS)
        except Exception as error:
            log.warning("readiness: database unreachable", error_class=type(error).__name__)
            return "down"
        return "ok"

    async def _kafka_state(self) -> str:
        if not self._producer_started:
            return "starting"
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                await self.producer.client.fetch_all_metadata()
        except Exception as error:
            log.warning("readiness: Kafka unreachable", error_class=type(error).__name__)
            return "down"
        return "ok"

    def _relay_state(self) -> str:
        failing_since = self.relay.failing_since
        if failing_since is not None and time.monotonic() - failing_since > self.settings.relay_unready_after_seconds:
            return "retrying"
        return "ok"


async def _until_it_works(what: str, attempt: Callable[[], Awaitable[object]]) -> None:
    """Try `attempt` until it succeeds, backing off while it fails for a transient reason; raise any other."""
    backoff = Backoff()
    while True:
        try:
            await attempt()
            return
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("waiting for a dependency", step=what, error=logged_error(error))
        await backoff.wait()


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background loop crashed", loop=task.get_name(), error=logged_error(error))


def _task_state(tasks: list[asyncio.Task], name: str) -> str | None:
    task = next((t for t in tasks if t.get_name() == name), None)
    if task is None:
        return "starting"
    if task.done():
        return "stopped"
    return None
