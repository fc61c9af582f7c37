"""The consumer runtime: exactly-once effects, dead letters that keep the partition flowing,
transient failures retried without committing, and restarts that lose nothing."""

import asyncio
import secrets
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition

from orderdesk_shared.codec import encode
from orderdesk_shared.errors import TransientError
from orderdesk_shared.telemetry import ORDER_ID, ORDER_VERSION
from orderdesk_stack.testing import eventually, running

from .conftest import Harness, read_topic

pytestmark = pytest.mark.integration


async def _publish(producer, record, *, headers=None, value=None, partition=0):
    await producer.send_and_wait(
        record.topic,
        value=record.value if value is None else value,
        key=record.key.encode(),
        headers=[(k, v.encode()) for k, v in (record.headers if headers is None else headers).items()],
        partition=partition,
    )


@dataclass
class FailsFirst:
    """A handler that raises `error` on its first `failures_left` calls, then notes the event."""

    harness: Harness
    failures_left: int
    error: Exception

    async def __call__(self, event, uow) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise self.error
        await self.harness.record_note(event, uow)


async def test_a_redelivered_event_has_its_effect_once(harness, producer):
    record = encode(harness.model(order_id="PO-1", order_version=1, text="once"), source="test")
    await _publish(producer, record)
    await _publish(producer, record)  # the same ce_id again, as a relay retry would send it

    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(harness.noted_texts)
        await asyncio.sleep(1.5)
    assert await harness.noted_texts() == ["once"]


async def test_a_poison_record_is_dead_lettered_and_the_partition_keeps_flowing(harness, producer):
    before = encode(harness.model(order_id="PO-1", order_version=1, text="before"), source="test")
    invalid = encode(harness.model(order_id="PO-1", order_version=2, text="x"), source="test")
    after = encode(harness.model(order_id="PO-1", order_version=3, text="after"), source="test")
    await _publish(producer, before)
    await _publish(producer, invalid, value=b'{"orderId": "PO-1", "orderVersion": "not a number"}')
    await _publish(producer, after)

    async with running(harness.consumer_runtime(harness.record_note).run(), harness.relay(producer).run()):
        await eventually(lambda: _equals(harness.noted_texts(), ["before", "after"]))
        [dead] = await read_topic(harness.kafka, harness.model.topic + ".dlt", count=1)

    assert await harness.count(harness.database.tables.dead_letters) == 1
    headers = {name: value.decode() for name, value in dead.headers}
    assert headers["dlt-error-class"] == "ValidationError"
    assert "orderVersion" in headers["dlt-reason"]
    assert headers["ce_id"] == invalid.headers["ce_id"]
    assert dead.value == b'{"orderId": "PO-1", "orderVersion": "not a number"}'


async def test_a_record_that_is_not_a_cloudevent_is_dead_lettered(harness, producer):
    await producer.send_and_wait(harness.model.topic, value=b"\xff\xfe garbage", key=b"PO-1", partition=0)
    good = encode(harness.model(order_id="PO-1", order_version=1, text="good"), source="test")
    await _publish(producer, good)

    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(harness.noted_texts)
    assert await harness.count(harness.database.tables.dead_letters) == 1


async def test_an_event_type_nobody_handles_is_skipped(harness, producer):
    unknown = encode(harness.model(order_id="PO-1", order_version=1, text="?"), source="test")
    await _publish(producer, unknown, headers=unknown.headers | {"ce_type": "com.example.unknown.v1"})
    known = encode(harness.model(order_id="PO-1", order_version=2, text="known"), source="test")
    await _publish(producer, known)

    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(harness.noted_texts)
    assert await harness.noted_texts() == ["known"]
    assert await harness.count(harness.database.tables.dead_letters) == 0


async def test_a_transient_failure_is_retried_and_the_offset_waits_for_success(harness, producer):
    # More failures than one batch's retry attempts: the partition must pause, then resume.
    flaky = FailsFirst(harness, failures_left=4, error=TransientError("billing system timed out"))

    await _publish(producer, encode(harness.model(order_id="PO-1", order_version=1, text="eventually"), source="test"))
    async with running(harness.consumer_runtime(flaky, attempts=2).run()):
        await eventually(harness.noted_texts)
    assert flaky.failures_left == 0
    assert await harness.noted_texts() == ["eventually"]
    assert await _committed(harness, TopicPartition(harness.model.topic, 0)) == 1


async def test_a_restarted_consumer_resumes_where_it_committed_without_loss(harness, producer):
    first_half = [
        encode(harness.model(order_id=f"PO-{n}", order_version=1, text=f"n{n}"), source="test") for n in range(10)
    ]
    second_half = [
        encode(harness.model(order_id=f"PO-{n}", order_version=1, text=f"n{n}"), source="test") for n in range(10, 20)
    ]
    for record in first_half:
        await _publish(producer, record, partition=hash(record.key) % 3)
    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(lambda: _length_at_least(harness.noted_texts(), 10))

    for record in second_half:
        await _publish(producer, record, partition=hash(record.key) % 3)
    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(lambda: _length_at_least(harness.noted_texts(), 20))
        await asyncio.sleep(1.0)

    assert sorted(await harness.noted_texts()) == sorted(f"n{n}" for n in range(20))


async def test_two_members_share_the_partitions_and_handle_each_event_once(harness, producer):
    records = [
        encode(harness.model(order_id=f"PO-{n}", order_version=1, text=f"m{n}"), source="test") for n in range(60)
    ]
    async with running(harness.consumer_runtime(harness.record_note).run()):
        for record in records[:30]:
            await _publish(producer, record, partition=int(record.key.split("-")[1]) % 3)
        async with running(harness.consumer_runtime(harness.record_note).run()):
            for record in records[30:]:
                await _publish(producer, record, partition=int(record.key.split("-")[1]) % 3)
            await eventually(lambda: _length_at_least(harness.noted_texts(), 60))
            await asyncio.sleep(1.0)
    assert sorted(await harness.noted_texts()) == sorted(f"m{n}" for n in range(60))


async def _committed(harness, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(**harness.kafka.client_options(), group_id=harness.group, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.committed(tp)
    finally:
        await consumer.stop()


async def _equals_sorted(awaitable, expected):
    return sorted(await awaitable) == sorted(expected)


async def _equals(awaitable, expected):
    return await awaitable == expected


async def _length_at_least(awaitable, n):
    return len(await awaitable) >= n


async def test_work_the_handlers_of_a_poll_hand_on_runs_once_for_all_its_partitions_before_commit(harness, producer):
    batch_sizes: list[int] = []

    async def write_notes(uow, handed) -> None:
        batch_sizes.append(len(handed))
        rows = [{"order_id": item.item.order_id, "text": item.item.text} for item in handed]
        await uow.connection.execute(sa.insert(harness.notes), rows)

    async def note_later(event, uow) -> None:
        uow.before_commit(write_notes, event)

    texts = [f"n{number}" for number in range(9)]
    for number, text in enumerate(texts):
        note = harness.model(order_id=f"PO-{number}", order_version=1, text=text)
        await _publish(producer, encode(note, source="test"), partition=number % 3)

    async with running(harness.consumer_runtime(note_later).run()):
        await eventually(lambda: _equals_sorted(harness.noted_texts(), texts))
    assert sum(batch_sizes) == len(texts)
    assert max(batch_sizes) > 3, "records one poll read from several partitions share the work"


async def test_when_shared_work_fails_for_good_only_the_record_that_caused_it_is_dead_lettered(harness, producer):
    async def write_notes(uow, handed) -> None:
        if any(item.item.text == "poison" for item in handed):
            raise ValueError("a note may not say poison")
        await uow.connection.execute(
            sa.insert(harness.notes), [{"order_id": item.item.order_id, "text": item.item.text} for item in handed]
        )

    async def note_later(event, uow) -> None:
        uow.before_commit(write_notes, event)

    for version, text in enumerate(["before", "poison", "after"], start=1):
        await _publish(
            producer, encode(harness.model(order_id="PO-1", order_version=version, text=text), source="test")
        )

    async with running(harness.consumer_runtime(note_later).run(), harness.relay(producer).run()):
        await eventually(lambda: _equals(harness.noted_texts(), ["before", "after"]))
        [dead] = await read_topic(harness.kafka, harness.model.topic + ".dlt", count=1)
    headers = {name: value.decode() for name, value in dead.headers}
    assert headers["dlt-reason"] == "a note may not say poison (3 attempts)"
    assert headers["dlt-error-class"] == "ValueError"
    assert await harness.count(harness.database.tables.dead_letters) == 1


async def test_a_slow_record_is_dead_lettered_after_its_attempts_and_its_partition_flows_on(harness, producer):
    async def note_unless_slow(event, uow) -> None:
        if event.text == "slow":
            await asyncio.sleep(60)
        await harness.record_note(event, uow)

    texts = ["before", "slow", *(f"after {n}" for n in range(20))]
    for version, text in enumerate(texts, start=1):
        await _publish(
            producer, encode(harness.model(order_id="PO-1", order_version=version, text=text), source="test")
        )

    consumer = harness.consumer_runtime(note_unless_slow, handler_timeout=1.0)
    async with running(consumer.run(), harness.relay(producer).run()):
        await eventually(lambda: _equals(harness.noted_texts(), [text for text in texts if text != "slow"]), timeout=60)
        [dead] = await read_topic(harness.kafka, harness.model.topic + ".dlt", count=1)
        # Offsets are committed behind the polls, at most once a second.
        await eventually(lambda: _equals(_committed(harness, TopicPartition(harness.model.topic, 0)), len(texts)))
    headers = {name: value.decode() for name, value in dead.headers}
    assert headers["dlt-reason"] == "handler timed out after 1 s (3 attempts)"
    assert headers["dlt-error-class"] == "HandlerTimeout"


async def test_a_record_that_fails_fewer_times_than_its_attempts_is_handled(harness, producer):
    fails_twice = FailsFirst(harness, failures_left=2, error=KeyError("site"))
    await _publish(producer, encode(harness.model(order_id="PO-1", order_version=1, text="third time"), source="test"))
    async with running(harness.consumer_runtime(fails_twice).run()):
        await eventually(harness.noted_texts)
    assert await harness.noted_texts() == ["third time"]
    assert await harness.count(harness.database.tables.dead_letters) == 0


async def test_a_stopped_consumer_finishes_and_commits_the_batch_in_hand(harness, producer):
    started = asyncio.Event()

    async def note_slowly(event, uow) -> None:
        started.set()
        await asyncio.sleep(0.2)
        await harness.record_note(event, uow)

    for n in range(5):
        await _publish(producer, encode(harness.model(order_id="PO-1", order_version=n, text=f"n{n}"), source="test"))
    consumer = harness.consumer_runtime(note_slowly)
    running_consumer = asyncio.create_task(consumer.run())
    await asyncio.wait_for(started.wait(), timeout=30)
    consumer.stop()
    await asyncio.wait_for(running_consumer, timeout=30)

    assert await harness.noted_texts() == [f"n{n}" for n in range(5)]
    assert await _committed(harness, TopicPartition(harness.model.topic, 0)) == 5


async def test_while_a_slow_record_is_retried_the_other_partitions_flow(harness, producer):
    slow_attempts = 0

    async def note_unless_slow(event, uow) -> None:
        nonlocal slow_attempts
        if event.text == "slow":
            slow_attempts += 1
            await asyncio.sleep(60)
        await harness.record_note(event, uow)

    await _publish(producer, encode(harness.model(order_id="PO-1", order_version=1, text="slow"), source="test"))
    consumer = harness.consumer_runtime(note_unless_slow, handler_timeout=3.0)
    async with running(consumer.run()):
        await eventually(lambda: _at_least(lambda: slow_attempts, 2), timeout=60)
        others = [f"other {n}" for n in range(5)]
        for text in others:
            await _publish(
                producer, encode(harness.model(order_id="PO-2", order_version=1, text=text), source="test"), partition=1
            )
        await eventually(lambda: _equals(harness.noted_texts(), others), timeout=60)
        assert await harness.count(harness.database.tables.dead_letters) == 0, "the slow record was still being tried"
        await eventually(lambda: harness.count(harness.database.tables.dead_letters), timeout=60)


async def _at_least(read, n):
    return read() >= n


async def test_the_first_trace_an_order_is_handled_in_is_kept_and_named_on_the_process_span(
    harness, producer, recorded_spans
):
    first, later = secrets.token_hex(16), secrets.token_hex(16)
    for trace_id, version in ((first, 1), (later, 2)):
        record = encode(harness.model(order_id="PO-T", order_version=version, text=f"v{version}"), source="test")
        await _publish(producer, record, headers=record.headers | {"traceparent": f"00-{trace_id}-{'1' * 16}-01"})

    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(lambda: _equals(harness.noted_texts(), ["v1", "v2"]))

    order_traces = harness.database.tables.order_traces
    async with harness.database.engine.connect() as connection:
        kept = (await connection.execute(sa.select(order_traces.c.order_id, order_traces.c.traceparent))).all()
    assert kept == [("PO-T", f"00-{first}-{'1' * 16}-01")]
    processed = [span for span in recorded_spans.get_finished_spans() if span.name == f"{harness.model.topic} process"]
    assert {(span.attributes[ORDER_ID], span.attributes[ORDER_VERSION]) for span in processed} == {
        ("PO-T", 1),
        ("PO-T", 2),
    }
    assert {span.attributes["messaging.operation.type"] for span in processed} == {"process"}
