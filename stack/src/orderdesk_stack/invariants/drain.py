"""Nothing left in flight: no consumer group lagging, no outbox row unpublished."""

import asyncio
import time
from collections import Counter

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from orderdesk_shared.kafka_connection import KafkaConnection, topic_partitions
from orderdesk_stack.catalogue import topics_read_by
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

_DRAIN_POLL_SECONDS = 0.5


async def outstanding_work(stack: Stack, *, timeout: float) -> list[str]:
    """Wait (up to `timeout` seconds) until no consumer group lags and no outbox holds a row; what is left then
    (`orderdesk chaos` times each fault's drain with it)."""
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        return await drained(stack.kafka_admin, database, timeout=timeout)
    finally:
        await database.close()


async def drained(kafka: KafkaConnection, database: asyncpg.Connection, *, timeout: float) -> list[str]:
    """Wait until no consumer group lags and no outbox holds an unpublished row; what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    read_by = {service.name: await topic_partitions(kafka, sorted(topics_read_by(service))) for service in SERVICES}
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        while True:
            left = [*await _lag(admin, consumer, read_by), *await _outbox_backlog(database)]
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(_DRAIN_POLL_SECONDS)
    finally:
        await consumer.stop()
        await admin.close()


async def _lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, read_by: dict[str, list[TopicPartition]]
) -> list[str]:
    """Each group's records not yet committed, per topic it reads (from offset 0 when it committed none)."""
    left = []
    for group, partitions in read_by.items():
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        behind: Counter[str] = Counter()
        for partition in partitions:
            at = committed[partition].offset if partition in committed else 0
            behind[partition.topic] += max(ends[partition] - at, 0)
        left += [f"{group} is {n:,} records behind on {topic}" for topic, n in sorted(behind.items()) if n]
    return left


async def _outbox_backlog(database: asyncpg.Connection) -> list[str]:
    counts = await database.fetch(
        " UNION ALL ".join(
            f"SELECT '{service.schema}' AS schema, count(*) AS n "
            f"FROM {service.schema}.outbox WHERE published_at IS NULL"
            for service in SERVICES
        )
    )
    return [f"{row['schema']}.outbox holds {row['n']:,} unpublished rows" for row in counts if row["n"]]
