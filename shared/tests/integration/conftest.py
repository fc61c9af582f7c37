"""A throw-away service for exercising the shared runtime against the real Postgres and Kafka."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.engine import make_url

from orderdesk_shared.consumer import ConsumerRuntime, ConsumerSettings
from orderdesk_shared.db import Database
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.catalogue import dead_letter_topic, replay_topic
from orderdesk_shared.kafka_connection import KafkaConnection, idempotent_producer
from orderdesk_shared.messaging import messaging_tables
from orderdesk_shared.relay import OutboxRelay

pytestmark = pytest.mark.integration


class Noted(Event):
    """A test fact: something to note about an order. Each test gets a subclass with its own topic."""

    event_type: ClassVar[str] = "com.orderdesk.test.noted.v1"
    topic: ClassVar[str] = "test.noted"

    text: str


@dataclass
class Harness:
    database: Database
    notes: sa.Table
    model: type[Noted]
    kafka: KafkaConnection
    # The consumer group, the test's own: an SRE's replays go to its replay topic.
    group: str

    async def noted_texts(self) -> list[str]:
        async with self.database.engine.connect() as connection:
            return list((await connection.execute(sa.select(self.notes.c.text).order_by(self.notes.c.id))).scalars())

    async def count(self, table: sa.Table) -> int:
        async with self.database.engine.connect() as connection:
            return (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()

    def consumer_runtime(self, handler, *, attempts: int = 3, handler_timeout: float = 2.0) -> ConsumerRuntime:
        return ConsumerRuntime(
            settings=ConsumerSettings(
                group_id=self.group,
                kafka=self.kafka,
                batch_size=50,
                handler_timeout_seconds=handler_timeout,
                max_poll_interval_ms=30_000,
                retry_attempts=attempts,
                paused_partition_retry_seconds=0.5,
                replay_topic=replay_topic(self.group),
            ),
            database=self.database,
            handlers={self.model: handler},
        )

    def dead_letter(self, offset: int, **columns) -> dict:
        """A row of the dead-letter table: a note at `offset` of the test's topic that its handler failed on."""
        return {
            "consumer": "notes",
            "topic": self.model.topic,
            "partition": 0,
            "offset": offset,
            "headers": {},
            "payload": b"",
            "error_class": "ValueError",
            "reason": "test",
        } | columns

    def relay(self, producer: AIOKafkaProducer) -> OutboxRelay:
        return OutboxRelay(database=self.database, producer=producer, batch_size=100, poll_seconds=0.5)

    async def record_note(self, event: Noted, uow) -> None:
        """The test handler: note the text (the effect that must happen exactly once)."""
        await uow.connection.execute(sa.insert(self.notes).values(order_id=event.order_id, text=event.text))


@pytest.fixture
async def harness(postgres_admin_url: str, kafka_admin: KafkaConnection) -> AsyncIterator[Harness]:
    suffix = uuid.uuid4().hex[:10]
    schema = f"runtime_{suffix}"
    metadata = sa.MetaData(schema=schema)
    tables = messaging_tables(metadata)
    notes = sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    url = make_url(postgres_admin_url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    database = Database(url=url, tables=tables, source="runtime-test")
    async with database.engine.begin() as connection:
        await connection.execute(sa.schema.CreateSchema(schema))
        await connection.run_sync(metadata.create_all)
    topic = f"test.noted.{suffix}"
    group = f"notes-{suffix}"
    model = type(f"Noted_{suffix}", (Noted,), {"__annotations__": {}, "topic": topic})
    admin = AIOKafkaAdminClient(**kafka_admin.client_options())
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(name, num_partitions=3, replication_factor=1)
                for name in (topic, dead_letter_topic(topic), replay_topic(group))
            ]
        )
    finally:
        await admin.close()
    yield Harness(database=database, notes=notes, model=model, kafka=kafka_admin, group=group)
    async with database.engine.begin() as connection:
        await connection.execute(sa.schema.DropSchema(schema, cascade=True))
    await database.dispose()


@pytest.fixture
async def producer(kafka_admin: KafkaConnection) -> AsyncIterator[AIOKafkaProducer]:
    producer = idempotent_producer(kafka_admin)
    await producer.start()
    yield producer
    await producer.stop()


async def read_topic(kafka: KafkaConnection, topic: str, *, count: int, timeout: float = 30.0) -> list:
    """The first `count` records of a topic, across partitions."""
    consumer = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
