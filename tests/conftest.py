"""The running stack for e2e and fault tests: real Postgres, Kafka and every service, on free ports,
exporting traces to a receiver inside the test process."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from orderdesk_shared.auth import Role
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.stack import Stack
from orderdesk_stack.testing import server_home
from tests.otlp_receiver import OtlpReceiver

# A slow-handler test waits out intake's timeout three times, the SRE page's browser test serviceability's: shorter
# than the 10 s default keeps them quick.
INTAKE_HANDLER_TIMEOUT_SECONDS = 5
SERVICEABILITY_HANDLER_TIMEOUT_SECONDS = 5
TEST_SERVICE_SETTINGS = (
    ("INTAKE_HANDLER_TIMEOUT_SECONDS", str(INTAKE_HANDLER_TIMEOUT_SECONDS)),
    ("SERVICEABILITY_HANDLER_TIMEOUT_SECONDS", str(SERVICEABILITY_HANDLER_TIMEOUT_SECONDS)),
)


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack(otlp_receiver: OtlpReceiver) -> Iterator[Stack]:
    with server_home("stack") as run_dir:
        yield from _running_stack(run_dir, otlp_receiver)


# Room for the fault tests' orders, and a ballast that fills it in a second or two.
CLUSTER_POSTGRES_VOLUME_MB = 1024


@pytest.fixture(scope="session")
def cluster_stack(otlp_receiver: OtlpReceiver) -> Iterator[Stack]:
    """A stack on a three-broker Kafka cluster, its Postgres data on a volume whose disk can be filled: the
    infrastructure fault tests' (orderdesk_stack.faults). Always its own servers, whatever DATABASE_URL says."""
    with server_home("cluster-stack") as run_dir:
        yield from _running_stack(
            run_dir, otlp_receiver, kafka_brokers=3, postgres_volume_mb=CLUSTER_POSTGRES_VOLUME_MB, external=False
        )


def _running_stack(
    run_dir: Path,
    otlp_receiver: OtlpReceiver,
    *,
    kafka_brokers: int = 1,
    postgres_volume_mb: int | None = None,
    external: bool = True,
) -> Iterator[Stack]:
    """A stack on free ports; `external`: on the servers DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS name, if set."""
    running = Stack.on_free_ports(
        run_dir,
        kafka_brokers=kafka_brokers,
        database_url=(os.environ.get("DATABASE_URL") or None) if external else None,
        kafka_bootstrap_servers=(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None) if external else None,
        postgres_volume_mb=postgres_volume_mb,
        service_settings=TEST_SERVICE_SETTINGS,
    )
    tracing_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    saved = {key: os.environ.get(key) for key in tracing_env}
    os.environ.update(tracing_env)
    try:
        running.up()
    except BaseException:
        running.down()
        raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield running
    running.down()


def bearer(stack: Stack, subject: str, *roles: Role) -> dict[str, str]:
    return stack.token_signer.bearer(subject, *roles)


@pytest.fixture
async def intake(stack: Stack) -> Iterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.service_url("intake"), timeout=30.0) as client:
        yield client


async def first_record_for(kafka: KafkaConnection, topic: str, key: str, timeout: float = 30.0):
    """The first record on `topic` with `key`, read from the beginning."""
    [record] = await records_for(kafka, topic, key, count=1, timeout=timeout)
    return record


async def records_for(kafka: KafkaConnection, topic: str, key: str, *, count: int, timeout: float = 30.0) -> list:
    """The first `count` records on `topic` with `key`, read from the beginning (`stack.kafka_admin` reads any)."""
    consumer = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    found = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [record for record in records if record.key == key.encode()]
                if len(found) >= count:
                    return found[:count]
        raise AssertionError(f"{len(found)} of {count} records for {key} on {topic} within {timeout}s")
    finally:
        await consumer.stop()


async def eventually(read, wanted, *, timeout: float = 60.0, pause: float = 0.3):
    """What `read()` gives once `wanted` holds for it; fails with the last value after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not wanted(value := await read()):
        assert asyncio.get_running_loop().time() < deadline, f"still {value!r} after {timeout:.0f} s"
        await asyncio.sleep(pause)
    return value
