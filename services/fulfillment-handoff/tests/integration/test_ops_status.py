"""Operations' reports on ops.order-status.v1: fulfillment state, fallout for failed installs, dead letters."""

import contextlib
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from fulfillment_handoff.handlers import follow_ops_status, hand_off
from fulfillment_handoff.repository import HandOffs
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from fulfillment_handoff.subscriptions import EMITS, HANDLERS
from orderdesk_shared.codec import encode
from orderdesk_shared.context import ServiceContext, bind
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.catalogue import dead_letter_topic
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.kafka_connection import KafkaConnection, idempotent_producer
from orderdesk_shared.relay import OutboxRelay
from orderdesk_stack.testing import eventually, running
from orderdesk_stack.testing_consumers import consumer_for_test

CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))

pytestmark = pytest.mark.integration

TOPIC = OpsOrderStatusChanged.topic


def ops(order_id: str, status: OpsStatus, **fields) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(order_id=order_id, order_version=1, status=status, **fields)


async def test_reports_from_operations_move_the_fulfillment_state_the_desk_sees(database, api, approved):
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-OPS", ("DIA-FIBER", "chicago")), uow, CONTEXT)

    async def report(status: OpsStatus, **fields) -> list[dict]:
        async with database.unit_of_work() as uow:
            await follow_ops_status(ops("PO-OPS", status, **fields), uow, CONTEXT)
            return [json.loads(record.value) for record in uow.emitted]

    async def fulfillment() -> tuple[dict, dict]:
        status = (await api.get("/fulfillment/orders/PO-OPS")).json()
        return status["fulfillment"], status["waitingFor"]

    today = datetime.now(UTC).date()
    assert await report(OpsStatus.ACCEPTED) == []
    assert (await fulfillment())[1] == {"who": "operations", "what": "schedule the installation"}
    await report(OpsStatus.SCHEDULED, effective_date=today + timedelta(days=14))
    assert (await fulfillment())[1] == {"who": "operations", "what": f"install on {today + timedelta(days=14)}"}

    [held] = await report(OpsStatus.FAILED, reason="customer's equipment room was locked")
    assert (held["kind"], held["stage"], held["findings"][0]["reasonCode"]) == (
        "held",
        "handed-off",
        "DOWNSTREAM_REJECT",
    )
    state, waiting = await fulfillment()
    assert (state["status"], state["failureReason"]) == ("failed", "customer's equipment room was locked")
    assert waiting["who"] == "sales desk"

    [released] = await report(OpsStatus.RESCHEDULED, effective_date=today)
    assert released["kind"] == "released"
    await report(OpsStatus.INSTALLED, effective_date=today)
    await report(OpsStatus.ACCEPTED)  # late news: recorded, changes nothing
    state, waiting = await fulfillment()
    assert (state["status"], state["installedOn"], waiting) == ("installed", today.isoformat(), None)
    [item] = state["items"]
    assert (item["itemId"], item["status"], item["effectiveDate"]) == ("1", "installed", today.isoformat())


async def test_a_report_about_an_order_never_handed_off_is_refused_for_good(database):
    async with database.unit_of_work() as uow:
        with pytest.raises(PermanentError, match="never handed off"):
            await follow_ops_status(ops("PO-NOBODY", OpsStatus.ACCEPTED), uow, CONTEXT)


async def test_a_report_from_kafka_breaking_the_date_rules_is_refused_for_good_with_the_reason(database, approved):
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-DATES", ("DIA-FIBER", "chicago")), uow, CONTEXT)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for report, reason in (
        (ops("PO-DATES", OpsStatus.INSTALLED, effective_date=tomorrow), f"installation on {tomorrow} is in the future"),
        (ops("PO-DATES", OpsStatus.CANCELLED), "no cancel was sent to Operations"),
    ):
        async with database.unit_of_work() as uow:
            with pytest.raises(PermanentError, match=reason):
                await follow_ops_status(report, uow, CONTEXT)
    assert await _ops_status(database, "PO-DATES") is None


async def test_bad_reports_are_dead_lettered_with_their_reason_and_the_partition_keeps_flowing(
    database, approved, kafka_admin
):
    order_id = f"PO-KAFKA-{secrets.token_hex(3)}"
    async with database.unit_of_work() as uow:
        await hand_off(approved(order_id, ("DIA-FIBER", "chicago")), uow, CONTEXT)
    # Every topic the service reads and the relay writes (the hand-off too, not only the dead letters).
    await _ensure_topics(kafka_admin, dead_letter_topic(TOPIC), *{model.topic for model in (*HANDLERS, *EMITS)})

    unknown = encode(ops(f"{order_id}-UNKNOWN", OpsStatus.ACCEPTED), source="operations")
    malformed = encode(ops(order_id, OpsStatus.ACCEPTED), source="operations")
    malformed_value = json.dumps({"orderId": order_id, "orderVersion": 1, "status": "lost"}).encode()
    good = encode(ops(order_id, OpsStatus.ACCEPTED), source="operations")
    producer = idempotent_producer(kafka_admin)
    await producer.start()
    consumer = consumer_for_test(
        database, kafka_admin, bind(HANDLERS, CONTEXT), group_id=f"fulfillment-handoff-{secrets.token_hex(3)}"
    )
    relay = OutboxRelay(database=database, producer=producer, batch_size=100, poll_seconds=0.5)
    try:
        async with running(consumer.run(), relay.run()):
            # One partition, bad records first: the good one behind them must still be handled.
            for record, value in ((unknown, unknown.value), (malformed, malformed_value), (good, good.value)):
                headers = [(name, text.encode()) for name, text in record.headers.items()]
                await producer.send_and_wait(TOPIC, value, key=record.key.encode(), headers=headers, partition=0)
            dead = await _records_with_keys(kafka_admin, dead_letter_topic(TOPIC), {unknown.key, order_id}, count=2)
            status = await eventually(
                lambda: _ops_status(database, order_id),
                lambda seen: seen is not None,
                what="the good report behind the bad ones to be handled",
                timeout=30,
            )
    finally:
        await producer.stop()

    reasons = {record.key.decode(): dict((k, v.decode()) for k, v in record.headers) for record in dead}
    assert "was never handed off" in reasons[unknown.key]["dlt-reason"]
    assert reasons[order_id]["dlt-error-class"] == "ValidationError"
    assert "status" in reasons[order_id]["dlt-reason"]
    assert status == "accepted"


async def _ops_status(database, order_id: str) -> str | None:
    async with database.engine.connect() as connection:
        return (await HandOffs(connection).get(order_id)).ops_status


async def _ensure_topics(kafka: KafkaConnection, *topics: str) -> None:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        for topic in topics:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


async def _records_with_keys(kafka: KafkaConnection, topic: str, keys: set[str], *, count: int, timeout: float = 60.0):
    reader = AIOKafkaConsumer(topic, **kafka.client_options(), auto_offset_reset="earliest")
    await reader.start()
    found = []

    async def read_on() -> list:
        for records in (await reader.getmany(timeout_ms=500)).values():
            found.extend(record for record in records if record.key and record.key.decode() in keys)
        return found

    try:
        return await eventually(
            read_on, lambda found: len(found) >= count, what=f"{count} records on {topic}", timeout=timeout, pause=0
        )
    finally:
        await reader.stop()
