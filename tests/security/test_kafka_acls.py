"""Kafka as an attacker on the network finds it: no login, no way in; a principal writes and reads only its own.

The stack's broker takes SASL/SCRAM-SHA-512 logins only and refuses whatever no ACL allows (kafka_access.py).
"""

import secrets

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from orderdesk_shared.events.catalogue import replay_topic
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.stack import Stack

pytestmark = pytest.mark.e2e


def _forged(order_id: str, event_type: str) -> dict:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": secrets.token_hex(8),
        "ce_type": event_type,
        "ce_source": "pricing-approval",
        "content-type": "application/json",
    }
    return {
        "value": b'{"orderId": "' + order_id.encode() + b'", "orderVersion": 1}',
        "key": order_id.encode(),
        "headers": [(name, value.encode()) for name, value in headers.items()],
    }


async def _keys_on(kafka: KafkaConnection, topic: str) -> set[bytes]:
    """Every key on `topic` up to its current end, read as `kafka`'s login (without a group)."""
    reader = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest", enable_auto_commit=False)
    await reader.start()
    keys: set[bytes] = set()

    async def read() -> None:
        for records in (await reader.getmany(timeout_ms=200)).values():
            keys.update(record.key for record in records)

    try:
        while not (partitions := reader.assignment()):  # no group: every partition, once the metadata is in
            await read()
        ends = await reader.end_offsets(partitions)
        while any([await reader.position(tp) < ends[tp] for tp in partitions]):
            await read()
        return keys
    finally:
        await reader.stop()


async def test_a_producer_without_credentials_cannot_even_connect(stack: Stack) -> None:
    anonymous = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, request_timeout_ms=10_000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.stop()

    # The same address answers a client that logs in.
    producer = AIOKafkaProducer(**stack.kafka_connection_for("intake").client_options())
    await producer.start()
    await producer.stop()


async def test_the_controller_port_takes_no_client_either(stack: Stack) -> None:
    if stack.kafka is None:
        pytest.skip("an external Kafka's controllers are its platform's")
    controller = f"127.0.0.1:{stack.kafka_controller_port}"
    anonymous = AIOKafkaAdminClient(bootstrap_servers=controller, request_timeout_ms=10_000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.close()


async def test_a_wrong_password_is_refused(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    intake = stack.kafka_connection_for("intake")
    producer = AIOKafkaProducer(**intake.as_login("intake", "not-intakes-password").client_options())
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    assert "SaslAuthenticationFailed" in caplog.text
    assert "invalid credentials" in caplog.text


@pytest.mark.parametrize(
    ("principal", "forged"),
    [
        ("intake", OrderApproved),
        ("intake", OrderRatified),
        ("crm", OrderApproved),
        ("operations", OrderRatified),
    ],
    ids=lambda value: value if isinstance(value, str) else value.topic,
)
async def test_a_principal_cannot_write_another_services_topic_and_nothing_lands(
    stack: Stack, principal: str, forged
) -> None:
    order_id = f"PO-FORGED-{secrets.token_hex(4)}"
    producer = AIOKafkaProducer(**stack.kafka_connection_for(principal).client_options(), acks="all")
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(forged.topic, **_forged(order_id, forged.event_type))
    finally:
        await producer.stop()
    assert order_id.encode() not in await _keys_on(stack.kafka_admin, forged.topic)


@pytest.mark.parametrize(
    ("principal", "group", "topic"),
    [
        ("intake", "intake", CommissionAdjusted.topic),
        ("crm", None, OrderHandedOff.topic),
        ("operations", "operations-work-orders", OrderApproved.topic),
    ],
)
async def test_a_principal_cannot_read_a_topic_it_does_not_consume(
    stack: Stack, principal: str, group: str | None, topic: str
) -> None:
    reader = AIOKafkaConsumer(
        topic,
        **stack.kafka_connection_for(principal).client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    with pytest.raises(TopicAuthorizationFailedError):
        await reader.start()
    await reader.stop()


async def test_a_service_cannot_join_another_services_consumer_group(stack: Stack) -> None:
    """Joining commission's group would take its partitions and commit offsets past records it never handled."""
    reader = AIOKafkaConsumer(
        OrderHandedOff.topic,  # intake reads this topic too, but in its own group
        **stack.kafka_connection_for("intake").client_options(),
        group_id="commission",
        enable_auto_commit=False,
    )
    with pytest.raises(GroupAuthorizationFailedError):
        await reader.start()
    await reader.stop()


async def test_only_a_service_itself_writes_and_reads_its_replay_topic(stack: Stack) -> None:
    """An SRE's replay goes onto the service's own replay topic; another service can neither forge nor read one."""
    replays = replay_topic("serviceability")
    order_id = f"PO-FORGED-{secrets.token_hex(4)}"
    intake = AIOKafkaProducer(**stack.kafka_connection_for("intake").client_options(), acks="all")
    await intake.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await intake.send_and_wait(replays, **_forged(order_id, OrderApproved.event_type))
    finally:
        await intake.stop()
    reader = AIOKafkaConsumer(replays, **stack.kafka_connection_for("intake").client_options(), group_id="intake")
    with pytest.raises(TopicAuthorizationFailedError):
        await reader.start()
    await reader.stop()

    # Serviceability's own login may write it (a type it does not handle: its consumer skips it) and read it.
    owner = AIOKafkaProducer(**stack.kafka_connection_for("serviceability").client_options(), acks="all")
    await owner.start()
    try:
        await owner.send_and_wait(replays, **_forged(order_id, OrderApproved.event_type))
    finally:
        await owner.stop()
    assert order_id.encode() in await _keys_on(stack.kafka_connection_for("serviceability"), replays)
