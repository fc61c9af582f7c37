"""The invariant checker (issue #16): after a run, did every order end somewhere with a reason, did no effect
happen twice, did states only move forward, and is nothing left in flight?

It reads what the services keep (Postgres, as the admin) and every topic from offset 0 (as the Kafka admin), with
set-based queries and batched reads, so a run of 100,000 orders is checked in minutes. It changes nothing.
"""

import time
from collections.abc import Collection
from datetime import datetime

import asyncpg

from orderdesk_stack.invariants.accounts import Elsewhere, OrderAccount, OrderAtIntake, account_for
from orderdesk_stack.invariants.dead_letters import orders_dead_letters, replayed_dead_letters
from orderdesk_stack.invariants.drain import drained, outstanding_work
from orderdesk_stack.invariants.report import InvariantReport
from orderdesk_stack.invariants.rules import unclassified_event_types
from orderdesk_stack.invariants.service_records import (
    orders_at_intake,
    outbox_effects_twice,
    reasons_elsewhere,
    rows_twice,
)
from orderdesk_stack.invariants.topic_records import read_topics
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.stack import Stack

__all__ = [
    "Elsewhere",
    "InvariantReport",
    "OrderAccount",
    "OrderAtIntake",
    "account_for",
    "check_invariants",
    "outstanding_work",
    "unclassified_event_types",
]


async def check_invariants(
    stack: Stack,
    *,
    order_ids: Collection[str] | None = None,
    drain_timeout: float = 60.0,
    orders_since: datetime | None = None,
) -> InvariantReport:
    """Wait (up to `drain_timeout` seconds) for every consumer group and outbox to drain, then check the invariants
    for `order_ids` (default: every order intake knows, or those it created from `orders_since` on)."""
    started = time.monotonic()
    kafka = stack.kafka_admin
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        undrained = await drained(kafka, database, timeout=drain_timeout)
        orders = await orders_at_intake(database, order_ids, orders_since)
        wanted = list(orders)
        elsewhere = await reasons_elsewhere(database, wanted)
        dead_letters = await orders_dead_letters(database, wanted)
        replayed = await replayed_dead_letters(database, wanted)
        stored_twice = [*await outbox_effects_twice(database, wanted), *await rows_twice(database, wanted)]
    finally:
        await database.close()
    topics = await read_topics(kafka, set(wanted), replayed)
    for order_id, reasons in topics.dead_letters.items():
        dead_letters[order_id] = list(dict.fromkeys([*dead_letters[order_id], *reasons]))
    accounts = {
        order_id: account_for(order, elsewhere=elsewhere.get(order_id, []), dead_letters=dead_letters.get(order_id, []))
        for order_id, order in orders.items()
    }
    return InvariantReport(
        accounts=accounts,
        lost=[order_id for order_id, account in accounts.items() if account.ending == "unaccounted"],
        duplicated=[*topics.duplicated, *stored_twice],
        regressions=topics.regressions,
        undrained=undrained,
        records_read=topics.records,
        seconds=time.monotonic() - started,
    )
