"""Faults written into Kafka as its admin: a poison record, every consumer group rewound to offset 0."""

import asyncio
import uuid

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from orderdesk_shared.events.intake import OrderValidated
from orderdesk_stack.faults.base import BUSY_TOPIC, Dose, blocking
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

# Read by serviceability and the console: a poison record there is met by two consumer groups.
POISONED_TOPIC = OrderValidated.topic


async def busy_partition(stack: Stack) -> int:
    """The partition of the busiest topic holding the most records."""
    consumer = AIOKafkaConsumer(**stack.kafka_admin.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(BUSY_TOPIC, p) for p in consumer.partitions_for_topic(BUSY_TOPIC) or {0}]
        ends = await consumer.end_offsets(partitions)
        return max(ends, key=ends.get).partition
    finally:
        await consumer.stop()


async def poison_record(stack: Stack, dose: Dose) -> str:
    """A malformed CloudEvent among the validated orders, written as the admin: every reader dead-letters it."""
    producer = AIOKafkaProducer(**stack.kafka_admin.client_options())
    await producer.start()
    key = f"POISON-{uuid.uuid4().hex[:8]}"
    try:
        await producer.send_and_wait(
            POISONED_TOPIC,
            key=key.encode(),
            value=b'{"id": "not an order", "items": [',
            headers=[
                ("ce_id", str(uuid.uuid4()).encode()),
                ("ce_type", OrderValidated.event_type.encode()),
                ("ce_source", b"chaos"),
                ("ce_specversion", b"1.0"),
            ],
        )
    finally:
        await producer.stop()
    return f"a malformed {OrderValidated.event_type} (key {key}) on {POISONED_TOPIC}"


async def replay_every_topic(stack: Stack, dose: Dose) -> str:
    """Every service stopped, its consumer group moved back to offset 0 on every partition it reads, and started
    again: each reads its whole history again, and its inbox must drop every record as a repeat."""
    for service in SERVICES:
        await blocking(stack.stop, service.name)
    admin = AIOKafkaAdminClient(**stack.kafka_admin.client_options())
    await admin.start()
    try:
        rewound = 0
        for service in SERVICES:
            partitions = list(await admin.list_consumer_group_offsets(service.name))
            await _rewind(stack, group=service.name, partitions=partitions)
            rewound += len(partitions)
    finally:
        await admin.close()
    for service in SERVICES:
        await blocking(stack.start, service.name)
    await _ready(stack, [service.name for service in SERVICES])
    return f"every service stopped, its group rewound to offset 0 ({rewound} partitions in all), started again"


async def _ready(stack: Stack, programs: list[str], *, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        for program in programs:
            while not await _answers_ok(client, f"{stack.service_url(program)}/readyz"):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{program} not ready {timeout:.0f} s after its start")
                await asyncio.sleep(0.25)


async def _answers_ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _rewind(stack: Stack, *, group: str, partitions: list[TopicPartition]) -> None:
    consumer = AIOKafkaConsumer(**stack.kafka_admin.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        await consumer.commit({partition: offset for partition, offset in beginnings.items()})
    finally:
        await consumer.stop()
