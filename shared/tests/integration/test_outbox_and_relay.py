"""The outbox commits with the state change, and the relay publishes it in commit order."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from orderdesk_shared.db import PURGE_BATCH_ROWS, Retention, purge_expired
from orderdesk_shared.relay import OutboxRelay
from orderdesk_shared.telemetry import ORDER_ID, ORDER_VERSION, order_step
from orderdesk_stack.testing import eventually, running

from .conftest import read_topic

pytestmark = pytest.mark.integration


async def test_events_reach_the_outbox_only_if_the_transaction_commits(harness):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with harness.database.unit_of_work() as uow:
            await harness.record_note(harness.model(order_id="PO-1", order_version=1, text="lost"), uow)
            uow.emit(harness.model(order_id="PO-1", order_version=1, text="lost"))
            raise Boom
    async with harness.database.unit_of_work() as uow:
        await harness.record_note(harness.model(order_id="PO-2", order_version=1, text="kept"), uow)
        uow.emit(harness.model(order_id="PO-2", order_version=1, text="kept"))

    outbox = harness.database.tables.outbox
    async with harness.database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox.c.aggregate_id, outbox.c.topic, outbox.c.published_at))).all()
    assert rows == [("PO-2", harness.model.topic, None)]
    assert await harness.noted_texts() == ["kept"]


async def test_the_relay_publishes_every_row_in_commit_order_and_marks_it(harness, producer):
    for n in range(30):
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-7", order_version=n, text=f"note {n}"))

    async with running(harness.relay(producer).run()):
        records = await read_topic(harness.kafka, harness.model.topic, count=30)
        outbox = harness.database.tables.outbox

        async def all_marked():
            async with harness.database.engine.connect() as connection:
                return (
                    await connection.execute(sa.select(sa.func.count()).where(outbox.c.published_at.is_(None)))
                ).scalar_one() == 0

        await eventually(all_marked)

    assert [harness.model.model_validate_json(r.value).order_version for r in records] == list(range(30))
    headers = dict(records[0].headers)
    assert headers["ce_type"] == harness.model.event_type.encode()
    assert headers["ce_subject"] == b"PO-7"
    assert records[0].key == b"PO-7"


async def test_the_relay_carries_the_emitting_trace_into_the_record(harness, producer):
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("submit order") as span:
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-9", order_version=1, text="traced"))
        trace_id = format(span.get_span_context().trace_id, "032x")

    async with running(harness.relay(producer).run()):
        [record] = await read_topic(harness.kafka, harness.model.topic, count=1)

    traceparent = dict(record.headers)["traceparent"].decode()
    assert traceparent.split("-")[1] == trace_id


async def test_only_one_relay_publishes_at_a_time(harness, producer):
    first, second = harness.relay(producer), harness.relay(producer)
    async with running(first.run(), second.run()):
        await eventually(lambda: _async(first.is_leader or second.is_leader))
        assert not (first.is_leader and second.is_leader)


async def _async(value):
    return value


async def test_the_relay_deletes_published_rows_after_their_retention(harness, producer):
    for n in range(3):
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-8", order_version=n, text=f"note {n}"))
    relay = OutboxRelay(
        database=harness.database,
        producer=producer,
        batch_size=100,
        poll_seconds=0.2,
        retention=Retention(published_outbox=timedelta(0)),
    )

    async with running(relay.run()):
        await eventually(lambda: _equals(harness.count(harness.database.tables.outbox), 0))
    assert len(await read_topic(harness.kafka, harness.model.topic, count=3)) == 3


async def _equals(awaitable, expected):
    return await awaitable == expected


async def test_a_row_kafka_can_never_take_is_dead_lettered_and_the_rows_behind_it_are_published(harness, producer):
    async with harness.database.unit_of_work() as uow:
        uow.emit(harness.model(order_id="PO-11", order_version=1, text="before"))
    async with harness.database.unit_of_work() as uow:
        uow.emit(harness.model(order_id="PO-12", order_version=1, text="x" * 1_200_000))
    async with harness.database.unit_of_work() as uow:
        uow.emit(harness.model(order_id="PO-13", order_version=1, text="after"))

    relay = harness.relay(producer)
    async with running(relay.run()):
        records = await read_topic(harness.kafka, harness.model.topic, count=2)
        outbox, dead_letters = harness.database.tables.outbox, harness.database.tables.dead_letters

        async def dead_lettered():
            async with harness.database.engine.connect() as connection:
                return (
                    await connection.execute(
                        sa.select(dead_letters.c.key, dead_letters.c.error_class, dead_letters.c.reason)
                    )
                ).all()

        [(key, error_class, reason)] = await eventually(dead_lettered)

        async def unpublished():
            async with harness.database.engine.connect() as connection:
                return (
                    await connection.execute(sa.select(outbox.c.aggregate_id).where(outbox.c.published_at.is_(None)))
                ).all()

        # The relay marks what Kafka took with its next read: the rows behind the refused one, as it runs.
        await eventually(unpublished, lambda left: left == [], what="no row left unpublished")
        assert relay.last_error is None

    # Two orders, two keys: their records may sit on different partitions, read in either order.
    assert sorted(record.key for record in records) == [b"PO-11", b"PO-13"]
    assert (key, error_class) == ("PO-12", "MessageSizeTooLargeError")
    assert reason.startswith("unpublishable:") and "xxxx" not in reason


async def test_a_row_the_broker_refuses_after_the_producer_took_it_is_dead_lettered_too(harness, kafka_admin):
    """A producer allowed larger requests than the broker takes: the refusal comes back on the delivery."""
    lenient = AIOKafkaProducer(
        **kafka_admin.client_options(), acks="all", enable_idempotence=True, max_request_size=4 * 1024 * 1024
    )
    await lenient.start()
    try:
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-21", order_version=1, text="x" * 2_000_000))
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-22", order_version=1, text="after"))

        async with running(harness.relay(lenient).run()):
            [record] = await read_topic(harness.kafka, harness.model.topic, count=1)
            dead_letters = harness.database.tables.dead_letters

            async def dead_lettered():
                async with harness.database.engine.connect() as connection:
                    return (await connection.execute(sa.select(dead_letters.c.key, dead_letters.c.error_class))).all()

            [(key, error_class)] = await eventually(dead_lettered)
    finally:
        await lenient.stop()

    assert record.key == b"PO-22"
    assert key == "PO-21"
    assert error_class in ("MessageSizeTooLargeError", "RecordListTooLargeError")


async def test_a_purge_deletes_inbox_and_dead_letter_rows_past_their_retention_batch_by_batch(harness):
    tables = harness.database.tables
    aged = PURGE_BATCH_ROWS * 2 + 7
    async with harness.database.engine.begin() as connection:
        await connection.execute(
            sa.insert(tables.inbox),
            [{"consumer": "notes", "message_id": f"old-{n}", "received_at": _days_ago(20)} for n in range(aged)]
            + [{"consumer": "notes", "message_id": "recent", "received_at": _days_ago(1)}],
        )
        await connection.execute(
            sa.insert(tables.dead_letters),
            [harness.dead_letter(offset, created_at=_days_ago(days)) for offset, days in enumerate((40, 2))],
        )
    retention = Retention(inbox=timedelta(days=15), dead_letters=timedelta(days=30))

    async with harness.database.engine.connect() as connection:
        first = await purge_expired(connection, tables, retention, max_batches=1)
        rest = await purge_expired(connection, tables, retention)

    assert first == {"outbox": 0, "inbox": PURGE_BATCH_ROWS, "dead_letters": 1}
    assert rest == {"outbox": 0, "inbox": aged - PURGE_BATCH_ROWS, "dead_letters": 0}
    async with harness.database.engine.connect() as connection:
        assert (await connection.execute(sa.select(tables.inbox.c.message_id))).scalars().all() == ["recent"]
        assert (await connection.execute(sa.select(tables.dead_letters.c.offset))).scalars().all() == [1]


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_a_later_step_on_an_order_emits_in_the_trace_the_order_was_first_emitted_in(
    harness, producer, recorded_spans
):
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("submit order") as submitted:
        async with harness.database.unit_of_work() as uow:
            uow.emit(harness.model(order_id="PO-21", order_version=1, text="submitted"))
    with tracer.start_as_current_span("approve discount request", kind=trace.SpanKind.SERVER) as request:
        async with harness.database.unit_of_work() as uow, order_step(uow, "PO-21", "approve discount", version=1):
            uow.emit(harness.model(order_id="PO-21", order_version=1, text="approved"))

    async with running(harness.relay(producer).run()):
        records = await read_topic(harness.kafka, harness.model.topic, count=2)

    order_trace = format(submitted.get_span_context().trace_id, "032x")
    assert [dict(record.headers)["traceparent"].decode().split("-")[1] for record in records] == [order_trace] * 2
    assert order_trace != format(request.get_span_context().trace_id, "032x")
    published = [span for span in recorded_spans.get_finished_spans() if span.name == f"{harness.model.topic} publish"]
    assert {(span.attributes[ORDER_ID], span.attributes[ORDER_VERSION]) for span in published} == {("PO-21", 1)}
    assert {span.attributes["messaging.operation.type"] for span in published} == {"send"}
    placed = {(span.attributes["messaging.destination.partition.id"], span.attributes["messaging.kafka.offset"])
              for span in published}  # fmt: skip
    assert placed == {(str(record.partition), record.offset) for record in records}
