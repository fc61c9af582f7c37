"""What every topic shows, read once from offset 0 as the Kafka admin: effects published twice, stages that went
backwards, and dead letters on the `.dlt` topics."""

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer

from orderdesk_shared.events.catalogue import DEAD_LETTER_SUFFIX, REPLAY_SUFFIX
from orderdesk_shared.events.order import Stage
from orderdesk_shared.kafka_connection import KafkaConnection, topic_partitions
from orderdesk_stack.invariants.dead_letters import ReadAt, dead_letter_reason
from orderdesk_stack.invariants.rules import ONCE, STAGE_OF_TYPE, effect_named
from orderdesk_stack.topics import catalogue_topics

_VERSION = re.compile(rb'"orderVersion":(\d+)')
_FIELD = {"orderVersion": _VERSION, "ledgerEntry": re.compile(rb'"ledgerEntry":"((?:[^"\\]|\\.)*)"')}
_FETCH = {"fetch_max_bytes": 64 * 1024 * 1024, "max_partition_fetch_bytes": 16 * 1024 * 1024}
_READ_STALL_SECONDS = 60.0


@dataclass
class TopicTally:
    """What the records on every topic show, read once from offset 0."""

    wanted: set[str]
    replayed: set[ReadAt] = field(default_factory=set)
    records: int = 0
    # effect identity -> the first event id seen for it, and the different ones seen after it
    first_id: dict[tuple[str, str, str | None], bytes] = field(default_factory=dict)
    more_ids: defaultdict[tuple[str, str, str | None], set[bytes]] = field(default_factory=lambda: defaultdict(set))
    producers: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    # (order, version) -> (event time, stage) of each stage event
    stages: defaultdict[tuple[str, int], set[tuple[str, Stage]]] = field(default_factory=lambda: defaultdict(set))
    dead_letters: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, topic: str, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> None:
        self.records += 1
        subject = key.decode() if key else ""
        if topic.endswith(DEAD_LETTER_SUFFIX):
            if subject in self.wanted:
                self._dead_letter(topic, subject, dict(headers))
            return
        if topic.endswith(REPLAY_SUFFIX):
            # An SRE's replay: a copy of a record of its source topic (the same event id), no effect of its own.
            return
        attributes = dict(headers)
        event_type = attributes.get("ce_type", b"").decode()
        stage = STAGE_OF_TYPE.get(event_type)
        effect = ONCE.get(event_type)
        if effect is None or (effect.per is not None and subject not in self.wanted):
            return
        part = _field(value, effect.per)
        identity = (event_type, subject, part)
        event_id = attributes.get("ce_id", b"")
        first = self.first_id.setdefault(identity, event_id)
        if first != event_id:
            self.more_ids[identity].add(event_id)
            self.producers.setdefault(identity, attributes.get("ce_source", b"").decode())
        if stage is not None and part is not None:
            self.stages[(subject, int(part))].add((attributes.get("ce_time", b"").decode(), stage))

    def _dead_letter(self, topic: str, subject: str, headers: dict[str, bytes]) -> None:
        def header(name: str) -> str:
            return headers.get(name, b"").decode()

        source = topic.removesuffix(DEAD_LETTER_SUFFIX)
        read_at = (
            header("dlt-consumer"),
            source,
            header("dlt-replay-topic"),
            header("dlt-original-partition"),
            header("dlt-original-offset"),
        )
        if read_at in self.replayed:
            return
        reason = dead_letter_reason(
            header("dlt-consumer"),
            header("ce_type"),
            source,
            header("dlt-error-class"),
            header("dlt-reason"),
        )
        if reason not in self.dead_letters[subject]:
            self.dead_letters[subject].append(reason)

    @property
    def duplicated(self) -> list[str]:
        return [
            f"{self.producers[identity]} published the {effect_named(*identity)} {len(ids) + 1} times "
            f"(different event ids)"
            for identity, ids in sorted(self.more_ids.items())
        ]

    @property
    def regressions(self) -> list[str]:
        """A stage event of an order version decided after one of a later stage: the order went back.

        Each stage has its own topic, so offsets do not order stages; the event time does: a service stamps it when
        it decides, after reading the event that led there. A correction is a new version, which starts over."""
        found = []
        for (order_id, version), events in sorted(self.stages.items()):
            furthest: tuple[datetime, Stage] | None = None
            for at, stage in sorted((datetime.fromisoformat(at), stage) for at, stage in events):
                if furthest and stage.rank < furthest[1].rank and at > furthest[0]:
                    found.append(
                        f"order {order_id} version {version}: {stage} at {at:%H:%M:%S.%f} "
                        f"after {furthest[1]} at {furthest[0]:%H:%M:%S.%f}"
                    )
                if furthest is None or stage.rank > furthest[1].rank:
                    furthest = (at, stage)
        return found


def _field(value: bytes | None, name: str | None) -> str | None:
    if name is None:
        return None
    found = _FIELD[name].search(value or b"")
    return found.group(1).decode() if found else None


@dataclass(frozen=True)
class TopicFindings:
    records: int
    duplicated: list[str]
    regressions: list[str]
    dead_letters: dict[str, list[str]]


async def read_topics(kafka: KafkaConnection, wanted: set[str], replayed: set[ReadAt]) -> TopicFindings:
    """Read every topic from its start to the end offsets taken now, in large batches."""
    partitions = await topic_partitions(kafka, catalogue_topics())
    # Earliest, not the default latest: a reset the assignment sets off may land after the seeks below.
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), enable_auto_commit=False, auto_offset_reset="earliest", **_FETCH
    )
    await consumer.start()
    tally = TopicTally(wanted, replayed)
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        remaining = {partition for partition in partitions if ends[partition] > starts[partition]}
        for partition in partitions:
            consumer.seek(partition, starts[partition])
        last_progress = time.monotonic()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=50_000)
            for partition, records in batches.items():
                end = ends[partition]
                for record in records:
                    if record.offset < end:
                        tally.add(partition.topic, record.key, record.value, record.headers)
                last_progress = time.monotonic()
            for partition in list(remaining):
                if await consumer.position(partition) >= ends[partition]:
                    remaining.discard(partition)
            if time.monotonic() - last_progress > _READ_STALL_SECONDS:
                raise RuntimeError(f"no records for {_READ_STALL_SECONDS:.0f} s from {sorted(map(str, remaining))}")
    finally:
        await consumer.stop()
    return TopicFindings(tally.records, tally.duplicated, tally.regressions, dict(tally.dead_letters))
