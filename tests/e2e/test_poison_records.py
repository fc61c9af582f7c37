"""A malformed record on a live topic is dead-lettered with its reason; orders keep flowing past it."""

import asyncio
import secrets

import pytest
from aiokafka import AIOKafkaProducer

from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from tests.conftest import bearer, records_for

pytestmark = pytest.mark.e2e


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_partition_keeps_flowing(stack, intake):
    order_id = f"PO-POISON-{secrets.token_hex(4).upper()}"
    poison = b'{"orderId": "' + order_id.encode() + b'", "orderVersion": 1, "order": {"items": "not a list"}}'
    headers = {
        "ce_specversion": "1.0",
        "ce_id": secrets.token_hex(8),
        "ce_type": OrderValidated.event_type,
        "ce_source": "a-misbehaving-producer",
        "content-type": "application/json",
    }
    # A bug in intake, the topic's owner: the only principal allowed to write it.
    producer = AIOKafkaProducer(**stack.kafka_connection_for("intake").client_options())
    await producer.start()
    try:
        await producer.send_and_wait(
            OrderValidated.topic, poison, key=order_id.encode(), headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()

    [body] = [order.body for order in generate_orders(1, seed=77, invalid_share=0.0)]
    rep = bearer(stack, "rep-009", Role.SALES_REP)
    created = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()

    # Each service reading the topic keeps the record with its own reason: serviceability and the console.
    dead = await records_for(stack.kafka_admin, OrderValidated.topic + ".dlt", order_id, count=2)
    reasons = [{name: value.decode() for name, value in record.headers} for record in dead]
    assert sorted(reason["dlt-consumer"] for reason in reasons) == ["console", "serviceability"]
    assert {reason["dlt-error-class"] for reason in reasons} == {"ValidationError"}
    assert all("order.items" in reason["dlt-reason"] for reason in reasons)
    assert {record.value for record in dead} == {poison}

    deadline = asyncio.get_running_loop().time() + 60
    while (await intake.get(f"{PRODUCT_ORDER_PATH}/{created['id']}", headers=rep)).json()["stage"] != "ratified":
        assert asyncio.get_running_loop().time() < deadline, "the order after the poison record did not get through"
        await asyncio.sleep(0.3)
