"""Brokers and Postgres killed, paused, stopped or starved of disk, and consumer groups churned; each primitive
returns once the stack is whole again, and the faults of the schedule are built on them."""

import asyncio

from orderdesk_stack.faults.base import BUSY_TOPIC, Dose
from orderdesk_stack.faults.kafka import busy_partition
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack


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
    partition = await busy_partition(stack)
    program = await kill_partition_leader(stack, BUSY_TOPIC, partition, down_for=dose.broker_down_seconds)
    return f"SIGKILL {program}, leader of {BUSY_TOPIC}[{partition}], started after {dose.broker_down_seconds:g} s"


async def broker_pause(stack: Stack, dose: Dose) -> str:
    """SIGSTOP the broker leading the fullest partition of the busy topic, then SIGCONT; back in sync."""
    partition = await busy_partition(stack)
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
