"""The CPU each program of the stack spends, so the bench can say where an order's cost goes."""

import asyncio
import time
from collections.abc import Mapping

import psutil

from orderdesk_stack.stack import Stack

# At rest the stack's timers, polls and Kafka's housekeeping use about a tenth of one core together;
# below a quarter of a core, what it was handed is done.
IDLE_CORE_SHARE = 0.25
SETTLE_TIMEOUT_SECONDS = 120.0


def cpu_seconds_by_program(stack: Stack) -> dict[str, float]:
    """CPU seconds each supervised program has used so far, its child processes (Postgres backends) included."""
    used: dict[str, float] = {}
    for info in stack.supervisor.processes():
        if not info["pid"]:
            continue
        try:
            program = psutil.Process(info["pid"])
            family = [program, *program.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        used[info["name"]] = sum(_cpu_seconds(process) for process in family)
    return used


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    # A child that has exited moves its seconds into its parent's children_* figures.
    return times.user + times.system + times.children_user + times.children_system


async def settled(stack: Stack, *, timeout: float = SETTLE_TIMEOUT_SECONDS) -> dict[str, float]:
    """Wait until the stack is at rest (every consumer has caught up); the CPU seconds by program then."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds_by_program(stack)
    while True:
        await asyncio.sleep(1.0)
        after = cpu_seconds_by_program(stack)
        if sum(after.values()) - sum(before.values()) < IDLE_CORE_SHARE:
            return after
        if time.monotonic() > deadline:
            raise TimeoutError(f"the stack was still busy {timeout:.0f} s after the pipeline round")
        before = after


def spent_between(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each program spent from one reading to the next."""
    return {name: after[name] - before.get(name, 0.0) for name in after}
