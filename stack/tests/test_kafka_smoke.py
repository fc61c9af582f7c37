"""What the services rely on from the real broker (KAFKA.md).

Produce/consume, groups, offsets, idempotence, restarts.
"""

import asyncio
import uuid
from collections.abc import Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.testing import KafkaUnderTest, eventually
from orderdesk_stack.topics import create_topics

pytestmark = pytest.mark.integration


async def new_topic(kafka: KafkaConnection, *, partitions: int) -> str:
    topic = f"smoke.{uuid.uuid4().hex[:10]}"
    assert await create_topics(kafka, {topic: partitions}) == [topic]
    return topic


def idempotent_producer(kafka: KafkaConnection) -> AIOKafkaProducer:
    return AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)


def consumer(kafka: KafkaConnection, topic: str, *, group: str | None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        **kafka.client_options(),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def poll_until(
    consumers: Sequence[AIOKafkaConsumer], done: Callable[[list[ConsumerRecord]], bool], *, timeout: float = 30
) -> dict[AIOKafkaConsumer, list[ConsumerRecord]]:
    """Poll all consumers together (so group rebalances can complete) until done(all records so far)."""
    received: dict[AIOKafkaConsumer, list[ConsumerRecord]] = {member: [] for member in consumers}

    async def poll() -> list[ConsumerRecord]:
        batches = await asyncio.gather(*(member.getmany(timeout_ms=200) for member in consumers))
        for member, batch in zip(consumers, batches, strict=True):
            for records in batch.values():
                received[member].extend(records)
        return [record for records in received.values() for record in records]

    await eventually(poll, done, what="the records", timeout=timeout, pause=0)
    return received


async def produce(producer: AIOKafkaProducer, topic: str, values: Sequence[int], *, keys: int = 5) -> None:
    """Send in order and wait for every acknowledgement."""
    for value in values:
        await producer.send_and_wait(topic, key=f"order-{value % keys}".encode(), value=str(value).encode())


def values_of(records: Sequence[ConsumerRecord]) -> list[int]:
    return [int(record.value) for record in records]


async def test_produce_and_consume_keeps_each_key_in_order(kafka_admin: KafkaConnection) -> None:
    topic = await new_topic(kafka_admin, partitions=3)
    async with idempotent_producer(kafka_admin) as producer:
        await produce(producer, topic, range(60))

    async with consumer(kafka_admin, topic, group=None) as reader:
        records = (await poll_until([reader], lambda got: len(got) >= 60))[reader]

    assert sorted(values_of(records)) == list(range(60))
    by_key: dict[bytes, list[ConsumerRecord]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record)
    for key_records in by_key.values():
        assert len({record.partition for record in key_records}) == 1
        assert values_of(key_records) == sorted(values_of(key_records))


async def test_two_member_group_splits_partitions_and_shares_the_work(kafka_admin: KafkaConnection) -> None:
    topic = await new_topic(kafka_admin, partitions=4)
    group = f"smoke-{uuid.uuid4().hex[:8]}"
    all_partitions = {TopicPartition(topic, partition) for partition in range(4)}

    async with consumer(kafka_admin, topic, group=group) as first:
        await poll_until([first], lambda _: first.assignment() == all_partitions)
        async with consumer(kafka_admin, topic, group=group) as second:

            def rebalanced(_: list[ConsumerRecord]) -> bool:
                mine, theirs = first.assignment(), second.assignment()
                return bool(mine) and bool(theirs) and not mine & theirs and mine | theirs == all_partitions

            await poll_until([first, second], rebalanced)
            async with idempotent_producer(kafka_admin) as producer:
                await produce(producer, topic, range(40), keys=20)
            received = await poll_until([first, second], lambda got: len(got) >= 40)

            for member, records in received.items():
                assert {TopicPartition(record.topic, record.partition) for record in records} <= member.assignment()
            assert all(received.values()), "both members got work"
            assert sorted(values_of(received[first] + received[second])) == list(range(40))


async def test_a_new_member_resumes_from_the_committed_offset(kafka_admin: KafkaConnection) -> None:
    topic = await new_topic(kafka_admin, partitions=1)
    partition = TopicPartition(topic, 0)
    group = f"smoke-{uuid.uuid4().hex[:8]}"
    async with idempotent_producer(kafka_admin) as producer:
        await produce(producer, topic, range(10))

    async with consumer(kafka_admin, topic, group=group) as reader:
        records = (await poll_until([reader], lambda got: len(got) >= 4))[reader]
        handled = records[:4]
        await reader.commit({partition: handled[-1].offset + 1})

    async with consumer(kafka_admin, topic, group=group) as resumed:
        assert await resumed.committed(partition) == 4
        rest = (await poll_until([resumed], lambda got: len(got) >= 6))[resumed]

    assert values_of(handled) == [0, 1, 2, 3]
    assert values_of(rest) == [4, 5, 6, 7, 8, 9]


async def test_idempotent_producer_writes_each_record_once_in_order(kafka_admin: KafkaConnection) -> None:
    topic = await new_topic(kafka_admin, partitions=1)
    async with idempotent_producer(kafka_admin) as producer:
        # Many sends in flight at once, so batches are retried and pipelined like the relay's.
        deliveries = [await producer.send(topic, value=str(value).encode()) for value in range(500)]
        metadata = await asyncio.gather(*deliveries)

    assert [record.offset for record in metadata] == list(range(500))
    async with consumer(kafka_admin, topic, group=None) as reader:
        records = (await poll_until([reader], lambda got: len(got) >= 500))[reader]
    assert values_of(records) == list(range(500))
    assert [record.offset for record in records] == list(range(500))


async def test_broker_restart_loses_no_acknowledged_record(kafka_broker: KafkaUnderTest) -> None:
    if kafka_broker.restart is None:
        pytest.skip("the broker is external to this test session, so it cannot be restarted here")
    kafka = kafka_broker.admin
    topic = await new_topic(kafka, partitions=3)

    async with idempotent_producer(kafka) as producer:
        await produce(producer, topic, range(100))
        await asyncio.to_thread(kafka_broker.restart)
        # The same producer carries on after the broker comes back.
        await produce(producer, topic, range(100, 200))

    async with consumer(kafka, topic, group=None) as reader:
        records = (await poll_until([reader], lambda got: len(got) >= 200))[reader]
    assert sorted(values_of(records)) == list(range(200))
