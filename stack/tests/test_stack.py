"""A second stack (Postgres and Kafka only) in its own run dir on free ports: up, kill, restart, down."""

import asyncio
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from orderdesk_shared.events.catalogue import dead_letter_topic, replay_topic
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.intake import OrderReceived
from orderdesk_shared.kafka_connection import KafkaConnection, topic_partitions
from orderdesk_stack.processes import free_ports, port_is_open
from orderdesk_stack.provision import asyncpg_dsn
from orderdesk_stack.stack import Stack
from orderdesk_stack.testing import eventually, infra_choice
from orderdesk_stack.topics import catalogue_topics

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(infra_choice() != "local", reason="the stack runs local processes"),
]


@pytest.fixture
def stack(tmp_path: Path):
    pg_port, kafka_port, controller_port, service_base = free_ports(4)
    stack = Stack(
        run_dir=tmp_path / "run",
        pg_port=pg_port,
        kafka_port=kafka_port,
        kafka_controller_port=controller_port,
        service_port_base=service_base,
        topic_partitions=2,
        services=(),
    )
    yield stack
    stack.down()


async def topic_names(kafka: KafkaConnection) -> set[str]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def cleanup_policies(kafka: KafkaConnection, topics: list[str]) -> dict[str, str]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"cleanup.policy": None}) for topic in topics]
        )
    finally:
        await admin.close()
    return {topic: value for _, _, _, topic, [(_, value, *_)] in described.resources}


async def announce(kafka: KafkaConnection, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(**kafka.client_options())
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def everything_on(kafka: KafkaConnection, topic: str) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    return [(record.key, record.value) for records in batches.values() for record in records]


def states(stack: Stack) -> dict[str, str]:
    return {program.name: program.state for program in stack.status()}


async def test_stack_comes_up_survives_a_kill_and_goes_down(stack: Stack) -> None:
    timings = await asyncio.to_thread(stack.up)

    assert set(timings) == {"postgres", "kafka", "total"}
    assert states(stack) == {"postgres": "RUNNING", "kafka": "RUNNING"}
    assert set(catalogue_topics()) <= await topic_names(stack.kafka_admin)
    received = OrderReceived.topic
    partitions = await topic_partitions(
        stack.kafka_admin, [received, dead_letter_topic(received), replay_topic("intake")]
    )
    assert Counter(partition.topic for partition in partitions) == {
        received: 2,
        dead_letter_topic(received): 1,
        replay_topic("intake"): 1,
    }, "event topics get the stack's partitions; the quiet dead-letter and replay topics one"
    connection = await asyncpg.connect(asyncpg_dsn(stack.service_database_url("intake")))
    assert await connection.fetchval("SELECT current_schema()") == "intake"
    await connection.close()
    assert await asyncio.to_thread(stack.up) == {}, "up on a running stack changes nothing"

    stack.kill("kafka")
    await asyncio.sleep(2)
    assert states(stack)["kafka"] != "RUNNING", "a killed program stays down"
    assert not port_is_open(stack.kafka_port)

    await asyncio.to_thread(stack.restart, "kafka")
    assert states(stack)["kafka"] == "RUNNING"
    assert set(catalogue_topics()) <= await topic_names(stack.kafka_admin), "topics survive the restart"

    roster = RosterPublished.topic
    assert await cleanup_policies(stack.kafka_admin, [roster, received]) == {roster: "compact", received: "delete"}, (
        "an announcement's topic keeps its latest record for good; an event topic expires them"
    )
    await announce(stack.kafka_admin, roster, b"roster", b'{"version": "roster/1"}')

    await asyncio.to_thread(stack.down)
    assert not stack.is_up()

    async def open_ports() -> list[int]:
        return [port for port in (stack.pg_port, stack.kafka_port) if port_is_open(port)]

    await eventually(
        open_ports,
        lambda still_open: not still_open,
        what="Postgres and Kafka to close their ports",
        timeout=10,
        pause=0.1,
    )

    await asyncio.to_thread(stack.up)
    assert await everything_on(stack.kafka_admin, roster) == [(b"roster", b'{"version": "roster/1"}')], (
        "Kafka keeps its records from one up to the next, as Postgres keeps its rows"
    )
