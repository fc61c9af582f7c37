"""Infrastructure faults injected from outside while orders flow, each with its recovery: the fault tests and
`orderdesk chaos` run them against a running Stack. Each returns once the stack is whole again."""

import asyncio

from orderdesk_stack.stack import Stack

# Every accepted order's first event; keyed by order id, so each of its partitions carries a share of the flow.
BUSY_TOPIC = "orders.received"


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
