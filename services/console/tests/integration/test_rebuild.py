"""The timeline read model from real topics: the live consumer's rows, and a rebuild from the start giving the same."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from console import repository
from console.bootstrap import bootstrap
from console.rebuild import rebuild
from console.settings import Settings
from orderdesk_shared.codec import encode
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.testing import eventually
from orderdesk_stack.topics import catalogue_topics, create_topics

pytestmark = pytest.mark.integration

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def _publish(kafka: KafkaConnection, events) -> None:
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all")
    await producer.start()
    try:
        for event in events:
            record = encode(event, source="test")
            headers = [
                (name, value.encode()) for name, value in (record.headers | {"traceparent": TRACEPARENT}).items()
            ]
            await producer.send_and_wait(record.topic, record.value, key=record.key.encode(), headers=headers)
    finally:
        await producer.stop()


async def _read_model(database, order_ids):
    async with database.engine.connect() as connection:
        return {
            order_id: (
                await repository.Orders(connection).get(order_id),
                await repository.Timelines(connection).of_order(order_id),
            )
            for order_id in order_ids
        }


async def test_rebuilding_from_the_topics_gives_the_rows_and_timelines_the_live_consumer_made(
    service_database, kafka_admin, journeys
):
    settings = Settings(database_url=await service_database("console"), **kafka_admin.settings_fields())
    await create_topics(kafka_admin, dict.fromkeys(catalogue_topics(), 2))
    done, rejected, corrected = (f"PO-{uuid.uuid4().hex[:8]}" for _ in range(3))
    received = journeys.every_stage(corrected)[0]
    await _publish(
        kafka_admin,
        [
            *journeys.every_stage(done),
            *journeys.every_stage(rejected)[:1],
            journeys.rejection(rejected),
            received,
            journeys.rejection(corrected),
            *journeys.every_stage(corrected, version=2)[:4],
        ],
    )

    runtime = bootstrap(settings)
    consuming = asyncio.create_task(runtime.consumer.run())
    try:
        live = await eventually(
            lambda: _read_model(runtime.database, [done, rejected, corrected]),
            lambda seen: [len(lines) for _, lines in seen.values()] == [7, 2, 6],
            what="every stage line of the three orders in the read model",
        )
    finally:
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)

    assert live[rejected][0]["state"] == "rejected" and live[rejected][0]["blocker"] == "splits add up to 90"
    assert (live[corrected][0]["order_version"], live[corrected][0]["assignee"]) == (2, "sales_director")
    done_row, done_timeline = live[done]
    assert [line.kind for line in done_timeline] == [
        "received",
        "validated",
        "qualified",
        "priced",
        "approved",
        "handed-off",
        "ratified",
    ]
    assert done_row["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"

    kept = await rebuild(settings)
    assert kept >= len(journeys.every_stage()) + 2 + 6
    assert await _read_model(runtime.database, [done, rejected, corrected]) == live
    await runtime.database.dispose()
