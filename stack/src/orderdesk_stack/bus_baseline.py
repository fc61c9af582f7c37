"""The bus baseline of `make bench`: records through seven topics by plain aiokafka, no database.

Each hop is its own process, as each service is, written as a careful engineer would: a large poll at a time,
the whole poll produced by the relays' idempotent producer (large compressed batches), its acknowledgements
awaited together, its offsets committed in one request. The pipeline's throughput against this is how close to
the bus it gets. This module imports little: each hop process runs it (`python -m orderdesk_stack.bus_baseline`).
"""

import asyncio
import itertools
import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from orderdesk_shared.events.order import Stage
from orderdesk_shared.kafka_connection import PRODUCER_COMPRESSION, KafkaConnection, idempotent_producer
from orderdesk_stack.cpu_use import process_cpu_seconds
from orderdesk_stack.measurement import Measurement, measure

HOPS = len(Stage)
# Six hop processes start at once, each importing Python and aiokafka and joining its group: on two busy cores
# that takes a while.
HOP_START_TIMEOUT_SECONDS = 180.0
HOP_KAFKA_PREFIX = "BENCH_HOP_KAFKA_"
READY = "ready"
# The batched bus is some hundred times faster than the pipeline: more records keep its rounds long enough to be
# steady.
BASELINE_RECORDS_PER_ORDER = 20
# A hop takes what the broker has, up to this many records, in one poll: a large poll is one produce request per
# partition, one wait for acknowledgements and one offset commit for all of it.
HOP_MAX_RECORDS = 2000


@dataclass(frozen=True)
class BusCost:
    """The CPU the bus baseline's records cost: Kafka's, and the hops' (consume, produce, commit)."""

    kafka_ms_per_record: float
    hops_ms_per_record: float


async def bus_baseline(
    kafka: KafkaConnection,
    *,
    records: int,
    partitions: int,
    payloads: list[bytes],
    kafka_cpu_seconds: Callable[[], float],
    compression: str | None = PRODUCER_COMPRESSION,
) -> tuple[Measurement, BusCost]:
    """Pass `records` through seven fresh topics with consume-then-produce hops, as a careful engineer would write
    them with plain aiokafka: a poll's records produced together, awaited together, committed together.
    `kafka_cpu_seconds` reads the CPU the brokers have used so far."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench.{run}.hop{n}" for n in range(1, HOPS + 1)]
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1) for topic in topics]
        )
        await _wait_for_leaders(admin, topics)
        # One process per hop, as each service is one process: the bus is then measured, not one event loop.
        hops = [
            _start_hop(kafka, source, target, group=f"bench-{run}-{n}", compression=compression)
            for n, (source, target) in enumerate(itertools.pairwise(topics))
        ]
        sent_at: dict[bytes, float] = {}
        arrived_at: dict[bytes, float] = {}
        sink = AIOKafkaConsumer(
            topics[-1], **kafka.client_options(), group_id=f"bench-{run}-sink", auto_offset_reset="earliest"
        )
        producer = idempotent_producer(kafka, compression=compression)
        try:
            await sink.start()
            await producer.start()
            await asyncio.to_thread(_wait_ready, hops)
            hop_processes = [psutil.Process(hop.pid) for hop in hops]
            hops_before = sum(process_cpu_seconds(process) for process in hop_processes)
            kafka_before = kafka_cpu_seconds()
            for n in range(records):
                key = f"bench-{n}".encode()
                sent_at[key] = time.monotonic()
                # send() only queues the record; the batch is awaited once, by flush().
                await producer.send(topics[0], value=payloads[n % len(payloads)], key=key)
            await producer.flush()
            while len(arrived_at) < records:
                for batch in (await sink.getmany(timeout_ms=500)).values():
                    now = time.monotonic()
                    for record in batch:
                        arrived_at.setdefault(record.key, now)
            cost = BusCost(
                kafka_ms_per_record=round((kafka_cpu_seconds() - kafka_before) * 1000 / records, 3),
                hops_ms_per_record=round(
                    (sum(process_cpu_seconds(process) for process in hop_processes) - hops_before) * 1000 / records, 3
                ),
            )
        finally:
            for hop in hops:
                hop.terminate()
            for hop in hops:
                hop.wait()
            await producer.stop()
            await sink.stop()
        await admin.delete_topics(topics)
    finally:
        await admin.close()
    latencies = [arrived_at[key] - sent_at[key] for key in sent_at]
    measurement = measure(
        f"bus baseline (7 topics, batched aiokafka, {compression or 'no'} compression)",
        latencies,
        first_sent=min(sent_at.values()),
        last_arrived=max(arrived_at.values()),
    )
    return measurement, cost


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """New topics elect partition leaders in the background; producing before that only measures retries."""
    while True:
        described = await admin.describe_topics(topics)
        if len(described) == len(topics) and all(p["leader"] >= 0 for t in described for p in t["partitions"]):
            return
        await asyncio.sleep(0.1)


def _start_hop(
    kafka: KafkaConnection, source: str, target: str, *, group: str, compression: str | None
) -> subprocess.Popen:
    """A hop process (`python -m orderdesk_stack.bus_baseline`), logged in as `kafka` through its environment."""
    return subprocess.Popen(
        [sys.executable, "-m", __name__, source, target, group, compression or ""],
        env=os.environ | kafka.env(HOP_KAFKA_PREFIX),
        stdout=subprocess.PIPE,
        text=True,
    )


def _wait_ready(hops: list[subprocess.Popen]) -> None:
    """Block until every hop has its partitions and says so (a line on its stdout)."""
    deadline = time.monotonic() + HOP_START_TIMEOUT_SECONDS
    for hop in hops:
        ready, _, _ = select.select([hop.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready or hop.stdout.readline().strip() != READY:
            raise RuntimeError(f"a bus baseline hop did not start within {HOP_START_TIMEOUT_SECONDS:.0f} s")


async def _hop(kafka: KafkaConnection, source: str, target: str, *, group: str, compression: str | None) -> None:
    """Consume `source` a large poll at a time; produce the whole poll to `target`, await its acknowledgements
    together, then commit the poll's offsets in one request."""
    consumer = AIOKafkaConsumer(
        source, **kafka.client_options(), group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    producer = idempotent_producer(kafka, compression=compression)
    await consumer.start()
    await producer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    print(READY, flush=True)
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=HOP_MAX_RECORDS)
            if not batches:
                continue
            deliveries = [
                await producer.send(target, value=record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            await asyncio.gather(*deliveries)
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    source_topic, target_topic, consumer_group, codec = sys.argv[1:]
    asyncio.run(
        _hop(
            KafkaConnection.from_env(HOP_KAFKA_PREFIX),
            source_topic,
            target_topic,
            group=consumer_group,
            compression=codec or None,
        )
    )
