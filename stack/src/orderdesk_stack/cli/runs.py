"""Runs that drive orders through a stack: the `demo`, the `chaos` run, the `bench`, the `scale-out` rehearsal and
the `profile`."""

import asyncio
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from orderdesk_stack.bench import MEMORY_CHECKPOINT, OPEN_LOOP_SECONDS, run_bench
from orderdesk_stack.chaos import (
    chaos_run_dir,
    chaos_stack,
    fault_schedule,
    fresh_run_dir,
    render,
    run_chaos,
    volume_for,
)
from orderdesk_stack.cli.bench_report import render_bench, render_scale_out
from orderdesk_stack.cli.common import console, or_exit, started_stack
from orderdesk_stack.demo import run_demo
from orderdesk_stack.paths import repo_root
from orderdesk_stack.profiling import SAMPLE_RATE, record_profiles
from orderdesk_stack.scale_out import failings, run_scale_out, scale_out_run_dir, scale_out_stack
from orderdesk_stack.stack import JAEGER, Stack

commands = typer.Typer()

GeneratorSeed = Annotated[
    int | None, typer.Option(help="seed of the order generator (a new one each run, printed, when left out)")
]
RatifyTimeout = Annotated[float, typer.Option(help="seconds to wait for the pipeline to ratify every order")]


def _seed(given: int | None) -> int:
    """The generator's seed: a new one each run by default, since orders repeating an earlier run's would be held as
    likely duplicates of them."""
    seed = given if given is not None else random.randrange(1_000_000)
    console.print(f"Order generator seed: {seed}")
    return seed


@commands.command()
def demo(
    orders: Annotated[int, typer.Option(min=1, help="how many orders to send")] = 300,
    seed: GeneratorSeed = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for every order to settle")] = 300.0,
) -> None:
    """The main job: start the stack, send a realistic stream of orders, show their progress and outcomes."""
    seed = _seed(seed)
    stack = started_stack()
    settled = asyncio.run(run_demo(stack, orders=orders, seed=seed, timeout=timeout, console=console))
    console.print("The stack is still running: `make status`, `make logs`; stop it with `make down`.")
    if stack.jaeger_url:
        console.print(f"Every order's trace: {stack.jaeger_url}/search, or from its page in the console.")
    if not settled:
        raise typer.Exit(1)


@commands.command()
def chaos(
    orders: Annotated[int, typer.Option(min=1, help="how many orders to send (100000: the soak)")] = 3000,
    faults: Annotated[
        list[str] | None,
        typer.Option("--faults", help="a fault to inject (repeat the option); all of them, in a random order, if none"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="seed of the orders and the faults' order (a new one each run, printed)")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds the whole run may take at most")] = 3600.0,
    keep: Annotated[bool, typer.Option("--keep", help="leave the chaos stack running at the end")] = False,
) -> None:
    """Start a stack of its own (three brokers, Postgres on a small volume), send a mixed stream of orders while
    injecting faults one after another, then check the invariants; exit 1 on any order lost, doubled or
    unaccounted, or a fault not injected or missing its moment."""
    seed = _seed(seed)
    schedule = or_exit(lambda: fault_schedule(faults, seed=seed))
    # The run's own Kafka clients meet the brokers it kills and hangs on purpose: their reconnect warnings are noise.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack = chaos_stack(fresh_run_dir(chaos_run_dir()), postgres_volume_mb=volume_for(orders), orders=orders)
    console.print(f"Faults: {', '.join(schedule)}")
    with _own_stack(stack, "the chaos stack", command="chaos", keep=keep):
        result = asyncio.run(
            run_chaos(stack, orders=orders, faults=schedule, seed=seed, timeout=timeout, console=console)
        )
    console.print(render(result))
    if not result.ok:
        raise typer.Exit(1)


@commands.command()
def bench(
    orders: Annotated[int, typer.Option(min=10, help="orders per pipeline round (x20 baseline records)")] = 500,
    acceptance_orders: Annotated[
        int, typer.Option(min=10, help="orders POSTed per intake-alone and per acceptance round")
    ] = 2000,
    dashboard_orders: Annotated[
        int, typer.Option(min=0, help="orders put through the stack before the console's dashboard is timed")
    ] = 10_000,
    rounds: Annotated[int, typer.Option(min=1, help="rounds of each measurement; the median round is reported")] = 3,
    open_loop_seconds: Annotated[
        float, typer.Option(min=1, help="seconds of the open-loop round, at half the measured pipeline throughput")
    ] = OPEN_LOOP_SECONDS,
    memory_orders: Annotated[
        int,
        typer.Option(
            min=0,
            help="push this many more orders through the pipeline and read each program's resident memory after "
            f"{MEMORY_CHECKPOINT:,} and after all (100000: the issue's figure; about an hour at 30 orders/s)",
        ),
    ] = 0,
    seed: GeneratorSeed = None,
    timeout: RatifyTimeout = 600.0,
) -> None:
    """Measure the pipeline against best-practice bus and Postgres baselines in the same run; print and save it."""
    seed = _seed(seed)
    stack = _bench_stack()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{memory_orders:,} orders for the memory reading", total=memory_orders)
        if not memory_orders:
            progress.update(task, visible=False)
        result = asyncio.run(
            run_bench(
                stack,
                orders=orders,
                acceptance_orders=acceptance_orders,
                dashboard_orders=dashboard_orders,
                rounds=rounds,
                seed=seed,
                timeout=timeout,
                results_dir=repo_root() / "bench-results",
                open_loop_seconds=open_loop_seconds,
                memory_orders=memory_orders,
                memory_progress=lambda pushed: progress.advance(task, pushed),
            )
        )
    console.print(render_bench(result))
    console.print(f"written to {result['file']}")


@commands.command("scale-out")
def scale_out(
    orders: Annotated[int, typer.Option(min=10, help="orders per pipeline round")] = 500,
    rounds: Annotated[int, typer.Option(min=1, help="rounds with each line-up; the median round is reported")] = 3,
    seed: GeneratorSeed = None,
    timeout: RatifyTimeout = 600.0,
    keep: Annotated[bool, typer.Option("--keep", help="leave the rehearsal's stack running at the end")] = False,
) -> None:
    """The scale-out rehearsal: on a three-broker stack of its own, pipeline rounds with one instance of each service,
    then with two (the consumer groups rebalanced onto both, the POSTs shared by both intakes); check the invariants
    over every order and report both line-ups side by side. Exit 1 when a group did not spread or an invariant
    fails."""
    seed = _seed(seed)
    stack = scale_out_stack(fresh_run_dir(scale_out_run_dir()))
    with (
        _own_stack(stack, "the rehearsal's stack", command="scale-out", keep=keep),
        console.status(f"{rounds} rounds of {orders} orders with one instance each, then with two"),
    ):
        result = asyncio.run(
            run_scale_out(
                stack,
                orders=orders,
                rounds=rounds,
                seed=seed,
                timeout=timeout,
                results_dir=repo_root() / "bench-results",
            )
        )
    console.print(render_scale_out(result))
    console.print(f"written to {result['file']}")
    if problems := failings(result):
        console.print(f"[bold red]The rehearsal fails: {'; '.join(problems)}.[/bold red]")
        raise typer.Exit(1)
    console.print("[bold green]Every group spread over both instances; no order lost, doubled or moved backwards.")


@commands.command()
def profile(
    orders: Annotated[int, typer.Option(min=10, help="orders in the profiled pipeline round")] = 600,
    acceptance_orders: Annotated[int, typer.Option(min=10, help="orders POSTed while intake is profiled")] = 2000,
    rate: Annotated[int, typer.Option(min=1, help="py-spy samples per second")] = SAMPLE_RATE,
    output: Annotated[Path, typer.Option(help="directory for the flame graphs (SVG)")] = Path("bench-results")
    / "profiles",
    seed: GeneratorSeed = None,
    timeout: RatifyTimeout = 600.0,
) -> None:
    """Flame graphs (py-spy) of every service during a pipeline round, and of intake during a burst of POSTs."""
    seed = _seed(seed)
    stack = _bench_stack()
    with console.status(f"profiling {orders} orders through the pipeline, then {acceptance_orders} POSTs"):
        paths = or_exit(
            lambda: asyncio.run(
                record_profiles(
                    stack,
                    orders=orders,
                    acceptance_orders=acceptance_orders,
                    seed=seed,
                    timeout=timeout,
                    directory=output,
                    rate=rate,
                )
            )
        )
    for path in paths:
        console.print(f"wrote {path}")


@contextmanager
def _own_stack(stack: Stack, name: str, *, command: str, keep: bool) -> Iterator[None]:
    """A run's own stack, started, then stopped at the end whatever happened, or left running with `keep`."""
    try:
        with console.status(f"starting {name}") as spinner:
            stack.up(progress=spinner.update)
        yield
    finally:
        if keep:
            console.print(
                f"{name.capitalize()} keeps running in {stack.run_dir} (`orderdesk status` with ORDERDESK_RUN_DIR set"
                f" to it); the next `orderdesk {command}` stops it."
            )
        else:
            with console.status(f"stopping {name}"):
                stack.down()


def _bench_stack() -> Stack:
    """The running stack, or one started for the bench: without an exporter, as every earlier run measured, so the
    figures stay comparable."""
    stack = started_stack(tracing=False)
    if JAEGER in {program.name for program in stack.status()}:
        console.print(
            "[yellow]The running stack exports traces to Jaeger, which earlier runs did not; `orderdesk down` "
            "first for comparable figures.[/yellow]"
        )
    return stack
