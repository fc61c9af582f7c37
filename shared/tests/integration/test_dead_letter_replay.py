"""An SRE's replay writes a dead-lettered record to its consumer's own replay topic through the outbox, and the
consumer handles it afresh like one from its topic: a dead-lettered record's id is never left claimed in the inbox."""

import pytest
import sqlalchemy as sa

from orderdesk_shared.codec import encode
from orderdesk_shared.events.catalogue import REPLAY_SOURCE_TOPIC_HEADER, replay_topic
from orderdesk_shared.operations import AlreadyResolved, Resolution, resolve
from orderdesk_stack.testing import eventually, running

from .conftest import read_topic

pytestmark = pytest.mark.integration

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def _publish(producer, record, *, headers=None):
    await producer.send_and_wait(
        record.topic,
        value=record.value,
        key=record.key.encode(),
        headers=[(k, v.encode()) for k, v in (record.headers if headers is None else headers).items()],
        partition=0,
    )


async def _dead_letters(harness) -> list[sa.RowMapping]:
    table = harness.database.tables.dead_letters
    async with harness.database.engine.connect() as connection:
        return list((await connection.execute(sa.select(table).order_by(table.c.id))).mappings())


async def _claimed(harness, message_id: str) -> bool:
    inbox = harness.database.tables.inbox
    async with harness.database.engine.connect() as connection:
        found = await connection.execute(sa.select(inbox).where(inbox.c.message_id == message_id))
        return found.first() is not None


async def test_a_record_dead_lettered_while_broken_is_handled_when_replayed_after_the_fix(harness, producer):
    broken = True

    async def note_unless_broken(event, uow):
        if broken:
            raise RuntimeError("the notes service is misconfigured")
        await harness.record_note(event, uow)

    record = encode(harness.model(order_id="PO-1", order_version=1, text="noted at last"), source="test")
    await _publish(producer, record, headers=record.headers | {"traceparent": TRACEPARENT})
    consumer = harness.consumer_runtime(note_unless_broken)
    async with running(consumer.run(), harness.relay(producer).run()):
        [dead] = await eventually(lambda: _dead_letters(harness))
        assert dead["reason"] == "the notes service is misconfigured (3 attempts)"
        assert not await _claimed(harness, record.headers["ce_id"])

        broken = False
        replayed = await resolve(harness.database, dead["id"], Resolution.REPLAYED, by="sre-1", note="config fixed")
        assert replayed["resolution"]["action"] == "replayed"
        assert await eventually(harness.noted_texts) == ["noted at last"]

    [replay] = await read_topic(harness.kafka, replay_topic(harness.group), count=1)
    headers = {name: value.decode() for name, value in replay.headers}
    assert (replay.key.decode(), replay.value) == (record.key, record.value)
    assert (headers["ce_id"], headers["ce_type"]) == (record.headers["ce_id"], record.headers["ce_type"])
    assert headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1], "the replay stays in the order's trace"
    assert headers[REPLAY_SOURCE_TOPIC_HEADER] == record.topic
    with pytest.raises(AlreadyResolved, match="replayed by sre-1"):
        await resolve(harness.database, dead["id"], Resolution.DISCARDED, by="sre-2", note="")


async def test_a_replay_that_fails_again_is_dead_lettered_under_its_topic_and_once_handled_is_not_handled_twice(
    harness, producer
):
    broken = True

    async def note_unless_broken(event, uow):
        if broken:
            raise RuntimeError("still misconfigured")
        await harness.record_note(event, uow)

    async def dead_letters_when(count: int) -> list[sa.RowMapping]:
        found = await _dead_letters(harness)
        return found if len(found) == count else []

    record = encode(harness.model(order_id="PO-1", order_version=1, text="noted after two replays"), source="test")
    await _publish(producer, record)
    async with running(harness.consumer_runtime(note_unless_broken).run(), harness.relay(producer).run()):
        [dead] = await eventually(lambda: dead_letters_when(1))
        await resolve(harness.database, dead["id"], Resolution.REPLAYED, by="sre-1", note="too early")
        [_, again] = await eventually(lambda: dead_letters_when(2))
        assert (again["topic"], again["replay_topic"]) == (record.topic, replay_topic(harness.group))
        assert again["headers"]["ce_id"] == record.headers["ce_id"]
        assert again["resolution"] is None

        broken = False
        await resolve(harness.database, again["id"], Resolution.REPLAYED, by="sre-1", note="fixed now")
        assert await eventually(harness.noted_texts) == ["noted after two replays"]
        # A repeat of the same record on its topic is then dropped by the inbox; the record after it is handled.
        after = encode(harness.model(order_id="PO-1", order_version=2, text="the next one"), source="test")
        await _publish(producer, record)
        await _publish(producer, after)
        await eventually(lambda: _noted_at_least(harness, 2))
    assert await harness.noted_texts() == ["noted after two replays", "the next one"]
    assert len(await _dead_letters(harness)) == 2


async def _noted_at_least(harness, count: int) -> bool:
    return len(await harness.noted_texts()) >= count


async def test_an_unreadable_record_read_with_others_is_dead_lettered_unclaimed(harness, producer):
    good = encode(harness.model(order_id="PO-1", order_version=1, text="good"), source="test")
    unreadable = encode(harness.model(order_id="PO-2", order_version=1, text="?"), source="test")
    # Routed (its type has a handler) and with an id, yet no CloudEvent: it names no source.
    await _publish(producer, unreadable, headers={k: v for k, v in unreadable.headers.items() if k != "ce_source"})
    await _publish(producer, good)

    async with running(harness.consumer_runtime(harness.record_note).run()):
        await eventually(harness.noted_texts)
        [dead] = await _dead_letters(harness)
    assert dead["error_class"] == "InvalidEnvelope"
    assert not await _claimed(harness, unreadable.headers["ce_id"])
    assert await _claimed(harness, good.headers["ce_id"])
