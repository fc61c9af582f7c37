"""`make bench`: the real pipeline against best-practice baselines, measured in the same run.

(a) bus baseline (bus_baseline.py): each record through seven topics by plain aiokafka hops, batched as a careful
    engineer would write them, one process per hop, no database;
(b) pipeline: orders submitted to intake over HTTP (closed loop) and followed to orders.ratified, with the stack at
    rest before and after each round so that the CPU every program spent in between belongs to its orders (less
    what the programs spend at rest over the same time, measured before the rounds);
then resident memory per program; (c) an open-loop round at half (b)'s throughput, for latency; (d) the Postgres
baseline (postgres_baseline.py): one service's write pattern, batched, on the stack's Postgres; optionally many
more orders, for memory growth; intake's front door: (e) intake alone, the other services stopped, with its CPU
per POST; (f) an HTTP baseline, a bare FastAPI app on uvicorn that only answers 201, and (g) intake acceptance
while the rest of the stack works on what it accepts. Last, (h) the console's dashboard page, loaded again and
again once 10,000 more orders went through the stack into its read model. (a)/(b) and (f)/(g) run in interleaved
rounds; the median round of each is reported, and throughput as (b)/(a) and (g)/(f). The load generator runs on
the same machine, so it shares its cores.
"""

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy.engine import make_url

from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import Stage
from orderdesk_shared.kafka_connection import PRODUCER_COMPRESSION, PRODUCER_LINGER_MS, PRODUCER_MAX_BATCH_BYTES
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.bus_baseline import (
    BASELINE_RECORDS_PER_ORDER,
    HOP_MAX_RECORDS,
    BusCost,
    bus_baseline,
)
from orderdesk_stack.cpu_use import (
    cpu_seconds_by_program,
    idle_cores,
    resident_mib_by_program,
    settled,
    spent_between,
    without_idle,
)
from orderdesk_stack.measurement import Measurement, measure
from orderdesk_stack.order_generator import GeneratedOrder, generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, OrderSubmitter, PipelineWatcher
from orderdesk_stack.postgres_baseline import postgres_baseline
from orderdesk_stack.processes import LocalProcess, ProcessSpec, free_ports, wait_until
from orderdesk_stack.stack import POSTGRES, Stack, answers_ok

# Clients posting at once in the closed-loop pipeline rounds, each waiting for its answer before its next order.
CLOSED_LOOP_CLIENTS = 16
# The open-loop round: orders at half the pipeline's measured throughput, on a fixed schedule, for this long.
OPEN_LOOP_SECONDS = 30.0
# `--memory-orders`: resident memory is read after this many orders, and after all of them.
MEMORY_CHECKPOINT = 10_000
# Orders pushed at once when many more go through (the memory run, the dashboard's), each window waited for before
# the next.
ORDERS_PER_WINDOW = 500
INTAKE = "intake"
# Clients posting at once in the acceptance measurement: enough to keep intake's group commit full.
ACCEPTANCE_CLIENTS = 32
# Dashboard loads measured, one after another as a person reloading it would.
DASHBOARD_LOADS = 50
# The orders added for the dashboard that stop before ratification, and where: roughly what a busy desk holds.
DASHBOARD_SHARES = {"rejected": 0.08, "waiting for an approver": 0.08, "held for a billing code": 0.06}
CORES = os.cpu_count() or 1


async def pipeline(
    stack: Stack, *, orders: int, seed: int, timeout: float, intakes: Sequence[str] = (INTAKE,)
) -> Measurement:
    """Submit `orders` valid orders to intake (closed loop: CLOSED_LOOP_CLIENTS at a time, each waiting for its
    answer) and wait for each on orders.ratified. With more than one of `intakes` (intake's instances, by program),
    the clients are shared out among them and the orders go to each in turn."""
    batch = generate_orders(orders, seed=seed, invalid_share=0.0)
    clients_each = max(1, CLOSED_LOOP_CLIENTS // len(intakes))
    async with PipelineWatcher(stack.kafka_admin) as watcher, AsyncExitStack() as submitters_open:
        submitters = [
            await submitters_open.enter_async_context(
                OrderSubmitter(stack.service_url(intake), signer=stack.token_signer, concurrency=clients_each)
            )
            for intake in intakes
        ]
        order_ids = await asyncio.gather(
            *(submitters[n % len(submitters)].submit(order, watcher) for n, order in enumerate(batch))
        )
        await _until_done(watcher, order_ids, timeout=timeout)
    return _ratified("pipeline (HTTP intake to orders.ratified)", watcher, order_ids)


@dataclass(frozen=True)
class PipelineRound:
    """A pipeline round with the CPU seconds each program spent on its orders, and how long it lasted until the
    stack was at rest again."""

    measurement: Measurement
    cpu_seconds: dict[str, float]
    seconds: float


async def pipeline_round(
    stack: Stack, *, orders: int, seed: int, timeout: float, intakes: Sequence[str] = (INTAKE,)
) -> PipelineRound:
    """pipeline() with the stack at rest before and after: every CPU second between is spent on the round's orders,
    but for what the programs spend at rest anyway (idle_cores), which the caller takes off."""
    before = await settled(stack)
    started = time.monotonic()
    measurement = await pipeline(stack, orders=orders, seed=seed, timeout=timeout, intakes=intakes)
    cpu_seconds = spent_between(before, await settled(stack))
    return PipelineRound(measurement, cpu_seconds, time.monotonic() - started)


async def open_loop(stack: Stack, *, rate: float, seconds: float, seed: int, timeout: float) -> Measurement:
    """Orders POSTed on a fixed schedule, `rate` a second for `seconds`, whatever the answers (open loop); each
    one's latency runs from its scheduled POST to orders.ratified, so a stall delays the orders behind it as it
    would a real stream's."""
    count = max(1, round(rate * seconds))
    batch = generate_orders(count, seed=seed, invalid_share=0.0)
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(stack.service_url(INTAKE), signer=stack.token_signer, concurrency=count) as submitter,
    ):
        start = time.monotonic() + 0.1

        async def on_schedule(n: int, order: GeneratedOrder) -> str:
            scheduled_at = start + n / rate
            await asyncio.sleep(scheduled_at - time.monotonic())
            return await submitter.submit(order, watcher, scheduled_at=scheduled_at)

        order_ids = await asyncio.gather(*(on_schedule(n, order) for n, order in enumerate(batch)))
        await _until_done(watcher, order_ids, timeout=timeout)
    return _ratified(f"open loop at {rate:.1f} orders/s (POST to orders.ratified)", watcher, order_ids)


async def _until_done(watcher: PipelineWatcher, order_ids: list[str], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not watcher.settled(order_ids):
        if time.monotonic() > deadline:
            done = sum(1 for order_id in order_ids if watcher.journeys[order_id].done)
            raise TimeoutError(f"only {done} of {len(order_ids)} orders were done within {timeout:.0f} s")
        await asyncio.sleep(0.1)


def _ratified(name: str, watcher: PipelineWatcher, order_ids: list[str]) -> Measurement:
    journeys = [watcher.journeys[order_id] for order_id in order_ids]
    unratified = [(order_id, j) for order_id, j in zip(order_ids, journeys, strict=True) if not j.ratified]
    if unratified:
        order_id, journey = unratified[0]
        raise RuntimeError(
            f"{len(unratified)} of {len(order_ids)} valid orders stopped or wait before orders.ratified "
            f"(e.g. {order_id}: {journey.stopped or journey.waiting})"
        )
    return measure(
        name,
        [j.reached[Stage.RATIFIED] - j.submitted_at for j in journeys],
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
    return measure(name, latencies, first_sent=first_sent, last_arrived=last_answered)


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
                    stack.service_url(INTAKE),
                    batch,
                    signer=stack.token_signer,
                    name="intake acceptance (TMF622 POST, stack running)",
                )
            )
    return bare_rounds, intake_rounds


async def console_dashboard(stack: Stack, *, orders: int, loads: int, seed: int, timeout: float) -> Measurement:
    """(h) The dashboard page, loaded `loads` times one after another by a manager signed in to the console, once
    `orders` more orders went through intake to where they stop, as a busy desk's do: most ratified, some rejected,
    waiting for an approver or held for a site survey or a billing code. The console reads them off the bus as it
    reads every order, into the read model the dashboard draws from."""
    batch = generate_orders(
        orders,
        seed=seed + 20_000,
        invalid_share=DASHBOARD_SHARES["rejected"],
        approval_share=DASHBOARD_SHARES["waiting for an approver"],
        grand_rapids_share=DASHBOARD_SHARES["held for a billing code"],
        on_net_only=False,
    )
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(
            stack.service_url(INTAKE), signer=stack.token_signer, concurrency=CLOSED_LOOP_CLIENTS
        ) as submitter,
    ):
        for start in range(0, len(batch), ORDERS_PER_WINDOW):
            order_ids = await asyncio.gather(
                *(submitter.submit(order, watcher) for order in batch[start : start + ORDERS_PER_WINDOW])
            )
            await _until_done(watcher, order_ids, timeout=timeout)
            watcher.forget(order_ids)
    await settled(stack)
    token = stack.token_signer.mint("bench-manager", [Role.SALES_MANAGER])
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as http:
        await http.post("/sign-in", data={"token": token})
        # Not signed in, the page would answer with a redirect to the sign-in page: an error here.
        (await http.get("/")).raise_for_status()
        latencies = []
        first_sent = time.perf_counter()
        for _ in range(loads):
            sent = time.perf_counter()
            (await http.get("/")).raise_for_status()
            latencies.append(time.perf_counter() - sent)
        last_arrived = time.perf_counter()
    return measure(
        f"console dashboard page (+{orders:,} orders)", latencies, first_sent=first_sent, last_arrived=last_arrived
    )


@dataclass(frozen=True)
class IntakeAlone:
    """Intake's front door with every other service stopped: the POSTs it takes and the CPU each costs it."""

    rounds: list[Measurement]
    # Intake's CPU while the burst lasted, per POST (its idle rate taken off).
    cpu_ms_per_post: float
    # The same until intake was at rest again: its relay publishing the accepted orders' events included.
    cpu_ms_per_post_relayed: float


async def intake_alone(stack: Stack, *, orders: int, rounds: int, seed: int, idle: Mapping[str, float]) -> IntakeAlone:
    """Bursts of POSTs to intake with the other services stopped (they are restarted after, and work through what
    intake accepted while the acceptance rounds run)."""
    others = [service.name for service in stack.services if service.name != INTAKE]
    for name in others:
        await asyncio.to_thread(stack.stop, name)
    measurements: list[Measurement] = []
    during = relayed = 0.0
    try:
        for round_number in range(rounds):
            batch = generate_orders(orders, seed=seed + 2000 + round_number, invalid_share=0.0)
            before = await settled(stack)
            measurement = await post_burst(
                stack.service_url(INTAKE), batch, signer=stack.token_signer, name="intake alone (TMF622 POST)"
            )
            burst_end = cpu_seconds_by_program(stack)
            at_rest = await settled(stack)
            measurements.append(measurement)
            during += max(0.0, burst_end[INTAKE] - before[INTAKE] - idle.get(INTAKE, 0.0) * measurement.seconds)
            relayed += at_rest[INTAKE] - before[INTAKE]
    finally:
        for name in others:
            await asyncio.to_thread(stack.restart, name)
    posts = orders * rounds
    return IntakeAlone(
        rounds=measurements,
        cpu_ms_per_post=round(during * 1000 / posts, 3),
        cpu_ms_per_post_relayed=round(relayed * 1000 / posts, 3),
    )


async def memory_growth(
    stack: Stack, *, orders: int, seed: int, timeout: float, progress: Callable[[int], None]
) -> list[dict]:
    """Push `orders` more orders through the pipeline, ORDERS_PER_WINDOW at a time, and read each program's resident
    memory (the stack at rest) after MEMORY_CHECKPOINT of them and after all: what grows with orders seen."""
    checkpoints = sorted({min(MEMORY_CHECKPOINT, orders), orders})
    readings = []
    pushed = 0
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(
            stack.service_url(INTAKE), signer=stack.token_signer, concurrency=CLOSED_LOOP_CLIENTS
        ) as submitter,
    ):
        for checkpoint in checkpoints:
            while pushed < checkpoint:
                window = min(ORDERS_PER_WINDOW, checkpoint - pushed)
                batch = generate_orders(window, seed=seed + 10_000 + pushed, invalid_share=0.0)
                order_ids = await asyncio.gather(*(submitter.submit(order, watcher) for order in batch))
                await _until_done(watcher, order_ids, timeout=timeout)
                watcher.forget(order_ids)
                pushed += window
                progress(window)
            await settled(stack, timeout=timeout)  # the status mail goes out minutes after the last ratification
            readings.append({"orders": pushed, "resident_mib": resident_mib_by_program(stack)})
    return readings


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
    open_loop_seconds: float = OPEN_LOOP_SECONDS,
    memory_orders: int = 0,
    memory_progress: Callable[[int], None] = lambda orders: None,
) -> dict:
    """Every measurement of `make bench`; the median round of each, the ratios, and every round, also written to a
    JSON file in `results_dir`."""
    payloads = [json.dumps(order.body).encode() for order in generate_orders(200, seed=seed - 2, invalid_share=0.0)]
    # Warm both paths so connection set-up and first-use costs stay out of the numbers.
    await _bus_baseline(stack, records=200, payloads=payloads)
    await pipeline(stack, orders=10, seed=seed - 1, timeout=timeout)
    await settled(stack)
    idle = await idle_cores(stack)
    baselines: list[tuple[Measurement, BusCost]] = []
    pipelines: list[Measurement] = []
    cpu_spent: Counter[str] = Counter()
    round_seconds = 0.0
    for round_number in range(rounds):
        baselines.append(await _bus_baseline(stack, records=orders * BASELINE_RECORDS_PER_ORDER, payloads=payloads))
        measured = await pipeline_round(stack, orders=orders, seed=seed + round_number, timeout=timeout)
        pipelines.append(measured.measurement)
        cpu_spent.update(measured.cpu_seconds)
        round_seconds += measured.seconds
    resident_mib = resident_mib_by_program(stack)
    baseline, bus_cost = sorted(baselines, key=lambda pair: pair[0].per_second)[len(baselines) // 2]
    real = median_round(pipelines)
    routed = orders * rounds
    cpu_ms_per_order = ms_per_order(without_idle(cpu_spent, idle, seconds=round_seconds), routed)
    cpu_ms_per_order_with_idle = ms_per_order(cpu_spent, routed)
    open_loop_rate = real.per_second / 2
    latency = await open_loop(stack, rate=open_loop_rate, seconds=open_loop_seconds, seed=seed + 5000, timeout=timeout)
    await settled(stack)
    postgres = await postgres_baseline(
        _libpq_url(stack.admin_database_url),
        payload=payloads[0],
        postgres_cpu_seconds=lambda: cpu_seconds_by_program(stack).get(POSTGRES, 0.0),
    )
    growth = []
    if memory_orders:
        growth = await memory_growth(stack, orders=memory_orders, seed=seed, timeout=timeout, progress=memory_progress)
    alone = await intake_alone(stack, orders=acceptance_orders, rounds=rounds, seed=seed, idle=idle)
    # Last, as what intake accepts here is still being worked through by the stack afterwards.
    bare_rounds, intake_rounds = await acceptance(stack, orders=acceptance_orders, rounds=rounds, seed=seed)
    http_baseline, intake_acceptance = median_round(bare_rounds), median_round(intake_rounds)
    dashboard = await console_dashboard(
        stack, orders=dashboard_orders, loads=DASHBOARD_LOADS, seed=seed, timeout=timeout
    )
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "orders": orders,
        "baseline_records": orders * BASELINE_RECORDS_PER_ORDER,
        "rounds": rounds,
        "partitions": stack.topic_partitions,
        "producer": {
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": PRODUCER_LINGER_MS,
            "max_batch_size": PRODUCER_MAX_BATCH_BYTES,
            "compression_type": PRODUCER_COMPRESSION,
            "hop_max_records": HOP_MAX_RECORDS,
        },
        "baseline": asdict(baseline),
        "baseline_cpu_ms_per_record": asdict(bus_cost),
        "pipeline": asdict(real),
        "throughput_ratio_pipeline_to_baseline": round(real.per_second / baseline.per_second, 3),
        "idle_cores": {name: round(cores, 4) for name, cores in sorted(idle.items())}
        | {"total": round(sum(idle.values()), 4)},
        "cpu_ms_per_order": cpu_ms_per_order,
        "cpu_ms_per_order_with_idle": cpu_ms_per_order_with_idle,
        # What the machine's cores could carry if the stack had them all and nothing else waited.
        "orders_per_second_the_cores_carry": round(CORES * 1000 / cpu_ms_per_order["total"], 1),
        "open_loop_rate": round(open_loop_rate, 2),
        "open_loop": asdict(latency),
        "postgres_baseline": [asdict(rate) for rate in postgres],
        "resident_mib": resident_mib,
        "memory_growth": growth,
        "acceptance_orders": acceptance_orders,
        "intake_alone": asdict(median_round(alone.rounds)),
        "intake_cpu_ms_per_post": alone.cpu_ms_per_post,
        "intake_cpu_ms_per_post_relayed": alone.cpu_ms_per_post_relayed,
        "http_baseline": asdict(http_baseline),
        "intake_acceptance": asdict(intake_acceptance),
        "throughput_ratio_intake_to_http_baseline": round(intake_acceptance.per_second / http_baseline.per_second, 3),
        "dashboard_orders": dashboard_orders,
        "console_dashboard": asdict(dashboard),
        "all_rounds": {
            "baseline": [asdict(m) for m, _ in baselines],
            "pipeline": [asdict(m) for m in pipelines],
            "intake_alone": [asdict(m) for m in alone.rounds],
            "http_baseline": [asdict(m) for m in bare_rounds],
            "intake_acceptance": [asdict(m) for m in intake_rounds],
        },
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    result["file"] = str(path)
    return result


async def _bus_baseline(stack: Stack, *, records: int, payloads: list[bytes]) -> tuple[Measurement, BusCost]:
    return await bus_baseline(
        stack.kafka_admin,
        records=records,
        partitions=stack.topic_partitions,
        payloads=payloads,
        kafka_cpu_seconds=lambda: sum(cpu_seconds_by_program(stack).get(name, 0.0) for name in stack.kafka_programs),
    )


def ms_per_order(spent: Mapping[str, float], orders: int) -> dict[str, float]:
    """CPU ms per order by program, largest first, and their total."""
    by_program = {program: round(seconds * 1000 / orders, 2) for program, seconds in Counter(spent).most_common()}
    return by_program | {"total": round(sum(by_program.values()), 2)}


def _libpq_url(url: str) -> str:
    """`url` as asyncpg takes it (a SQLAlchemy URL may name its driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def median_round(measurements: list[Measurement]) -> Measurement:
    """The round with the median throughput (a real round, so its latencies belong to it)."""
    return sorted(measurements, key=lambda m: m.per_second)[len(measurements) // 2]
