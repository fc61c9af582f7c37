"""`orderdesk chaos`: a stack of its own (three brokers, Postgres on a small volume), everybody at work on a stream of
orders, faults injected one after another while the orders flow, and the invariant checker's verdict at the end."""

import asyncio
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from orderdesk_stack.demo import APPROVAL_SHARE, ENDED, GRAND_RAPIDS_SHARE, WAITING
from orderdesk_stack.desk import DeskAtWork, People
from orderdesk_stack.faults import FAULTS, LYING_IN_WAIT, Dose, FaultMissed
from orderdesk_stack.invariants import InvariantReport, check_invariants, outstanding_work
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.paths import default_run_dir
from orderdesk_stack.pipeline import PipelineWatcher
from orderdesk_stack.stack import Stack

KAFKA_BROKERS = 3
POSTGRES_VOLUME_MB = 1024
# Room on the volume for each order's rows, events and WAL, with a margin: a soak must not
# fill the disk except when the disk-full fault does.
VOLUME_MB_PER_ORDER = 0.1
# How long people keep trying while a service is down: longer than any fault keeps one down.
PATIENCE_SECONDS = 600.0
# From this many orders the brokers' full JIT saves more CPU (~8 ms of the cluster's per order, once warm) than its
# compiler spends warming up (~60 s of the cluster's).
FULL_JIT_FROM_ORDERS = 10_000
# Orders submitted before a fault strikes (so that it strikes into a flowing stream), but never more than half its
# slice.
FLOWING_BEFORE_A_FAULT = 5
# A fault lying in wait for a service's next write takes its lock this long before its slice is sent: the slice's
# orders come in bursts, and a lock taken once a burst is stored may wait for a write that no later order brings.
ARMING_SECONDS = 2.0
FULL_DOSE = Dose()
AT_REST = {str(state) for state in (*ENDED, *WAITING)}
# Orders still moving on the topics that the run asks intake about, one request each, when it waits for them.
ASK_INTAKE_ABOUT_AT_MOST = 50
# The run looks at the orders' progress every half second: its watcher's news may be that late.
WATCH_EVERY = 0.5


def chaos_run_dir() -> Path:
    """Beside the local stack's state, never in it: the chaos run has its own stack."""
    return default_run_dir() / "chaos"


def volume_for(orders: int) -> int:
    """The Postgres volume (MiB) a run of `orders` orders needs."""
    return POSTGRES_VOLUME_MB + round(orders * VOLUME_MB_PER_ORDER)


def chaos_stack(run_dir: Path, *, postgres_volume_mb: int | None = POSTGRES_VOLUME_MB, orders: int = 0) -> Stack:
    """A stack of three brokers on free ports (never the local stack's), its Postgres data on a small volume; for a
    run of many orders, brokers compiled by the full JIT."""
    return Stack.on_free_ports(
        run_dir,
        kafka_brokers=KAFKA_BROKERS,
        postgres_volume_mb=postgres_volume_mb,
        kafka_full_jit=orders >= FULL_JIT_FROM_ORDERS,
    )


def fresh_run_dir(run_dir: Path) -> Path:
    """An earlier run's data would make its orders part of this run's check: each run starts empty (a stack an
    earlier `--keep` left running there is stopped first, its volume unmounted)."""
    Stack(run_dir=run_dir, postgres_volume_mb=POSTGRES_VOLUME_MB).down()
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    return run_dir


@dataclass
class FaultOutcome:
    """One fault of the run: what it did, the orders it could have hurt, and how long the stack took to drain."""

    name: str
    did: str = ""
    in_flight: int = 0
    # In flight when it struck, or submitted while it lasted.
    exposed: set[str] = field(default_factory=set)
    seconds_to_drain: float | None = None
    left_undrained: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    failed: bool = False
    # Struck, but not at the moment that hurts: the run was not tested there.
    missed: bool = False

    @property
    def label(self) -> str:
        if self.failed:
            return f"[red]{self.name} (not injected)[/red]"
        if self.missed:
            return f"[red]{self.name} (missed its moment)[/red]"
        return self.name


@dataclass
class ChaosResult:
    outcomes: list[FaultOutcome]
    report: InvariantReport
    order_ids: list[str]
    seconds: float
    settled: bool

    @property
    def ok(self) -> bool:
        return not self.failings()

    def failings(self) -> list[str]:
        """What makes the run fail, each in a few words; none when it holds."""
        return [
            *(f"{outcome.name} not injected" for outcome in self.outcomes if outcome.failed),
            *(f"{outcome.name} missed its moment" for outcome in self.outcomes if outcome.missed),
            *(f"{len(found)} {label}" for label, found in self.report.violations().items() if found),
            *([] if self.settled else ["orders still moving, or people acting on them, at the end"]),
        ]

    def verdict(self) -> Text:
        """The run's last line: whether it holds, or what made it fail."""
        if failings := self.failings():
            return Text(f"The run fails: {'; '.join(failings)}.", style="bold red")
        return Text(
            "The run holds: every fault struck at its moment; no order lost or doubled, none moved backwards, every "
            "order accounted for, nothing left to drain.",
            style="bold green",
        )

    def table(self) -> Table:
        """One row per fault (what each did is printed as it strikes, and kept in `outcomes`)."""
        table = Table(title=f"{len(self.order_ids)} orders under {len(self.outcomes)} faults in {self.seconds:.0f} s")
        table.add_column("fault")
        for column in ("orders in flight", "lost", "duplicated", "time to drain"):
            table.add_column(column, justify="right")
        for outcome in self.outcomes:
            drained = "[red]not drained[/red]"
            if outcome.seconds_to_drain is not None:
                drained = f"{outcome.seconds_to_drain:.1f} s"
            table.add_row(
                outcome.label,
                str(outcome.in_flight),
                _count(outcome.lost),
                _count(outcome.duplicated),
                drained,
            )
        return table


def _count(found: list[str]) -> str:
    return f"[red]{len(found)}[/red]" if found else "0"


def fault_schedule(names: Sequence[str] | None, *, seed: int) -> list[str]:
    """The faults to inject, in a random order repeatable by seed (all of them when none are named)."""
    unknown = [name for name in names or () if name not in FAULTS]
    if unknown:
        raise KeyError(f"no fault {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    schedule = list(names or FAULTS)
    if not names:
        random.Random(seed).shuffle(schedule)
    return schedule


async def run_chaos(
    stack: Stack,
    *,
    orders: int,
    faults: Sequence[str],
    seed: int,
    dose: Dose = FULL_DOSE,
    timeout: float = 3600.0,
    drain_timeout: float = 300.0,
    console: Console | None = None,
) -> ChaosResult:
    """Send `orders` orders in slices, one fault striking into each slice but the last, then check the invariants.

    After each fault the run waits until the orders in flight when it struck have settled and no consumer lags and
    no outbox holds a row (its time to drain), so the next fault finds the stack whole again.
    """
    console = console or Console()
    started = time.monotonic()
    deadline = started + timeout
    batch = generate_orders(
        orders,
        seed=seed,
        on_net_only=False,
        approval_share=APPROVAL_SHARE,
        grand_rapids_share=GRAND_RAPIDS_SHARE,
    )
    slices = [batch[n :: len(faults) + 1] for n in range(len(faults) + 1)]
    people = People(stack.token_signer, patience=PATIENCE_SECONDS)
    progress = Progress(
        TextColumn("{task.description:>24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    submitted = progress.add_task("orders submitted", total=orders)
    struck = progress.add_task("faults", total=len(faults))
    outcomes = [FaultOutcome(name) for name in faults]
    async with (
        PipelineWatcher(stack.kafka_admin, every=WATCH_EVERY) as watcher,
        DeskAtWork(stack, people, watcher) as work,
    ):
        work.on_submitted = lambda order_id: progress.advance(submitted)
        with Live(progress, console=console, refresh_per_second=4):
            for outcome, orders_slice in zip(outcomes, slices, strict=False):
                if time.monotonic() > deadline:
                    outcome.did, outcome.failed = "not injected: the run's --timeout was up", True
                    continue
                progress.update(struck, description=outcome.name)
                await _strike(stack, dose, work, watcher, outcome, orders_slice, deadline, drain_timeout)
                progress.advance(struck)
                console.print(f"{outcome.name}: {outcome.did}")
            progress.update(struck, description="no fault: the last slice")
            await work.send(slices[-1])
            settled = await _settled(work, watcher, work.order_ids, deadline=deadline)
        console.print("checking the invariants")
        report = await check_invariants(stack, order_ids=work.order_ids, drain_timeout=drain_timeout)
    for outcome in outcomes:
        outcome.lost = [order_id for order_id in report.lost if order_id in outcome.exposed]
        outcome.duplicated = [line for line in report.duplicated if any(o in line for o in outcome.exposed)]
    return ChaosResult(outcomes, report, list(work.order_ids), time.monotonic() - started, settled)


async def _strike(
    stack: Stack,
    dose: Dose,
    work: DeskAtWork,
    watcher: PipelineWatcher,
    outcome: FaultOutcome,
    orders_slice: list,
    deadline: float,
    drain_timeout: float,
) -> None:
    first = len(work.order_ids)
    striking = None
    if outcome.name in LYING_IN_WAIT:
        striking = asyncio.ensure_future(FAULTS[outcome.name](stack, dose))
        await asyncio.sleep(ARMING_SECONDS)
    sending = asyncio.ensure_future(work.send(orders_slice))
    flowing = 1 if striking else min(FLOWING_BEFORE_A_FAULT, len(orders_slice) // 2)
    while len(work.order_ids) - first < flowing and not sending.done():
        await asyncio.sleep(0.05)
    in_flight = {order_id for order_id in work.order_ids if not _done(watcher, order_id)}
    outcome.in_flight = len(in_flight)
    try:
        outcome.did = await (striking or FAULTS[outcome.name](stack, dose))
    except FaultMissed as miss:
        outcome.did, outcome.missed = str(miss), True
    except Exception as error:  # the run goes on: the table says which fault could not be injected, and why
        outcome.did, outcome.failed = f"not injected: {type(error).__name__}: {error}", True
    await sending
    outcome.exposed = in_flight | set(work.order_ids[first:])
    healed = time.monotonic()
    drain_by = min(deadline, healed + drain_timeout)
    if await _settled(work, watcher, list(in_flight), deadline=drain_by):
        outcome.left_undrained = await outstanding_work(stack, timeout=max(0.0, drain_by - time.monotonic()))
        if not outcome.left_undrained:
            outcome.seconds_to_drain = time.monotonic() - healed


def _done(watcher: PipelineWatcher, order_id: str) -> bool:
    journey = watcher.journeys.get(order_id)
    return journey is not None and journey.done


async def _at_rest(work: DeskAtWork, watcher: PipelineWatcher, order_ids: list[str]) -> bool:
    """Every order reached its end of the pipeline on the topics (ratified, stopped or waiting), or intake shows it
    ended or waiting (the topics' news may have reached the watcher before a broker fault, or not at all)."""
    moving = [order_id for order_id in order_ids if not _done(watcher, order_id)]
    if len(moving) > ASK_INTAKE_ABOUT_AT_MOST:
        return False
    states = await asyncio.gather(*(work.desk.state_of(order_id) for order_id in moving))
    return all(state in AT_REST for state in states)


async def _settled(work: DeskAtWork, watcher: PipelineWatcher, order_ids: list[str], *, deadline: float) -> bool:
    """Wait until every order is at rest and nobody means to act on any; False at the deadline."""
    while time.monotonic() < deadline:
        if await _at_rest(work, watcher, order_ids) and await work.nobody_means_to_act():
            return True
        await asyncio.sleep(0.5)
    return False


def render(result: ChaosResult) -> Group:
    return Group(result.table(), result.report.render(), result.verdict())
