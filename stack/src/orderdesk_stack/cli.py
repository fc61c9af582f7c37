"""`orderdesk`: run the local stack (up, down, status, logs, restart, stop, kill, pause, resume), the demo, the
benchmark, the invariant checker and the chaos run; purge expired bookkeeping rows; write a service's next
migration."""

import asyncio
import dataclasses
import json
import logging
import os
import random
import shlex
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console, Group, RenderableType
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from orderdesk_shared.db import DEFAULT_RETENTION, Retention
from orderdesk_stack.asyncapi import write_asyncapi
from orderdesk_stack.bench import CORES, MEMORY_CHECKPOINT, OPEN_LOOP_SECONDS, run_bench
from orderdesk_stack.catalogue import write_catalogue, write_snapshots
from orderdesk_stack.chaos import (
    chaos_run_dir,
    chaos_stack,
    fault_schedule,
    fresh_run_dir,
    render,
    run_chaos,
    volume_for,
)
from orderdesk_stack.demo import run_demo
from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.jaeger_server import SKIPPED as JAEGER_SKIPPED
from orderdesk_stack.kafka_access import ADMIN, principal_named, principals
from orderdesk_stack.manifests import write_manifests
from orderdesk_stack.migrations import write_next_migration
from orderdesk_stack.paths import repo_root
from orderdesk_stack.postgres_server import running_postgres
from orderdesk_stack.processes import log_tail, server_home
from orderdesk_stack.profiling import SAMPLE_RATE, record_profiles
from orderdesk_stack.purge import purge_services
from orderdesk_stack.services import SERVICES, service_named
from orderdesk_stack.stack import JAEGER, Stack

app = typer.Typer(
    help="The local OrderDesk stack: real Postgres and Kafka, every service, under supervisord.", no_args_is_help=True
)
console = Console()
T = TypeVar("T")
Program = Annotated[
    str,
    typer.Argument(help="postgres, kafka (kafka-1, kafka-2… in a cluster), jaeger or a service (`orderdesk status`)"),
]


GeneratorSeed = Annotated[
    int | None, typer.Option(help="seed of the order generator (a new one each run, printed, when left out)")
]
RatifyTimeout = Annotated[float, typer.Option(help="seconds to wait for the pipeline to ratify every order")]


@app.command()
def up(
    infra_only: Annotated[
        bool, typer.Option("--infra-only", help="Postgres and Kafka, provisioned, with topics, and Jaeger; no service.")
    ] = False,
    kafka_brokers: Annotated[
        int | None,
        typer.Option(
            "--kafka-brokers",
            min=1,
            help="Kafka nodes: 1 (the default, ORDERDESK_KAFKA_BROKERS) or a KRaft cluster, e.g. 3.",
        ),
    ] = None,
) -> None:
    """Start the stack in the background and wait until every program serves."""
    stack = Stack.from_env(services=() if infra_only else SERVICES)
    if kafka_brokers is not None:
        stack = dataclasses.replace(stack, kafka_brokers=kafka_brokers)
    if stack.is_up():
        console.print(f"Already up (run dir {stack.run_dir}).")
        _print_status(stack)
        return
    with console.status("starting") as spinner:
        try:
            timings = stack.up(progress=spinner.update)
        except RuntimeError as error:
            console.print(f"[red]{error}[/red]")
            console.print("Left running for inspection: `orderdesk status`, `orderdesk logs NAME`, `orderdesk down`.")
            raise typer.Exit(1) from error
    _print_status(stack, timings)
    console.print(f"Up in {timings['total']:.1f} s. Run dir: {stack.run_dir}")


@app.command()
def down() -> None:
    """Stop every program and supervisord; data stays in the run dir."""
    stack = Stack.from_env()
    if not stack.is_up():
        console.print("Not running.")
        return
    with console.status("stopping"):
        stack.down()
    console.print("Stopped.")


@app.command()
def status() -> None:
    """Programs, their addresses, states and uptimes."""
    stack = Stack.from_env()
    if not stack.is_up():
        console.print(f"Not running (run dir {stack.run_dir}).")
        raise typer.Exit(3)
    _print_status(stack)


@app.command()
def logs(
    program: Annotated[str | None, typer.Argument(help="one program; all of them when left out")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing as the log grows")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n")] = 50,
) -> None:
    """Print (or follow) the programs' logs."""
    stack = Stack.from_env()
    paths = [stack.log_path(program)] if program else sorted(stack.layout.log_dir.glob("*.log"))
    if not paths:
        console.print(f"No logs in {stack.layout.log_dir}.")
        raise typer.Exit(1)
    if follow:
        os.execvp("tail", ["tail", "-n", str(lines), "-F", *map(str, paths)])
    for path in paths:
        console.rule(path.stem)
        typer.echo(log_tail(path, lines))


@app.command()
def restart(program: Program) -> None:
    """Stop a program if it runs, start it and wait until it serves."""
    stack = _running_stack()
    with console.status(f"restarting {program}"):
        seconds = _or_exit(lambda: stack.restart(program))
    console.print(f"{program} is back in {seconds:.1f} s.")


@app.command()
def stop(program: Program) -> None:
    """Stop one program gracefully; `restart` brings it back."""
    stack = _running_stack()
    _or_exit(lambda: stack.stop(program))
    console.print(f"{program} stopped.")


@app.command()
def kill(program: Program) -> None:
    """SIGKILL one program (for fault tests); it stays down until `restart`."""
    stack = _running_stack()
    _or_exit(lambda: stack.kill(program))
    console.print(f"{program} killed.")


@app.command()
def pause(program: Program) -> None:
    """SIGSTOP one program (a hung broker or service, for fault drills); `resume` continues it."""
    stack = _running_stack()
    _or_exit(lambda: stack.pause(program))
    console.print(f"{program} paused.")


@app.command()
def resume(program: Program) -> None:
    """SIGCONT a paused program."""
    stack = _running_stack()
    _or_exit(lambda: stack.resume(program))
    console.print(f"{program} resumed.")


@app.command()
def check(
    orders_since: Annotated[
        str | None,
        typer.Option(help="only orders intake created from this ISO 8601 time on (UTC unless it says); default: all"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    drain_timeout: Annotated[float, typer.Option(help="seconds to wait for lag and outbox backlog to drain")] = 60.0,
) -> None:
    """The invariant checker: every order ended or waits with a reason, no effect twice, states only moved forward,
    nothing left in flight. Exits 1 on any violation."""
    since = _instant(orders_since) if orders_since else None
    stack = _running_stack()
    with console.status("draining, then reading every service and topic"):
        report = asyncio.run(check_invariants(stack, orders_since=since, drain_timeout=drain_timeout))
    if as_json:
        print(json.dumps({"ok": report.ok, **dataclasses.asdict(report)}, indent=2))
    else:
        console.print(report.render())
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def provision(
    kafka_acls: Annotated[
        bool,
        typer.Option(
            "--kafka-acls",
            help="Also grant each principal its ACLs (`kafka-principals`), logged in as the KAFKA_* super user.",
        ),
    ] = False,
) -> None:
    """Create roles, schemas, migrations and topics on the servers in DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS."""
    stack = Stack.from_env()
    if not (stack.database_url and stack.kafka_bootstrap_servers):
        console.print(
            "[red]Set DATABASE_URL (a superuser URL) and KAFKA_BOOTSTRAP_SERVERS;"
            " `orderdesk up` provisions local servers itself.[/red]"
        )
        raise typer.Exit(2)
    with console.status("provisioning") as spinner:
        stack.provision(progress=spinner.update, grant_kafka_acls=kafka_acls)
    console.print("Provisioned.")


@app.command()
def migration(
    service: Annotated[str, typer.Argument(help="the service whose tables.py changed, e.g. intake")],
    message: Annotated[str, typer.Argument(help="what the migration does; also its file name")],
) -> None:
    """Write SERVICE's next migration: what its tables.py holds beyond its migrations' head, as alembic's
    autogenerate finds it against a temporary Postgres. Read it before committing: renames and data are yours."""
    chosen = _or_exit(lambda: service_named(service))
    with (
        console.status("migrating a temporary Postgres to head, comparing with the tables"),
        server_home("migration") as home,
        running_postgres(home) as admin_url,
    ):
        written = write_next_migration(chosen, message, admin_url=admin_url)
    console.print(f"Wrote {written.relative_to(repo_root())}")


@app.command()
def purge(
    service: Annotated[
        str | None, typer.Option("--service", help="one service (default: every service)", show_default=False)
    ] = None,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            help="days; rows older than this go from every table (default: each table's default retention)",
            min=0,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Delete inbox, dead-letter and published outbox rows past their retention; print how many per table.

    The services' relays purge the same rows once a minute; this is for an operator who cannot wait, or wants
    a shorter retention once.
    """
    stack = Stack.from_env()
    if stack.database_url is None and not stack.is_up():
        console.print("Not running: `orderdesk up` first (or set DATABASE_URL to the servers to purge).")
        raise typer.Exit(3)
    services = [_or_exit(lambda: service_named(service))] if service else list(SERVICES)
    age = None if older_than is None else timedelta(days=older_than)
    retention = DEFAULT_RETENTION if age is None else Retention(published_outbox=age, inbox=age, dead_letters=age)
    with console.status("purging"):
        deleted = asyncio.run(purge_services(stack.admin_database_url, services, retention))
    table = Table(title="Rows purged")
    for column in ("service", "table", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for service_name, by_table in deleted.items():
        for table_name, rows in by_table.items():
            table.add_row(service_name, table_name, str(rows))
    console.print(table)


@app.command("kafka-login")
def kafka_login(
    principal: Annotated[str, typer.Argument(help="a service, crm, ivr, mail-gateway, operations or orderdesk-admin")],
    prefix: Annotated[str, typer.Option(help="the variables' prefix, e.g. INTAKE_KAFKA_ for a service")] = "KAFKA_",
) -> None:
    """Print `export` lines that log a Kafka client in to this stack as `principal`."""
    if principal != ADMIN:
        _or_exit(lambda: principal_named(principal))
    for name, value in Stack.from_env().kafka_connection_for(principal).env(prefix).items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@app.command("kafka-principals")
def kafka_principals() -> None:
    """Every Kafka principal with the topics it writes and reads and its consumer groups, as JSON.

    What a platform's own users and ACLs (e.g. Strimzi KafkaUser manifests) are made from; a group ending in "-"
    is a prefix.
    """
    typer.echo(json.dumps([dataclasses.asdict(principal) for principal in principals()], indent=2))


def _seed(given: int | None) -> int:
    """The generator's seed: a new one each run by default, since orders repeating an earlier run's would be held as
    likely duplicates of them."""
    seed = given if given is not None else random.randrange(1_000_000)
    console.print(f"Order generator seed: {seed}")
    return seed


@app.command()
def demo(
    orders: Annotated[int, typer.Option(min=1, help="how many orders to send")] = 300,
    seed: GeneratorSeed = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for every order to settle")] = 300.0,
) -> None:
    """The main job: start the stack, send a realistic stream of orders, show their progress and outcomes."""
    seed = _seed(seed)
    stack = _started_stack()
    settled = asyncio.run(run_demo(stack, orders=orders, seed=seed, timeout=timeout, console=console))
    console.print("The stack is still running: `make status`, `make logs`; stop it with `make down`.")
    if stack.jaeger_url:
        console.print(f"Every order's trace: {stack.jaeger_url}/search, or from its page in the console.")
    if not settled:
        raise typer.Exit(1)


@app.command()
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
    injecting faults one after another, then check the invariants; exit 1 on any order lost, doubled or unaccounted."""
    seed = _seed(seed)
    schedule = _or_exit(lambda: fault_schedule(faults, seed=seed))
    # The run's own Kafka clients meet the brokers it kills and hangs on purpose: their reconnect warnings are noise.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack = chaos_stack(fresh_run_dir(chaos_run_dir()), postgres_volume_mb=volume_for(orders), orders=orders)
    console.print(f"Faults: {', '.join(schedule)}")
    try:
        with console.status("starting the chaos stack") as spinner:
            stack.up(progress=spinner.update)
        result = asyncio.run(
            run_chaos(stack, orders=orders, faults=schedule, seed=seed, timeout=timeout, console=console)
        )
    finally:
        if keep:
            console.print(
                f"The chaos stack keeps running in {stack.run_dir} (`orderdesk status` with ORDERDESK_RUN_DIR set to"
                " it); the next `orderdesk chaos` stops it."
            )
        else:
            with console.status("stopping the chaos stack"):
                stack.down()
    console.print(render(result))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
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


def render_bench(result: dict) -> Group:
    """The bench's figures as tables: throughput and latency, CPU and memory by program, the Postgres baseline."""
    rounds = result["rounds"]
    table = Table(
        title=f"{result['orders']} orders per round, {result['baseline_records']} baseline records, "
        f"{result['partitions']} partitions per topic, median of {rounds} rounds"
    )
    for column in ("measurement", "per second", "p50", "p95", "p99", "seconds"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for key in ("baseline", "pipeline", "open_loop", "intake_alone", "http_baseline", "intake_acceptance"):
        m = result[key]
        table.add_row(
            m["name"],
            f"{m['per_second']:.1f}",
            f"{m['p50_ms']:.0f} ms",
            f"{m['p95_ms']:.0f} ms",
            f"{m['p99_ms']:.0f} ms",
            f"{m['seconds']:.1f}",
        )
    dashboard = result["console_dashboard"]
    table.add_row(
        dashboard["name"],
        f"{dashboard['per_second']:.1f}",
        f"{dashboard['p50_ms']:.0f} ms",
        f"{dashboard['p95_ms']:.0f} ms",
        f"{dashboard['p99_ms']:.0f} ms",
        f"{dashboard['seconds']:.1f}",
    )
    producer = result["producer"]
    bus_cost = result["baseline_cpu_ms_per_record"]
    idle = result["idle_cores"]
    ratios = Text.assemble(
        f"pipeline / bus baseline throughput: {result['throughput_ratio_pipeline_to_baseline']:.3f}\n",
        f"bus baseline: producer linger {producer['linger_ms']} ms, batches up to {producer['max_batch_size']:,} B, "
        f"{producer['compression_type']} compression, polls of up to {producer['hop_max_records']:,} records; "
        f"CPU per record: Kafka {bus_cost['kafka_ms_per_record']:.3f} ms, the six hops "
        f"{bus_cost['hops_ms_per_record']:.3f} ms\n",
        f"intake alone: {result['intake_cpu_ms_per_post']:.2f} ms of intake's CPU per POST during the burst, "
        f"{result['intake_cpu_ms_per_post_relayed']:.2f} ms with its events relayed\n",
        f"intake acceptance (stack running) / HTTP baseline: {result['throughput_ratio_intake_to_http_baseline']:.3f}",
    )
    cpu = Table(
        title="CPU per order through the pipeline, by program (stack at rest before and after each round; "
        f"its idle CPU, {idle['total']:.3f} cores in all, measured before the rounds and taken off)"
    )
    for column in ("program", "ms CPU per order", "with idle CPU", "idle (cores)", "resident MiB"):
        cpu.add_column(column, justify="left" if column == "program" else "right")
    with_idle = result["cpu_ms_per_order_with_idle"]
    resident = result["resident_mib"]
    for program, milliseconds in result["cpu_ms_per_order"].items():
        cpu.add_row(
            program,
            f"{milliseconds:.2f}",
            f"{with_idle.get(program, 0.0):.2f}",
            f"{idle.get(program, 0.0):.3f}",
            f"{resident[program]:.0f}" if program in resident else "",
        )
    carry = Text(
        f"at that cost this machine's {CORES} cores carry at most "
        f"{result['orders_per_second_the_cores_carry']:.0f} orders/s through the whole pipeline"
    )
    postgres = Table(
        title="Postgres baseline: one service's write pattern per transaction (inbox claim, state upsert, outbox "
        "insert), asyncpg, on the stack's Postgres"
    )
    for column in ("records per transaction", "writers", "commits/s", "records/s", "Postgres CPU ms per record"):
        postgres.add_column(column, justify="right")
    for rate in result["postgres_baseline"]:
        postgres.add_row(
            str(rate["batch_size"]),
            str(rate["writers"]),
            f"{rate['commits_per_second']:,.0f}",
            f"{rate['rows_per_second']:,.0f}",
            f"{rate['postgres_cpu_ms_per_row']:.3f}",
        )
    parts: list[RenderableType] = [table, ratios, cpu, carry, postgres]
    if result["memory_growth"]:
        memory = Table(title="Resident memory (MiB) by program as orders pass through")
        memory.add_column("program")
        for reading in result["memory_growth"]:
            memory.add_column(f"after {reading['orders']:,} orders", justify="right")
        for program in result["memory_growth"][0]["resident_mib"]:
            memory.add_row(
                program, *(f"{reading['resident_mib'].get(program, 0.0):.0f}" for reading in result["memory_growth"])
            )
        parts.append(memory)
    return Group(*parts)


@app.command()
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
        paths = _or_exit(
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


def _bench_stack() -> Stack:
    """The running stack, or one started for the bench: without an exporter, as every earlier run measured, so the
    figures stay comparable."""
    stack = _started_stack(tracing=False)
    if JAEGER in {program.name for program in stack.status()}:
        console.print(
            "[yellow]The running stack exports traces to Jaeger, which earlier runs did not; `orderdesk down` "
            "first for comparable figures.[/yellow]"
        )
    return stack


events = typer.Typer(help="The event catalogue: schema snapshots, the generated catalogue and AsyncAPI document.")
app.add_typer(events, name="events")


@events.command("snapshot")
def events_snapshot() -> None:
    """Rewrite the committed JSON-Schema snapshots from the event models (after an additive change)."""
    for path in write_snapshots():
        console.print(f"wrote {path.relative_to(repo_root())}")


@events.command("catalogue")
def events_catalogue() -> None:
    """Regenerate docs/events.md and the AsyncAPI document from the event models and the services' subscriptions."""
    for path in (write_catalogue(), write_asyncapi()):
        console.print(f"wrote {path.relative_to(repo_root())}")


@app.command()
def manifests() -> None:
    """Regenerate deploy/kubernetes/orderdesk.yaml from the services as data (hardened, one shape for all)."""
    path = write_manifests()
    console.print(f"wrote {path.relative_to(repo_root())}")


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time, e.g. 2026-12-06T09:00:00Z") from error
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _started_stack(*, tracing: bool = True) -> Stack:
    stack = Stack.from_env(tracing=tracing)
    if not stack.is_up():
        with console.status("starting the stack") as spinner:
            timings = stack.up(progress=spinner.update)
        _print_status(stack, timings)
    return stack


def _running_stack() -> Stack:
    stack = Stack.from_env()
    if not stack.is_up():
        console.print("Not running: `orderdesk up` first.")
        raise typer.Exit(3)
    return stack


def _or_exit(action: Callable[[], T]) -> T:
    try:
        return action()
    except (KeyError, RuntimeError) as error:
        console.print(f"[red]{error.args[0] if error.args else error}[/red]")
        raise typer.Exit(1) from error


def _print_status(stack: Stack, timings: dict[str, float] | None = None) -> None:
    table = Table(title="OrderDesk stack")
    for column in ("program", "state", "pid", "address", "uptime"):
        table.add_column(column)
    if timings:
        table.add_column("ready in", justify="right")
    programs = stack.status()
    for program in programs:
        style = "green" if program.state == "RUNNING" else "red"
        row = [
            program.name,
            f"[{style}]{program.state}[/{style}]",
            str(program.pid or ""),
            program.address,
            _duration(program.uptime_seconds),
        ]
        if timings:
            row.append(_duration(timings.get(program.name)))
        table.add_row(*row)
    console.print(table)
    if stack.jaeger_url and JAEGER in {program.name for program in programs}:
        console.print(f"Traces: {stack.jaeger_url} (Jaeger)")
    elif stack.tracing and stack.jaeger is None:
        console.print(JAEGER_SKIPPED)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
