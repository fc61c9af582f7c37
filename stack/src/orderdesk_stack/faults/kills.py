"""Services SIGKILLed at the moment that hurts: inside a transaction, just after a commit, with the relay between
publishing and marking. A fault catches the moment from outside, by what Postgres shows of the service's sessions."""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from orderdesk_shared.db import outbox_channel
from orderdesk_shared.messaging import service_metadata
from orderdesk_stack.faults.base import LOOK_EVERY_SECONDS, Dose, FaultMissed, admin_database, blocking
from orderdesk_stack.faults.rows import unmark_copies
from orderdesk_stack.services import service_named
from orderdesk_stack.stack import Stack

# A paused session whose last statement ended this recently before the pause was caught right after it (a busy
# service's sessions are never idle for longer between a statement and the work that follows it). Measured from the
# database's clock read just before the pause, not when the sessions are read after it: on a loaded machine the
# pause and that read take longer than the moment itself.
JUST_NOW_SECONDS = 0.05
# The table a service's transaction writes last, after its inbox claim and its work: the outbox, except in the
# console, which emits nothing as it follows the orders and writes each order's row after its timeline.
WRITTEN_LAST = {"console": "orders"}


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
    """One of the service's own sessions (not its relay's) committed moments ago and has begun nothing since. Its
    other sessions may be inside a transaction: a busy service always has one, and SIGKILL rolls it back."""
    return any(
        not c.relays and c.state == "idle" and c.idle_before < JUST_NOW_SECONDS and c.query.upper().startswith("COMMIT")
        for c in connections
    )


async def _restarted(stack: Stack, dose: Dose, service: str, *, moment: str, caught: str | None) -> str:
    """Restart the service after the dose's time down: the fault SIGKILLed it at the moment it wanted, or, when it
    could not catch it there (`caught` None), it is SIGKILLed now, and the fault missed. What the fault did."""
    if caught is None:
        await blocking(stack.kill, service)
    await asyncio.sleep(dose.service_down_seconds)
    await blocking(stack.restart, service)
    if caught is None:
        raise FaultMissed(f"SIGKILL {service}, not caught {moment} in {dose.catch_seconds:g} s")
    return f"SIGKILL {service} {moment} ({caught})"


async def kill_after_commit(stack: Stack, dose: Dose, service: str) -> str:
    """Pause the service (SIGSTOP) until its database sessions show a commit that ended moments before, with nothing
    begun since, then SIGKILL it; restart it. A paused service's sessions stay as they were: what Postgres shows is
    where the process stopped. Its offsets for what it had just committed are not yet in Kafka, so it is handed those
    records again and its inbox must drop them."""
    async with admin_database(stack) as database:
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
        await blocking(stack.pause, service)
        if _just_committed(await _connections(database, role, at=paused_at)):
            await blocking(stack.kill, service)
            return f"caught at pause {pauses}"
        await blocking(stack.resume, service)
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
    async with admin_database(stack) as locker, admin_database(stack) as watcher:
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
                        await blocking(stack.kill, service)
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
        await unmark_copies(watcher, 1)
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
