"""The Postgres baseline of `make bench`: what this machine's Postgres commits for one service's write pattern.

A consumer's poll, written as a careful engineer would with plain asyncpg: in one transaction, claim the batch's
message ids in the inbox (one INSERT ... SELECT unnest ... ON CONFLICT DO NOTHING RETURNING), upsert the batch's
state rows (one INSERT ... ON CONFLICT DO UPDATE from arrays), and insert the batch's outbox rows (one INSERT from
arrays, after the outbox's advisory lock and NOTIFY, as the services do). A few writers at once, as several
services write at once. Run on the stack's own Postgres in a scratch schema, dropped after.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

# Writers at once: about as many services as write at the same time in the pipeline.
WRITERS = 4
SECONDS_PER_BATCH_SIZE = 5.0
# A whole poll as one transaction, and one record per transaction (the cost structure before batching).
BATCH_SIZES = (1, 100)

SCHEMA_DDL = """
CREATE TABLE {schema}.inbox (
    consumer text NOT NULL, message_id text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id));
CREATE TABLE {schema}.order_state (
    order_id text PRIMARY KEY, order_version integer NOT NULL, state text NOT NULL, details jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE {schema}.outbox (
    id uuid PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE, aggregate_type text NOT NULL,
    aggregate_id text NOT NULL, type text NOT NULL, topic text NOT NULL, payload bytea NOT NULL,
    headers jsonb NOT NULL, traceparent text, order_version integer,
    created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
CREATE INDEX ON {schema}.outbox (seq) WHERE published_at IS NULL;
"""
CLAIM = (
    "INSERT INTO {schema}.inbox (consumer, message_id) SELECT $1, unnest($2::text[]) "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)
UPSERT_STATE = (
    "INSERT INTO {schema}.order_state (order_id, order_version, state, details) "
    "SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[]) "
    "ON CONFLICT (order_id) DO UPDATE SET order_version = EXCLUDED.order_version, state = EXCLUDED.state, "
    "details = EXCLUDED.details, updated_at = now() WHERE order_state.order_version <= EXCLUDED.order_version"
)
LOCK_AND_NOTIFY = "SELECT pg_advisory_xact_lock(hashtext('{schema}.outbox')), pg_notify('{schema}_outbox', '')"
INSERT_OUTBOX = (
    "INSERT INTO {schema}.outbox (id, aggregate_type, aggregate_id, type, topic, payload, headers, traceparent, "
    "order_version) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], "
    "$7::jsonb[], $8::text[], $9::int[])"
)


@dataclass(frozen=True)
class PostgresRate:
    batch_size: int
    writers: int
    commits: int
    seconds: float
    commits_per_second: float
    rows_per_second: float
    # Rows here are records handled: each is one inbox row, one state row and one outbox row.
    postgres_cpu_ms_per_row: float


async def postgres_baseline(
    admin_url: str,
    *,
    payload: bytes,
    postgres_cpu_seconds: Callable[[], float],
    seconds: float = SECONDS_PER_BATCH_SIZE,
) -> list[PostgresRate]:
    """Commits and rows per second for each of BATCH_SIZES, WRITERS writers at once, `seconds` each."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        await admin.execute(SCHEMA_DDL.format(schema=schema))
        rates = []
        for batch_size in BATCH_SIZES:
            rates.append(
                await _rate(
                    admin_url,
                    schema,
                    batch_size=batch_size,
                    payload=payload,
                    seconds=seconds,
                    postgres_cpu_seconds=postgres_cpu_seconds,
                )
            )
        return rates
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def _rate(
    admin_url: str,
    schema: str,
    *,
    batch_size: int,
    payload: bytes,
    seconds: float,
    postgres_cpu_seconds: Callable[[], float],
) -> PostgresRate:
    connections = [await asyncpg.connect(admin_url) for _ in range(WRITERS)]
    try:
        cpu_before = postgres_cpu_seconds()
        started = time.monotonic()
        deadline = started + seconds
        commits = await asyncio.gather(
            *(
                _write_until(connection, schema, writer=n, batch_size=batch_size, payload=payload, deadline=deadline)
                for n, connection in enumerate(connections)
            )
        )
        elapsed = time.monotonic() - started
        cpu = postgres_cpu_seconds() - cpu_before
    finally:
        for connection in connections:
            await connection.close()
    total = sum(commits)
    return PostgresRate(
        batch_size=batch_size,
        writers=WRITERS,
        commits=total,
        seconds=round(elapsed, 2),
        commits_per_second=round(total / elapsed, 1),
        rows_per_second=round(total * batch_size / elapsed, 1),
        postgres_cpu_ms_per_row=round(cpu * 1000 / (total * batch_size), 3),
    )


async def _write_until(
    connection: asyncpg.Connection, schema: str, *, writer: int, batch_size: int, payload: bytes, deadline: float
) -> int:
    """One service's polls, one transaction each, until `deadline`; how many it committed."""
    claim, upsert, lock, insert = [
        await connection.prepare(sql.format(schema=schema))
        for sql in (CLAIM, UPSERT_STATE, LOCK_AND_NOTIFY, INSERT_OUTBOX)
    ]
    headers = json.dumps({"source": "bench"})
    commits = 0
    while time.monotonic() < deadline:
        ids = [f"{writer}-{commits}-{n}" for n in range(batch_size)]
        async with connection.transaction():
            claimed = [row["message_id"] for row in await claim.fetch(f"writer-{writer}", ids)]
            await upsert.fetch(claimed, [1] * len(claimed), ["accepted"] * len(claimed), [headers] * len(claimed))
            await lock.fetch()
            await insert.fetch(
                [uuid.uuid4() for _ in claimed],
                ["order"] * len(claimed),
                claimed,
                ["OrderAccepted"] * len(claimed),
                ["orders.accepted"] * len(claimed),
                [payload] * len(claimed),
                [headers] * len(claimed),
                [None] * len(claimed),
                [1] * len(claimed),
            )
        commits += 1
    return commits
