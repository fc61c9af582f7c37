"""Faults written into a service's tables as an SRE's session would: a row lock held, a poison outbox row, a
backlog of outbox rows to publish again."""

import asyncio
import json
import time
import uuid

import asyncpg

from orderdesk_shared.events.intake import OrderReceived
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.faults.base import BUSY_TOPIC, LOOK_EVERY_SECONDS, Dose, FaultMissed, admin_database
from orderdesk_stack.stack import Stack

# Larger than any topic's max.message.bytes (and the producer's max.request.size): Kafka refuses such a record.
OVERSIZED_BYTES = 2 * 1024 * 1024
# How often a slow handler looks for the dead letter it waits for.
LOOK_FOR_THE_DEAD_LETTER_SECONDS = 1.0
# The newest qualifications serviceability wrote that a slow handler looks among for one intake has not yet handled.
RECENT_QUALIFICATIONS = 50


async def slow_handler(stack: Stack, dose: Dose) -> str:
    """Hold the row lock of an order whose qualification is on its way to intake (as an SRE's stuck session would)
    until intake dead-letters a record of the order with its reason, `lock_seconds` at most: the qualification (and
    the order's later records) time out on the lock until one has used its attempts; the partitions flow on."""
    async with admin_database(stack) as database, database.transaction():
        order_id = await _lock_an_order_about_to_move(database, within=dose.catch_seconds)
        if order_id is None:
            raise RuntimeError(f"no order was qualified in {dose.catch_seconds:g} s")
        locked_at = time.monotonic()
        reason = await _dead_lettered(database, order_id, within=dose.lock_seconds)
        held = f"held the row lock of intake's order {order_id} for {time.monotonic() - locked_at:.0f} s"
    if reason is None:
        raise FaultMissed(f"{held}; nothing was dead-lettered")
    return f"{held}, until intake dead-lettered a record of it: {reason}"


async def _dead_lettered(database: asyncpg.Connection, order_id: str, *, within: float) -> str | None:
    """Why intake dead-lettered a record about the order, once it has (each look sees what committed before it,
    inside the lock's transaction too); None when it did not `within` that many seconds."""
    give_up_at = time.monotonic() + within
    while time.monotonic() < give_up_at:
        reason = await database.fetchval(
            "SELECT reason FROM intake.dead_letters WHERE key = $1 AND created_at >= transaction_timestamp()"
            " ORDER BY created_at LIMIT 1",
            order_id,
        )
        if reason is not None:
            return reason
        await asyncio.sleep(LOOK_FOR_THE_DEAD_LETTER_SECONDS)
    return None


async def _lock_an_order_about_to_move(database: asyncpg.Connection, *, within: float) -> str | None:
    """Row-lock an order that serviceability has qualified and intake has not yet heard so, once there is one: the
    qualification is sure to come and wait on the lock (an order that is merely moving may next wait minutes for
    people: a survey, an approval, an install). None when there was none `within` that many seconds."""
    give_up_at = time.monotonic() + within
    while time.monotonic() < give_up_at:
        order_id = await database.fetchval(
            """
            WITH qualified AS (
                SELECT aggregate_id FROM serviceability.outbox WHERE topic = $1 ORDER BY seq DESC LIMIT $2
            )
            SELECT o.id FROM intake.orders o
            WHERE o.id IN (SELECT aggregate_id FROM qualified) AND o.state = 'inProgress' AND o.stage = $3
            ORDER BY o.created_at DESC LIMIT 1 FOR UPDATE OF o SKIP LOCKED
            """,
            ServiceabilityQualified.topic,
            RECENT_QUALIFICATIONS,
            Stage.VALIDATED,
        )
        if order_id is not None:
            return order_id
        await asyncio.sleep(LOOK_EVERY_SECONDS)
    return None


async def poison_outbox_row(stack: Stack, dose: Dose) -> str:
    """An outbox row Kafka refuses (larger than any topic takes) in intake's outbox: its relay dead-letters the row
    and goes on with the rows behind it."""
    key = f"POISON-{uuid.uuid4().hex[:8]}"
    async with admin_database(stack) as database:
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
    async with admin_database(stack) as database:
        copied = await unmark_copies(database, dose.backlog_rows)
    return f"{copied} already-published outbox rows of intake copied back as unpublished"


async def unmark_copies(database: asyncpg.Connection, rows: int) -> int:
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
