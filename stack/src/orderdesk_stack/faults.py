"""Faults injected into a running stack from outside, as they happen in production: signals, SQL locks and rows,
Kafka records and offsets written as the admin, a full disk. Each is an async function of the stack and a dose (how
hard it hits) that breaks something, heals it and says what it did; `orderdesk chaos` and the fault tests run them
while orders flow. No service has a hook for any of them."""

import asyncio
import functools
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from orderdesk_shared.db import outbox_channel
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.messaging import service_metadata
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.services import SERVICES, service_named
from orderdesk_stack.stack import Stack

# Every accepted order's first event; keyed by order id, so each of its partitions carries a share of the flow.
BUSY_TOPIC = OrderReceived.topic
# Read by serviceability and the console: a poison record there is met by two consumer groups.
POISONED_TOPIC = OrderValidated.topic
# Larger than any topic's max.message.bytes (and the producer's max.request.size): Kafka refuses such a record.
OVERSIZED_BYTES = 2 * 1024 * 1024
# How long a slow handler's record may take to reach the dead letters once its lock is gone.
DEAD_LETTER_WAIT_SECONDS = 60
# A paused session whose last statement ended this recently before the pause was caught right after it (a busy
# service's sessions are never idle for longer between a statement and the work that follows it). Measured from the
# database's clock read just before the pause, not when the sessions are read after it: on a loaded machine the
# pause and that read take longer than the moment itself.
JUST_NOW_SECONDS = 0.05
# How often a fault looks at the sessions of the service it means to catch.
LOOK_EVERY_SECONDS = 0.01
# The table a service's transaction writes last, after its inbox claim and its work: the outbox, except in the
# console, which emits nothing as it follows the orders and writes each order's row after its timeline.
WRITTEN_LAST = {"console": "orders"}


@dataclass(frozen=True)
class Dose:
    """How hard the faults hit: the issue's figures by default; the fault tests take smaller ones."""

    broker_down_seconds: float = 10.0
    broker_pause_seconds: float = 30.0
    postgres_outage_seconds: float = 60.0
    service_down_seconds: float = 2.0
    churn_seconds: float = 20.0
    # Services given a second instance in the churn (the first ones of SERVICES).
    churn_services: int = len(SERVICES)
    # Longer than intake's handler timeout (10 s) times its attempts (3), with the other records of the order
    # timing out on the same lock in between.
    lock_seconds: float = 150.0
    backlog_rows: int = 100_000
    disk_full_seconds: float = 20.0
    # How long to try catching a service at the wanted moment (beside a commit, in its relay) before giving up.
    catch_seconds: float = 60.0


Fault = Callable[[Stack, Dose], Awaitable[str]]


async def _blocking(call: Callable, *args: object) -> object:
    """Stack's process controls block (supervisord's XML-RPC); run them beside the event loop."""
    return await asyncio.to_thread(call, *args)


@asynccontextmanager
async def _admin_database(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        yield connection
    finally:
        await connection.close()


# Kafka


async def _busy_partition(stack: Stack) -> int:
    """The partition of the busiest topic holding the most records."""
    consumer = AIOKafkaConsumer(**stack.kafka_admin.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(BUSY_TOPIC, p) for p in consumer.partitions_for_topic(BUSY_TOPIC) or {0}]
        ends = await consumer.end_offsets(partitions)
        return max(ends, key=ends.get).partition
    finally:
        await consumer.stop()


async def poison_record(stack: Stack, dose: Dose) -> str:
    """A malformed CloudEvent among the validated orders, written as the admin: every reader dead-letters it."""
    producer = AIOKafkaProducer(**stack.kafka_admin.client_options())
    await producer.start()
    key = f"POISON-{uuid.uuid4().hex[:8]}"
    try:
        await producer.send_and_wait(
            POISONED_TOPIC,
            key=key.encode(),
            value=b'{"id": "not an order", "items": [',
            headers=[
                ("ce_id", str(uuid.uuid4()).encode()),
                ("ce_type", OrderValidated.event_type.encode()),
                ("ce_source", b"chaos"),
                ("ce_specversion", b"1.0"),
            ],
        )
    finally:
        await producer.stop()
    return f"a malformed {OrderValidated.event_type} (key {key}) on {POISONED_TOPIC}"


async def replay_every_topic(stack: Stack, dose: Dose) -> str:
    """Every service stopped, its consumer group moved back to offset 0 on every partition it reads, and started
    again: each reads its whole history again, and its inbox must drop every record as a repeat."""
    for service in SERVICES:
        await _blocking(stack.stop, service.name)
    admin = AIOKafkaAdminClient(**stack.kafka_admin.client_options())
    await admin.start()
    try:
        rewound = 0
        for service in SERVICES:
            partitions = list(await admin.list_consumer_group_offsets(service.name))
            await _rewind(stack, group=service.name, partitions=partitions)
            rewound += len(partitions)
    finally:
        await admin.close()
    for service in SERVICES:
        await _blocking(stack.start, service.name)
    await _ready(stack, [service.name for service in SERVICES])
    return f"every service stopped, its group rewound to offset 0 ({rewound} partitions in all), started again"


async def _ready(stack: Stack, programs: list[str], *, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        for program in programs:
            while not await _answers_ok(client, f"{stack.service_url(program)}/readyz"):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{program} not ready {timeout:.0f} s after its start")
                await asyncio.sleep(0.25)


async def _answers_ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _rewind(stack: Stack, *, group: str, partitions: list[TopicPartition]) -> None:
    consumer = AIOKafkaConsumer(**stack.kafka_admin.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        await consumer.commit({partition: offset for partition, offset in beginnings.items()})
    finally:
        await consumer.stop()


# Services


@dataclass(frozen=True)
class _Connection:
    pid: int
    state: str
    in_transaction: bool
    # How long before `at` its last statement ended (negative: it ended after the clock was read).
    idle_before: float
    query: str
    relays: bool
    # Waiting for a lock the fault's own session holds.
    waits_on_fault: bool


async def _connections(
    database: asyncpg.Connection, role: str, *, at: datetime | None = None, lock_holder: int = 0
) -> list[_Connection]:
    """The service's database sessions, as of `at` (the database's clock; now when not given); the relay's is the one
    holding its outbox advisory lock."""
    rows = await database.fetch(
        """
        SELECT a.pid, coalesce(a.state, '') AS state, a.xact_start IS NOT NULL AS in_transaction,
               extract(epoch FROM coalesce($3, clock_timestamp()) - a.state_change) AS idle_before,
               coalesce(a.query, '') AS query,
               EXISTS (
                   SELECT 1 FROM pg_locks l
                   WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objsubid = 1
                     AND l.objid::bigint = (hashtext($2) :: bigint & 4294967295)
               ) AS relays,
               $4 = ANY(pg_blocking_pids(a.pid)) AS waits_on_fault
        FROM pg_stat_activity a
        WHERE a.usename = $1 AND a.backend_type = 'client backend'
        """,
        role,
        f"{role}.outbox_relay",
        at,
        lock_holder,
    )
    return [_Connection(**dict(row)) for row in rows]


def _just_committed(connections: list[_Connection]) -> bool:
    workers = [c for c in connections if not c.relays]
    return not any(c.in_transaction and c.state in ("active", "idle in transaction") for c in workers) and any(
        c.state == "idle" and c.idle_before < JUST_NOW_SECONDS and not c.query.startswith("SELECT 1") for c in workers
    )


async def _restarted(stack: Stack, dose: Dose, service: str, *, moment: str, caught: str | None) -> str:
    """Restart the service after the dose's time down: the fault SIGKILLed it at the moment it wanted, or, when it
    could not catch it there (`caught` None), it is SIGKILLed now. What the fault did."""
    if caught is None:
        await _blocking(stack.kill, service)
    await asyncio.sleep(dose.service_down_seconds)
    await _blocking(stack.restart, service)
    if caught is None:
        return f"SIGKILL {service}; NOT caught {moment} in {dose.catch_seconds:g} s"
    return f"SIGKILL {service} {moment} ({caught})"


async def kill_after_commit(stack: Stack, dose: Dose, service: str) -> str:
    """Pause the service (SIGSTOP) until its database sessions show a commit that ended moments before, with nothing
    begun since, then SIGKILL it; restart it. A paused service's sessions stay as they were: what Postgres shows is
    where the process stopped. Its offsets for what it had just committed are not yet in Kafka, so it is handed those
    records again and its inbox must drop them."""
    async with _admin_database(stack) as database:
        caught = await _kill_when_paused_just_after_a_commit(stack, service, database, within=dose.catch_seconds)
    return await _restarted(stack, dose, service, moment="just after a commit", caught=caught)


async def _kill_when_paused_just_after_a_commit(
    stack: Stack, service: str, database: asyncpg.Connection, *, within: float
) -> str | None:
    role = service_named(service).role
    tries = random.Random()
    give_up_at = time.monotonic() + within
    pauses = 0
    while time.monotonic() < give_up_at:
        pauses += 1
        paused_at = await database.fetchval("SELECT clock_timestamp()")
        await _blocking(stack.pause, service)
        if _just_committed(await _connections(database, role, at=paused_at)):
            await _blocking(stack.kill, service)
            return f"caught at pause {pauses}"
        await _blocking(stack.resume, service)
        await asyncio.sleep(tries.uniform(0.005, 0.08))
    return None


async def _kill_once_waiting(
    stack: Stack,
    dose: Dose,
    service: str,
    *,
    hold: Callable[[asyncpg.Connection, asyncpg.Connection], Awaitable[bool]],
    waits: Callable[[_Connection], bool],
    moment: str,
) -> str:
    """Hold a lock that the service's write at the wanted moment must wait for, SIGKILL the service as soon as one
    of its sessions `waits` on it, end its sessions still waiting, and only then let go; restart it. `hold` runs the
    locker's statements in its transaction and the watcher's outside any; False when there was nothing to lock yet.

    Ending the sessions is what the database does, sooner or later, for a client that died: a statement of the dead
    client run outside a transaction would otherwise still complete, and commit, once the lock is gone.
    """
    async with _admin_database(stack) as locker, _admin_database(stack) as watcher:
        caught = await _kill_when_waiting(
            stack, service, locker, watcher, hold=hold, waits=waits, within=dose.catch_seconds
        )
    return await _restarted(stack, dose, service, moment=moment, caught=caught)


async def _kill_when_waiting(
    stack: Stack,
    service: str,
    locker: asyncpg.Connection,
    watcher: asyncpg.Connection,
    *,
    hold: Callable[[asyncpg.Connection, asyncpg.Connection], Awaitable[bool]],
    waits: Callable[[_Connection], bool],
    within: float,
) -> str | None:
    """SIGKILL the service once one of its sessions waits on the lock `locker` holds, and say how soon; None when
    that did not happen `within` that many seconds."""
    role = service_named(service).role
    holder = locker.get_server_pid()
    started = time.monotonic()
    give_up_at = started + within
    while time.monotonic() < give_up_at:
        async with locker.transaction():
            if await hold(locker, watcher):
                while time.monotonic() < give_up_at:
                    if any(map(waits, await _connections(watcher, role, lock_holder=holder))):
                        await _blocking(stack.kill, service)
                        await watcher.execute(
                            "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a"
                            " WHERE a.usename = $1 AND $2 = ANY(pg_blocking_pids(a.pid))",
                            role,
                            holder,
                        )
                        return f"caught after {time.monotonic() - started:.1f} s"
                    await asyncio.sleep(LOOK_EVERY_SECONDS)
        await asyncio.sleep(LOOK_EVERY_SECONDS)
    return None


async def kill_before_commit(stack: Stack, dose: Dose, service: str) -> str:
    """SIGKILL the service inside a transaction that has claimed its records and done part of its work, uncommitted:
    the fault holds in SHARE mode a table the transaction writes last, so the transaction waits at that write. It
    rolls back; the records are handed to the service again after the restart and their work is done once."""
    table = f"{service_named(service).schema}.{WRITTEN_LAST.get(service, 'outbox')}"

    async def share_the_table(locker: asyncpg.Connection, _: asyncpg.Connection) -> bool:
        await locker.execute(f"LOCK TABLE {table} IN SHARE MODE")
        return True

    return await _kill_once_waiting(
        stack,
        dose,
        service,
        hold=share_the_table,
        waits=lambda c: c.waits_on_fault and c.in_transaction and not c.relays,
        moment=f"inside a transaction, at its write to {table}",
    )


async def kill_relay_between_publish_and_mark(stack: Stack, dose: Dose) -> str:
    """SIGKILL intake while its relay has sent outbox rows to Kafka and not marked them published: the fault share-
    locks the unpublished rows, so the relay's mark of them waits. They are published again after the restart, and
    every reader must drop the repeats.

    Among the rows is always one the fault puts back (a published row copied as unpublished, as if its mark had been
    lost), locked before the relay is woken to it: intake's own rows are sent and marked within milliseconds, and a
    quiet flow may have none to lock when the fault looks."""
    wake_the_relay = outbox_channel(service_metadata("intake")[1])

    async def share_the_unpublished_rows(locker: asyncpg.Connection, watcher: asyncpg.Connection) -> bool:
        await _unmark_copies(watcher, 1)
        locked = await locker.fetch("SELECT 1 FROM intake.outbox WHERE published_at IS NULL FOR SHARE")
        await watcher.execute("SELECT pg_notify($1, '')", wake_the_relay)
        return bool(locked)

    return await _kill_once_waiting(
        stack,
        dose,
        "intake",
        hold=share_the_unpublished_rows,
        waits=lambda c: c.waits_on_fault and c.relays,
        moment="with its relay between publishing and marking",
    )


async def slow_handler(stack: Stack, dose: Dose) -> str:
    """Hold the row lock of the newest order still moving (as an SRE's stuck session would) for `lock_seconds`,
    longer than intake's handler timeout times its attempts: the records of the order's next stages time out on it
    until one is dead-lettered with its reason (written once the lock is gone); the partitions flow on meanwhile."""
    async with _admin_database(stack) as database:
        async with database.transaction():
            order_id = await database.fetchval(
                "SELECT id FROM intake.orders WHERE state = 'inProgress' AND stage <> 'ratified'"
                " ORDER BY created_at DESC LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            if order_id is None:
                raise RuntimeError("no order moving through the pipeline to hold the lock of")
            await asyncio.sleep(dose.lock_seconds)
        reason = None
        for _ in range(DEAD_LETTER_WAIT_SECONDS):
            reason = await database.fetchval(
                "SELECT reason FROM intake.dead_letters WHERE key = $1 ORDER BY created_at DESC LIMIT 1", order_id
            )
            if reason is not None:
                break
            await asyncio.sleep(1.0)
    held = f"held the row lock of intake's order {order_id} for {dose.lock_seconds:g} s"
    return f"{held}: dead-lettered, {reason}" if reason else f"{held}; NOT dead-lettered"


async def poison_outbox_row(stack: Stack, dose: Dose) -> str:
    """An outbox row Kafka refuses (larger than any topic takes) in intake's outbox: its relay dead-letters the row
    and goes on with the rows behind it."""
    key = f"POISON-{uuid.uuid4().hex[:8]}"
    async with _admin_database(stack) as database:
        await database.execute(
            """
            INSERT INTO intake.outbox (id, aggregate_type, aggregate_id, type, topic, payload, headers)
            VALUES ($1, 'order', $2, $3, $4, $5, $6::jsonb)
            """,
            str(uuid.uuid4()),
            key,
            OrderReceived.event_type,
            BUSY_TOPIC,
            bytes(OVERSIZED_BYTES),
            json.dumps({"ce_id": str(uuid.uuid4()), "ce_type": OrderReceived.event_type, "ce_source": "chaos"}),
        )
    return f"a {OVERSIZED_BYTES // 1024 // 1024} MiB outbox row (key {key}) in intake's outbox"


async def relay_backlog(stack: Stack, dose: Dose) -> str:
    """`backlog_rows` copies of intake's published outbox rows as unpublished rows with the SAME event ids, as if the
    relay had lost its marks: the relay drains them, and every reader drops them as repeats."""
    async with _admin_database(stack) as database:
        copied = await _unmark_copies(database, dose.backlog_rows)
    return f"{copied} already-published outbox rows of intake copied back as unpublished"


async def _unmark_copies(database: asyncpg.Connection, rows: int) -> int:
    """Copy intake's published outbox rows, oldest first and round again, `rows` times as unpublished rows (new row
    ids, the same events); how many were copied."""
    return await database.fetchval(
        """
        WITH published AS (
            SELECT aggregate_type, aggregate_id, type, topic, payload, headers, traceparent, tracestate, order_version,
                   row_number() OVER (ORDER BY seq) AS n, count(*) OVER () AS total
            FROM intake.outbox WHERE published_at IS NOT NULL
        ), copied AS (
            INSERT INTO intake.outbox (
                id, aggregate_type, aggregate_id, type, topic, payload, headers, traceparent, tracestate, order_version
            )
            SELECT gen_random_uuid(), p.aggregate_type, p.aggregate_id, p.type, p.topic, p.payload, p.headers,
                   p.traceparent, p.tracestate, p.order_version
            FROM generate_series(0, $1 - 1) AS i
            JOIN published p ON p.n = i % p.total + 1
            ORDER BY i
            RETURNING 1
        )
        SELECT count(*) FROM copied
        """,
        rows,
    )


# Infrastructure (each returns once the stack is whole again)


async def kill_partition_leader(
    stack: Stack, topic: str = BUSY_TOPIC, partition: int = 0, *, down_for: float = 5.0
) -> str:
    """SIGKILL the broker leading `partition` of `topic`, start it again after `down_for` seconds and wait until
    it is back in sync everywhere; return its program."""
    program = await asyncio.to_thread(stack.partition_leader, topic, partition)
    await asyncio.to_thread(stack.kill, program)
    await asyncio.sleep(down_for)
    await asyncio.to_thread(stack.restart, program)
    await fully_replicated(stack)
    return program


async def pause_broker(stack: Stack, program: str | None = None, *, seconds: float = 30.0) -> str:
    """SIGSTOP a broker (by default the leader of the busy topic's partition 0) for `seconds`, a hung node that
    keeps its sockets open, then SIGCONT it and wait until it is back in sync everywhere; return its program."""
    program = program or await asyncio.to_thread(stack.partition_leader, BUSY_TOPIC, 0)
    await asyncio.to_thread(stack.pause, program)
    try:
        await asyncio.sleep(seconds)
    finally:
        await asyncio.to_thread(stack.resume, program)
    await fully_replicated(stack)
    return program


async def fully_replicated(stack: Stack, *, timeout: float = 120.0) -> None:
    """Wait until every partition of the catalogue's topics has all its replicas in sync again."""
    deadline = asyncio.get_running_loop().time() + timeout
    while lagging := await asyncio.to_thread(stack.under_replicated_partitions):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(lagging)} partitions still under-replicated after {timeout:.0f} s: {lagging}")
        await asyncio.sleep(1)


async def restart_postgres_immediately(stack: Stack) -> float:
    """Postgres shut down in immediate mode (no checkpoint, every connection cut) and started again: crash
    recovery. Return seconds until it served again."""
    return await asyncio.to_thread(stack.restart_postgres_immediately)


async def postgres_outage(stack: Stack, seconds: float = 60.0) -> None:
    """Postgres stopped (fast shutdown) for `seconds`, then started again and ready."""
    await asyncio.to_thread(stack.stop, "postgres")
    try:
        await asyncio.sleep(seconds)
    finally:
        await asyncio.to_thread(stack.restart, "postgres")


async def fill_and_free_disk(stack: Stack, seconds: float = 20.0) -> bool:
    """Fill Postgres's volume for `seconds` (writes fail; a checkpoint or a new WAL segment PANICs the server,
    whose crash recovery then fails for want of space), then free it, starting Postgres again if it went down.
    Return whether it had to be started."""
    await asyncio.to_thread(stack.fill_database_disk)
    try:
        await asyncio.sleep(seconds)
    finally:
        restarted = await asyncio.to_thread(stack.free_database_disk)
    return restarted


async def churn_instances(stack: Stack, service: str, *, instances: int = 1, seconds: float = 20.0) -> list[str]:
    """Add `instances` more processes of `service` (its consumer group rebalances onto them), keep them for
    `seconds`, then remove them again (it rebalances back); return their programs."""
    added = []
    try:
        for _ in range(instances):
            added.append(await asyncio.to_thread(stack.add_instance, service))
        await asyncio.sleep(seconds)
    finally:
        for program in reversed(added):
            await asyncio.to_thread(stack.remove_instance, program)
    return added


# The infrastructure primitives above as faults of the schedule


async def broker_kill(stack: Stack, dose: Dose) -> str:
    """SIGKILL the broker leading the fullest partition of the busy topic; started again, back in sync."""
    partition = await _busy_partition(stack)
    program = await kill_partition_leader(stack, BUSY_TOPIC, partition, down_for=dose.broker_down_seconds)
    return f"SIGKILL {program}, leader of {BUSY_TOPIC}[{partition}], started after {dose.broker_down_seconds:g} s"


async def broker_pause(stack: Stack, dose: Dose) -> str:
    """SIGSTOP the broker leading the fullest partition of the busy topic, then SIGCONT; back in sync."""
    partition = await _busy_partition(stack)
    leader = await asyncio.to_thread(stack.partition_leader, BUSY_TOPIC, partition)
    await pause_broker(stack, leader, seconds=dose.broker_pause_seconds)
    return f"SIGSTOP {leader}, leader of {BUSY_TOPIC}[{partition}], for {dose.broker_pause_seconds:g} s"


async def postgres_restart(stack: Stack, dose: Dose) -> str:
    seconds = await restart_postgres_immediately(stack)
    return f"immediate shutdown, crash recovery, serving again in {seconds:.1f} s"


async def postgres_down(stack: Stack, dose: Dose) -> str:
    await postgres_outage(stack, dose.postgres_outage_seconds)
    return f"Postgres stopped for {dose.postgres_outage_seconds:g} s"


async def group_churn(stack: Stack, dose: Dose) -> str:
    """A second instance of each service in turn joins its consumer group, works a while and leaves."""
    added = []
    for service in SERVICES[: dose.churn_services]:
        added += await churn_instances(stack, service.name, seconds=dose.churn_seconds)
    return f"added and removed {', '.join(added)}"


async def disk_full(stack: Stack, dose: Dose) -> str:
    restarted = await fill_and_free_disk(stack, dose.disk_full_seconds)
    return f"Postgres volume full for {dose.disk_full_seconds:g} s, then freed" + (
        "; Postgres had stopped and was started again" if restarted else ""
    )


FAULTS: dict[str, Fault] = {
    "broker-kill": broker_kill,
    "broker-pause": broker_pause,
    **{f"kill-{s.name}-before-commit": functools.partial(kill_before_commit, service=s.name) for s in SERVICES},
    **{f"kill-{s.name}-after-commit": functools.partial(kill_after_commit, service=s.name) for s in SERVICES},
    "relay-kill": kill_relay_between_publish_and_mark,
    "postgres-restart": postgres_restart,
    "postgres-outage": postgres_down,
    "group-churn": group_churn,
    "slow-handler": slow_handler,
    "poison-record": poison_record,
    "poison-outbox-row": poison_outbox_row,
    "replay": replay_every_topic,
    "relay-backlog": relay_backlog,
    "disk-full": disk_full,
}
