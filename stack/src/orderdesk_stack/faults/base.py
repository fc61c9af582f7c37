"""What every fault takes and uses: its dose, the admin's database session, the stack's process controls."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from orderdesk_shared.events.intake import OrderReceived
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

# Every accepted order's first event; keyed by order id, so each of its partitions carries a share of the flow.
BUSY_TOPIC = OrderReceived.topic
# How often a fault looks again for the moment it waits for (a session at a lock, an order moving).
LOOK_EVERY_SECONDS = 0.01


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
    # How long a slow handler's lock is held at most, waiting for the dead letter: far longer than intake's handler
    # timeout (10 s) times its attempts (3), since the order's later records time out on the same lock in between
    # (other services move the order on meanwhile; in a busy stream, 150 s was once not enough).
    lock_seconds: float = 600.0
    backlog_rows: int = 100_000
    disk_full_seconds: float = 20.0
    # How long a fault looks for its moment (a service beside a commit, its relay between publishing and marking, an
    # order moving) before giving up.
    catch_seconds: float = 60.0


Fault = Callable[[Stack, Dose], Awaitable[str]]


class FaultMissed(Exception):
    """The fault struck and healed, but not at the moment it is meant to hurt (a commit it never caught, a lock no
    record came to wait on): the run went on unhurt there, and says so. Its message is what the fault did."""


async def blocking(call: Callable, *args: object) -> object:
    """Stack's process controls block (supervisord's XML-RPC); run them beside the event loop."""
    return await asyncio.to_thread(call, *args)


@asynccontextmanager
async def admin_database(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        yield connection
    finally:
        await connection.close()
