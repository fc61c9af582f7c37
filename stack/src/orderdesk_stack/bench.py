"""`make bench`: the real pipeline against a raw Kafka baseline, measured in the same run.

(a) baseline: each record passes through seven topics by plain aiokafka consume-then-produce hops,
    one process per hop (idempotent producer, acks=all, offsets committed after each hop), no database;
(b) pipeline: orders submitted to intake over HTTP and followed to orders.ratified, with the stack at rest
    before and after each round so that the CPU every program spent in between belongs to its orders.
Latencies are from submission to the seventh topic. Then intake's front door alone:
(c) HTTP baseline: the same TMF622 POSTs to a bare FastAPI app on uvicorn that only answers 201;
(d) intake acceptance: the POSTs to intake while the rest of the stack works on what it accepts.
Last, (e) the console's dashboard page, loaded again and again with 10,000 more orders in its read model.
Each pair runs in interleaved rounds; the median round of each is reported, and throughput as
(b)/(a) and (d)/(c). The load generator runs on the same machine, so it shares its cores.
"""

import asyncio
import itertools
import json
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from console.pages import TOKEN_COOKIE
from console.sample_orders import add_sample_orders, remove_sample_orders
from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import Stage
from orderdesk_shared.relay import idempotent_producer
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.cpu_use import settled, spent_between
from orderdesk_stack.order_generator import GeneratedOrder, generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, OrderSubmitter, PipelineWatcher, percentile
from orderdesk_stack.processes import LocalProcess, ProcessSpec, free_ports, wait_until
from orderdesk_stack.stack import Stack, answers_ok

HOPS = len(Stage)
HOP_START_TIMEOUT_SECONDS = 60.0
# The bus is ~20x faster than the pipeline: more records keep its rounds long enough to be steady.
BASELINE_RECORDS_PER_ORDER = 4
# Clients posting at once in the acceptance measurement: enough to keep intake's group commit full.
ACCEPTANCE_CLIENTS = 32
# Dashboard loads measured, one after another as a person reloading it would.
DASHBOARD_LOADS = 50
CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class Measurement:
    name: str
    records: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def _measure(name: str, latencies: list[float], *, first_sent: float, last_arrived: float) -> Measurement:
    seconds = last_arrived - first_sent
    return Measurement(
        name=name,
        records=len(latencies),
        seconds=round(seconds, 3),
        per_second=round(len(latencies) / seconds, 2),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
    )


async def bus_baseline(bootstrap: str, *, records: int, partitions: int, payload: bytes) -> Measurement:
    """Pass `records` through seven fresh topics with consume-then-produce hops."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench.{run}.hop{n}" for n in range(1, HOPS + 1)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1) for topic in topics]
        )
        await _wait_for_leaders(admin, topics)
        # One process per hop, as each service is one process: the bus is then measured, not one event loop.
        spawn = multiprocessing.get_context("spawn")
        ready = spawn.Barrier(HOPS)  # the six hops and this process
        hops = [
            spawn.Process(target=_run_hop, args=(bootstrap, source, target, f"bench-{run}-{n}", ready), daemon=True)
            for n, (source, target) in enumerate(itertools.pairwise(topics))
        ]
        for hop in hops:
            hop.start()
        sent_at: dict[bytes, float] = {}
        arrived_at: dict[bytes, float] = {}
        sink = AIOKafkaConsumer(
            topics[-1], bootstrap_servers=bootstrap, group_id=f"bench-{run}-sink", auto_offset_reset="earliest"
        )
        await sink.start()
        producer = idempotent_producer(bootstrap)
        await producer.start()
        await asyncio.to_thread(ready.wait, HOP_START_TIMEOUT_SECONDS)
        try:
            for n in range(records):
                key = f"bench-{n}".encode()
                sent_at[key] = time.monotonic()
                await producer.send(topics[0], value=payload, key=key)
            await producer.flush()
            while len(arrived_at) < records:
                for batch in (await sink.getmany(timeout_ms=500)).values():
                    now = time.monotonic()
                    for record in batch:
                        arrived_at.setdefault(record.key, now)
        finally:
            for hop in hops:
                hop.terminate()
            for hop in hops:
                hop.join()
            await producer.stop()
            await sink.stop()
        await admin.delete_topics(topics)
    finally:
        await admin.close()
    latencies = [arrived_at[key] - sent_at[key] for key in sent_at]
    return _measure(
        "bus baseline (7 topics, no database)",
        latencies,
        first_sent=min(sent_at.values()),
        last_arrived=max(arrived_at.values()),
    )


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """New topics elect partition leaders in the background; producing before that only measures retries."""
    while True:
        described = await admin.describe_topics(topics)
        if len(described) == len(topics) and all(p["leader"] >= 0 for t in described for p in t["partitions"]):
            return
        await asyncio.sleep(0.1)


def _run_hop(bootstrap: str, source: str, target: str, group: str, ready: threading.Barrier) -> None:
    asyncio.run(_hop(bootstrap, source, target, group=group, ready=ready))


async def _hop(bootstrap: str, source: str, target: str, *, group: str, ready: threading.Barrier) -> None:
    """Consume `source`, produce each record to `target`, commit after the batch is acknowledged."""
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    producer = idempotent_producer(bootstrap)
    await consumer.start()
    await producer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    await asyncio.to_thread(ready.wait, HOP_START_TIMEOUT_SECONDS)
    try:
        while True:
            for tp, batch in (await consumer.getmany(timeout_ms=200, max_records=200)).items():
                deliveries = [await producer.send(target, value=record.value, key=record.key) for record in batch]
                await asyncio.gather(*deliveries)
                await consumer.commit({tp: batch[-1].offset + 1})
    finally:
        await consumer.stop()
        await producer.stop()


async def pipeline(stack: Stack, *, orders: int, seed: int, timeout: float) -> Measurement:
    """Submit `orders` valid orders to intake and wait for each on orders.ratified."""
    batch = generate_orders(orders, seed=seed, invalid_share=0.0)
    async with (
        PipelineWatcher(stack.kafka_bootstrap) as watcher,
        OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=16) as submitter,
    ):
        order_ids = await asyncio.gather(*(submitter.submit(order, watcher) for order in batch))
        deadline = time.monotonic() + timeout
        while not watcher.settled(order_ids):
            if time.monotonic() > deadline:
                done = sum(1 for order_id in order_ids if watcher.journeys[order_id].done)
                raise TimeoutError(f"only {done} of {orders} orders were ratified within {timeout:.0f} s")
            await asyncio.sleep(0.1)
    journeys = [watcher.journeys[order_id] for order_id in order_ids]
    latencies = [j.reached[Stage.RATIFIED] - j.submitted_at for j in journeys]
    return _measure(
        "pipeline (HTTP intake to orders.ratified)",
        latencies,
        first_sent=min(j.submitted_at for j in journeys),
        last_arrived=max(j.reached[Stage.RATIFIED] for j in journeys),
    )


async def post_burst(url: str, batch: list[GeneratedOrder], *, signer: TokenSigner, name: str) -> Measurement:
    """POST every order from ACCEPTANCE_CLIENTS clients at once; how fast they are accepted (each must be 2xx)."""
    tokens = {rep: signer.mint(rep, [Role.SALES_REP]) for rep in {order.submitted_by for order in batch}}
    # Bodies are encoded before the clock starts, so the client spends its share of the cores on HTTP only.
    pending = iter(
        [
            (json.dumps(order.body).encode(), {"Authorization": f"Bearer {tokens[order.submitted_by]}"})
            for order in batch
        ]
    )
    latencies: list[float] = []

    async def client(http: aiohttp.ClientSession) -> None:
        for body, headers in pending:
            sent = time.monotonic()
            async with http.post(PRODUCT_ORDER_PATH, data=body, headers=headers) as response:
                await response.read()
                response.raise_for_status()
            latencies.append(time.monotonic() - sent)

    # aiohttp, not httpx: on this machine httpx's pool tops out near 200 requests/s, so it measured itself.
    async with aiohttp.ClientSession(
        url,
        connector=aiohttp.TCPConnector(limit=ACCEPTANCE_CLIENTS),
        timeout=aiohttp.ClientTimeout(total=60.0),
        headers={"Content-Type": "application/json"},
    ) as http:
        first_sent = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(ACCEPTANCE_CLIENTS)))
        last_answered = time.monotonic()
    return _measure(name, latencies, first_sent=first_sent, last_arrived=last_answered)


class BareApi:
    """The bare FastAPI app of the HTTP baseline, served by uvicorn as the services are."""

    def __init__(self, stack: Stack) -> None:
        [self.port] = free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        command = ("-m", "uvicorn", "--factory", "orderdesk_stack.bare_api:create_app", "--no-access-log")
        self._process = LocalProcess(
            ProcessSpec(name="bench-bare-api", command=(sys.executable, *command, "--port", str(self.port))),
            log_path=stack.log_path("bench-bare-api"),
            cwd=stack.layout.run_dir,
        )

    def __enter__(self) -> "BareApi":
        self._process.start()
        wait_until(
            lambda: answers_ok(f"{self.url}/readyz"),
            what="the bench's bare API",
            timeout=30.0,
            log_path=self._process.log_path,
            still_running=self._process.is_running,
        )
        return self

    def __exit__(self, *_: object) -> None:
        self._process.stop()


async def acceptance(
    stack: Stack, *, orders: int, rounds: int, seed: int
) -> tuple[list[Measurement], list[Measurement]]:
    """(c) and (d), `rounds` times each, interleaved."""
    bare_rounds: list[Measurement] = []
    intake_rounds: list[Measurement] = []
    with BareApi(stack) as bare:
        for round_number in range(rounds):
            batch = generate_orders(orders, seed=seed + 1000 + round_number, invalid_share=0.0)
            bare_rounds.append(
                await post_burst(bare.url, batch, signer=stack.token_signer, name="HTTP baseline (bare FastAPI)")
            )
            intake_rounds.append(
                await post_burst(
                    stack.service_url("intake"),
                    batch,
                    signer=stack.token_signer,
                    name="intake acceptance (TMF622 POST, stack running)",
                )
            )
    return bare_rounds, intake_rounds


async def console_dashboard(stack: Stack, *, orders: int, loads: int, seed: int) -> Measurement:
    """(e) The dashboard page, loaded `loads` times one after another by a signed-in manager, with `orders`
    sample orders added to the console's read model for the measurement (and removed after it)."""
    database_url = stack.service_database_url("console")
    prefix = f"BENCH-{uuid.uuid4().hex[:8]}-"
    await add_sample_orders(database_url, count=orders, prefix=prefix, seed=seed)
    token = stack.token_signer.mint("bench-manager", [Role.SALES_MANAGER])
    try:
        async with httpx.AsyncClient(
            base_url=stack.service_url("console"), cookies={TOKEN_COOKIE: token}, timeout=30.0
        ) as http:
            (await http.get("/")).raise_for_status()
            latencies = []
            first_sent = time.perf_counter()
            for _ in range(loads):
                sent = time.perf_counter()
                (await http.get("/")).raise_for_status()
                latencies.append(time.perf_counter() - sent)
            last_arrived = time.perf_counter()
    finally:
        await remove_sample_orders(database_url, prefix=prefix)
    return _measure(
        f"console dashboard page (+{orders:,} orders)", latencies, first_sent=first_sent, last_arrived=last_arrived
    )


async def run_bench(
    stack: Stack,
    *,
    orders: int,
    acceptance_orders: int,
    dashboard_orders: int,
    rounds: int,
    seed: int,
    timeout: float,
    results_dir: Path,
) -> dict:
    """The pipeline and acceptance measurements, each in `rounds` interleaved rounds against its baseline.

    The median round of each and the ratios; everything is also written to a JSON file in `results_dir`.
    """
    payload = json.dumps(generate_orders(1, seed=seed)[0].body).encode()
    # Warm both paths so connection set-up and first-use costs stay out of the numbers.
    await bus_baseline(stack.kafka_bootstrap, records=20, partitions=stack.topic_partitions, payload=payload)
    await pipeline(stack, orders=10, seed=seed - 1, timeout=timeout)
    baselines: list[Measurement] = []
    pipelines: list[Measurement] = []
    cpu_spent: Counter[str] = Counter()
    for round_number in range(rounds):
        baselines.append(
            await bus_baseline(
                stack.kafka_bootstrap,
                records=orders * BASELINE_RECORDS_PER_ORDER,
                partitions=stack.topic_partitions,
                payload=payload,
            )
        )
        # The stack at rest before and after the round: every CPU second between is spent on the round's orders.
        before = await settled(stack)
        pipelines.append(await pipeline(stack, orders=orders, seed=seed + round_number, timeout=timeout))
        cpu_spent.update(spent_between(before, await settled(stack)))
    baseline, real = _median(baselines), _median(pipelines)
    cpu_ms_per_order = {
        program: round(seconds * 1000 / (orders * rounds), 1) for program, seconds in cpu_spent.most_common()
    }
    total_ms_per_order = sum(cpu_ms_per_order.values())
    # Last, as what intake accepts here is still being worked through by the stack afterwards.
    bare_rounds, intake_rounds = await acceptance(stack, orders=acceptance_orders, rounds=rounds, seed=seed)
    http_baseline, intake_acceptance = _median(bare_rounds), _median(intake_rounds)
    dashboard = await console_dashboard(stack, orders=dashboard_orders, loads=DASHBOARD_LOADS, seed=seed)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "orders": orders,
        "baseline_records": orders * BASELINE_RECORDS_PER_ORDER,
        "rounds": rounds,
        "partitions": stack.topic_partitions,
        "baseline": asdict(baseline),
        "pipeline": asdict(real),
        "throughput_ratio_pipeline_to_baseline": round(real.per_second / baseline.per_second, 3),
        "cpu_ms_per_order": cpu_ms_per_order | {"total": round(total_ms_per_order, 1)},
        # What the machine's cores could carry if the stack had them all and nothing else waited.
        "orders_per_second_the_cores_carry": round(CORES * 1000 / total_ms_per_order, 1),
        "acceptance_orders": acceptance_orders,
        "http_baseline": asdict(http_baseline),
        "intake_acceptance": asdict(intake_acceptance),
        "throughput_ratio_intake_to_http_baseline": round(intake_acceptance.per_second / http_baseline.per_second, 3),
        "dashboard_orders": dashboard_orders,
        "console_dashboard": asdict(dashboard),
        "all_rounds": {
            "baseline": [asdict(m) for m in baselines],
            "pipeline": [asdict(m) for m in pipelines],
            "http_baseline": [asdict(m) for m in bare_rounds],
            "intake_acceptance": [asdict(m) for m in intake_rounds],
        },
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    result["file"] = str(path)
    return result


def _median(measurements: list[Measurement]) -> Measurement:
    """The round with the median throughput (a real round, so its latencies belong to it)."""
    return sorted(measurements, key=lambda m: m.per_second)[len(measurements) // 2]
