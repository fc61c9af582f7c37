"""Dead-lettering: a record no attempt could handle is kept, with why, in the service's dead letters (an SRE may
replay it), and the consumer goes on past it. A replayed record is kept under its event's own topic."""

from aiokafka import ConsumerRecord

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.catalogue import REPLAY_SOURCE_TOPIC_HEADER
from orderdesk_shared.logs import get_logger

log = get_logger(__name__)


def source_topic(record: ConsumerRecord, replay_topic: str | None) -> str:
    """The topic of the record's event: its own, or for a replay, the one its header names (the replay topic is
    written by this service alone)."""
    if record.topic != replay_topic:
        return record.topic
    for name, value in record.headers or ():
        if name == REPLAY_SOURCE_TOPIC_HEADER:
            return value.decode(errors="replace")
    return record.topic


async def dead_letter(
    uow: UnitOfWork,
    record: ConsumerRecord,
    *,
    consumer: str,
    replay_topic: str | None,
    error_class: str,
    reason: str,
) -> str:
    topic = source_topic(record, replay_topic)
    kept = await uow.dead_letter(
        consumer=consumer,
        topic=topic,
        replay_topic=record.topic if topic != record.topic else None,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key is not None else None,
        headers={name: value.decode(errors="replace") for name, value in record.headers or ()},
        payload=record.value or b"",
        error_class=error_class,
        reason=reason,
    )
    if kept:
        log.warning(
            "record dead-lettered",
            topic=topic,
            read_from=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=error_class,
            reason=reason,
        )
    return "dead_lettered"
