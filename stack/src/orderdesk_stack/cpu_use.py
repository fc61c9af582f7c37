"""The CPU and memory each program of the stack uses, so the bench can say where an order's cost goes."""

import asyncio
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import psutil

from orderdesk_stack.postgres_server import PROGRAM_NAME as POSTGRES

if TYPE_CHECKING:  # the bus baseline's hop processes import this module, and the stack's is a heavy import
    from orderdesk_stack.stack import Stack

# At rest the stack's timers, polls and Kafka's housekeeping use about a tenth of one core together;
# below a quarter of a core, what it was handed is done.
IDLE_CORE_SHARE = 0.25
SETTLE_TIMEOUT_SECONDS = 120.0
# Long enough to average the idle timers (relay polls, purges, metadata refreshes) of every program.
IDLE_SAMPLE_SECONDS = 10.0
MIB = 1024 * 1024


def cpu_seconds_by_program(stack: "Stack") -> dict[str, float]:
    """CPU seconds each supervised program has used so far, its child processes (Postgres backends) included."""
    return {name: sum(process_cpu_seconds(process) for process in family) for name, family in _families(stack)}


def _families(stack: "Stack") -> Iterator[tuple[str, list[psutil.Process]]]:
    """Each running supervised program's name, with its process and their children (Postgres backends)."""
    for info in stack.supervisor.processes():
        if not info["pid"]:
            continue
        try:
            program = psutil.Process(info["pid"])
            children = program.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        yield info["name"], [program, *children]


def process_cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds of `process`, its exited children's included."""
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    # A child that has exited moves its seconds into its parent's children_* figures.
    return times.user + times.system + times.children_user + times.children_system


async def settled(stack: "Stack", *, timeout: float = SETTLE_TIMEOUT_SECONDS) -> dict[str, float]:
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


async def idle_cores(stack: "Stack", *, seconds: float = IDLE_SAMPLE_SECONDS) -> dict[str, float]:
    """What each program spends at rest, in cores (CPU seconds per second): its timers and polls."""
    before = cpu_seconds_by_program(stack)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    after = cpu_seconds_by_program(stack)
    elapsed = time.monotonic() - started
    return {name: max(0.0, spent / elapsed) for name, spent in spent_between(before, after).items()}


def without_idle(spent: Mapping[str, float], idle: Mapping[str, float], *, seconds: float) -> dict[str, float]:
    """CPU seconds each program spent beyond what it spends at rest over `seconds` (never below zero)."""
    return {name: max(0.0, used - idle.get(name, 0.0) * seconds) for name, used in spent.items()}


def resident_mib_by_program(stack: "Stack") -> dict[str, float]:
    """Resident memory of each supervised program, in MiB.

    A service or Kafka: the RSS of its process (and children, if any). Postgres: the PSS (proportional set size) of
    the postmaster and its backends, since they share the buffer pool and an RSS sum would count it once each.
    """
    return {
        name: round(sum(_resident_bytes(process, proportional=name == POSTGRES) for process in family) / MIB, 1)
        for name, family in _families(stack)
    }


def _resident_bytes(process: psutil.Process, *, proportional: bool) -> int:
    try:
        return process.memory_full_info().pss if proportional else process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0
