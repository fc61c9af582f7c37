"""The running stack for e2e and fault tests: real Postgres, Kafka, Jaeger and every service, on free ports,
the services exporting their traces to the stack's Jaeger."""

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from orderdesk_shared.auth import Role
from orderdesk_shared.codec import KafkaRecord
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack import jaeger_server
from orderdesk_stack.stack import Stack
from orderdesk_stack.testing import eventually, server_home
from orderdesk_stack.tracing import JaegerQuery

# A slow-handler test waits out intake's timeout three times, the SRE page's browser test serviceability's: shorter
# than the 10 s default keeps them quick.
INTAKE_HANDLER_TIMEOUT_SECONDS = 5
SERVICEABILITY_HANDLER_TIMEOUT_SECONDS = 5
TEST_SERVICE_SETTINGS = (
    ("INTAKE_HANDLER_TIMEOUT_SECONDS", str(INTAKE_HANDLER_TIMEOUT_SECONDS)),
    ("SERVICEABILITY_HANDLER_TIMEOUT_SECONDS", str(SERVICEABILITY_HANDLER_TIMEOUT_SECONDS)),
    # The services export their spans 0.2 s after they end (the default waits 5 s), so trace tests wait less.
    ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    # A listener back after a minute away is tried again within 5 s (not the production 5 minutes), and
    # serviceability gives up on a listener after 5 s (not an hour), so the hub tests see a dead letter soon.
    ("INTAKE_HUB_RETRY_LONGEST_SECONDS", "5"),
    ("SERVICEABILITY_HUB_RETRY_LONGEST_SECONDS", "1"),
    ("SERVICEABILITY_HUB_RETRY_WINDOW_SECONDS", "5"),
)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with server_home("stack") as run_dir:
        yield from _running_stack(run_dir)


@pytest.fixture
async def jaeger(stack: Stack) -> Iterator[JaegerQuery]:
    """The stack's Jaeger query API, which every service of `stack` exports its spans to."""
    if stack.jaeger_url is None:
        pytest.fail(jaeger_server.SKIPPED)
    async with JaegerQuery(stack.jaeger_url) as query:
        yield query


# Room for the fault tests' orders, and a ballast that fills it in a second or two.
CLUSTER_POSTGRES_VOLUME_MB = 1024


@pytest.fixture(scope="session")
def cluster_stack() -> Iterator[Stack]:
    """A stack on a three-broker Kafka cluster, its Postgres data on a volume whose disk can be filled: the
    infrastructure fault tests' (orderdesk_stack.faults). Always its own servers, whatever DATABASE_URL says."""
    with server_home("cluster-stack") as run_dir:
        yield from _running_stack(
            run_dir, kafka_brokers=3, tracing=False, postgres_volume_mb=CLUSTER_POSTGRES_VOLUME_MB, external=False
        )


def _running_stack(
    run_dir: Path,
    *,
    kafka_brokers: int = 1,
    postgres_volume_mb: int | None = None,
    external: bool = True,
    tracing: bool = True,
) -> Iterator[Stack]:
    """A stack on free ports; `external`: on the servers DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS name, if set;
    `tracing`: with Jaeger, which its services export their spans to."""
    running = Stack.on_free_ports(
        run_dir,
        kafka_brokers=kafka_brokers,
        database_url=(os.environ.get("DATABASE_URL") or None) if external else None,
        kafka_bootstrap_servers=(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None) if external else None,
        postgres_volume_mb=postgres_volume_mb,
        service_settings=TEST_SERVICE_SETTINGS,
        tracing=tracing,
    )
    try:
        running.up()
    except BaseException:
        running.down()
        raise
    yield running
    running.down()


def bearer(stack: Stack, subject: str, *roles: Role) -> dict[str, str]:
    return stack.token_signer.bearer(subject, *roles)


@pytest.fixture
async def intake(stack: Stack) -> Iterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.service_url("intake"), timeout=30.0) as client:
        yield client


async def publish_as(stack: Stack, principal: str, record: KafkaRecord) -> None:
    """Writes the record as `principal` logs in to Kafka: the stack's ACLs decide whether it may."""
    producer = AIOKafkaProducer(**stack.kafka_connection_for(principal).client_options())
    await producer.start()
    try:
        await producer.send_and_wait(
            record.topic,
            record.value,
            key=record.key.encode(),
            headers=[(name, value.encode()) for name, value in record.headers.items()],
        )
    finally:
        await producer.stop()


async def publish_poison_record(stack: Stack, order_id: str) -> KafkaRecord:
    """A record the order's readers cannot read as a validated order, from a bug in intake (the topic's owner, the
    only principal allowed to write it); the record as published."""
    poison = KafkaRecord(
        topic=OrderValidated.topic,
        key=order_id,
        value=json.dumps({"orderId": order_id, "orderVersion": 1, "order": {"items": "not a list"}}).encode(),
        headers={
            "ce_specversion": "1.0",
            "ce_id": secrets.token_hex(8),
            "ce_type": OrderValidated.event_type,
            "ce_source": "intake",
            "content-type": "application/json",
        },
    )
    await publish_as(stack, "intake", poison)
    return poison


async def first_record_for(kafka: KafkaConnection, topic: str, key: str, timeout: float = 30.0):
    """The first record on `topic` with `key`, read from the beginning."""
    [record] = await records_for(kafka, topic, key, count=1, timeout=timeout)
    return record


async def records_for(kafka: KafkaConnection, topic: str, key: str, *, count: int, timeout: float = 30.0) -> list:
    """The first `count` records on `topic` with `key`, read from the beginning (`stack.kafka_admin` reads any)."""
    consumer = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    found = []

    async def read_on() -> list:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            found.extend(record for record in records if record.key == key.encode())
        return found

    try:
        enough = await eventually(
            read_on,
            lambda found: len(found) >= count,
            what=f"{count} records for {key} on {topic}",
            timeout=timeout,
            pause=0,
        )
        return enough[:count]
    finally:
        await consumer.stop()
