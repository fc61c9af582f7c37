"""A running service: database, outbox relay, consumer and its own loops, started and stopped together."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiokafka import AIOKafkaProducer

from orderdesk_shared.consumer import ConsumerRuntime, ConsumerSettings, Handler
from orderdesk_shared.db import Database
from orderdesk_shared.errors import logged_error
from orderdesk_shared.events.base import Fact
from orderdesk_shared.group_commit import BatchWriter, GroupCommit
from orderdesk_shared.logs import get_logger
from orderdesk_shared.messaging import MessagingTables
from orderdesk_shared.relay import OutboxRelay, idempotent_producer
from orderdesk_shared.settings import ServiceSettings

log = get_logger(__name__)

DatabaseTask = Callable[[Database], Awaitable[None]]


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    database: Database
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: ConsumerRuntime
    # Run once the database answers, before anything is consumed (e.g. seeding reference data).
    on_start: Sequence[DatabaseTask] = ()
    # A service's own background loops by task name; like the relay and consumer, one that ends is "crashed".
    loops: Mapping[str, DatabaseTask] = field(default_factory=dict)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _group_commits: dict[BatchWriter, GroupCommit] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        settings: ServiceSettings,
        tables: MessagingTables,
        handlers: Mapping[type[Fact], Handler],
        on_start: Sequence[DatabaseTask] = (),
        loops: Mapping[str, DatabaseTask] | None = None,
    ) -> "ServiceRuntime":
        database = Database(
            url=settings.database_url,
            tables=tables,
            source=settings.service_name,
            pool_size=settings.database_pool_size,
        )
        producer = idempotent_producer(settings.kafka_bootstrap_servers)
        relay = OutboxRelay(
            database=database,
            producer=producer,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        consumer = ConsumerRuntime(
            settings=ConsumerSettings(
                group_id=settings.service_name,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                batch_size=settings.consumer_batch_size,
                handler_timeout_seconds=settings.handler_timeout_seconds,
                max_poll_interval_ms=settings.max_poll_interval_ms,
                retry_attempts=settings.transient_retry_attempts,
                paused_partition_retry_seconds=settings.paused_partition_retry_seconds,
            ),
            database=database,
            handlers=handlers,
        )
        return cls(
            settings=settings,
            database=database,
            producer=producer,
            relay=relay,
            consumer=consumer,
            on_start=on_start,
            loops=dict(loops or {}),
        )

    async def start(self) -> None:
        await self.database.ping()
        for prepare in self.on_start:
            await prepare(self.database)
        await self.producer.start()
        self._tasks = [
            asyncio.create_task(self.relay.run(), name="outbox-relay"),
            asyncio.create_task(self.consumer.run(), name="consumer"),
            *(asyncio.create_task(loop(self.database), name=name) for name, loop in self.loops.items()),
        ]
        for task in self._tasks:
            task.add_done_callback(_log_crash)

    def group_commit(self, write_batch: BatchWriter, *, name: str) -> GroupCommit:
        """The service's one group-commit writer for `write_batch` (made on first use, closed at stop)."""
        if write_batch not in self._group_commits:
            self._group_commits[write_batch] = GroupCommit(self.database, write_batch, name=name)
        return self._group_commits[write_batch]

    async def stop(self) -> None:
        for writer in self._group_commits.values():
            await writer.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.producer.stop()
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

        The service is ready when every one says "ok".
        """
        checks: dict[str, str] = {}
        try:
            await self.database.ping()
            checks["database"] = "ok"
        except Exception as error:
            log.warning("readiness: database unreachable", error_class=type(error).__name__)
            checks["database"] = "down"
        checks["kafka"] = "ok" if self.producer.client.cluster.brokers() else "down"
        checks["relay"] = _task_state(self._tasks, "outbox-relay") or (
            "ok" if self.relay.last_error is None else "retrying"
        )
        checks["consumer"] = _task_state(self._tasks, "consumer") or ("ok" if self.consumer.running else "starting")
        return checks


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background loop crashed", loop=task.get_name(), error=logged_error(error))


def _task_state(tasks: list[asyncio.Task], name: str) -> str | None:
    task = next((t for t in tasks if t.get_name() == name), None)
    if task is None:
        return "not started"
    if task.done():
        return "stopped"
    return None
