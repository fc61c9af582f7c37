"""The stack's lifecycle: `up`, `down`, `status`, `logs`, and one program's `restart`, `stop`, `kill`, `pause` and
`resume`."""

import dataclasses
import os
from collections.abc import Callable
from typing import Annotated

import typer

from orderdesk_stack.cli.common import console, or_exit, print_status, running_stack
from orderdesk_stack.processes import log_tail
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

commands = typer.Typer()
Program = Annotated[
    str,
    typer.Argument(help="postgres, kafka (kafka-1, kafka-2… in a cluster), jaeger or a service (`orderdesk status`)"),
]


@commands.command()
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
        print_status(stack)
        return
    with console.status("starting") as spinner:
        try:
            timings = stack.up(progress=spinner.update)
        except RuntimeError as error:
            console.print(f"[red]{error}[/red]")
            console.print("Left running for inspection: `orderdesk status`, `orderdesk logs NAME`, `orderdesk down`.")
            raise typer.Exit(1) from error
    print_status(stack, timings)
    console.print(f"Up in {timings['total']:.1f} s. Run dir: {stack.run_dir}")


@commands.command()
def down() -> None:
    """Stop every program and supervisord; data stays in the run dir."""
    stack = Stack.from_env()
    if not stack.is_up():
        console.print("Not running.")
        return
    with console.status("stopping"):
        stack.down()
    console.print("Stopped.")


@commands.command()
def status() -> None:
    """Programs, their addresses, states and uptimes."""
    stack = Stack.from_env()
    if not stack.is_up():
        console.print(f"Not running (run dir {stack.run_dir}).")
        raise typer.Exit(3)
    print_status(stack)


@commands.command()
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


@commands.command()
def restart(program: Program) -> None:
    """Stop a program if it runs, start it and wait until it serves."""
    stack = running_stack()
    with console.status(f"restarting {program}"):
        seconds = or_exit(lambda: stack.restart(program))
    console.print(f"{program} is back in {seconds:.1f} s.")


@commands.command()
def stop(program: Program) -> None:
    """Stop one program gracefully; `restart` brings it back."""
    _act_on(program, Stack.stop, "stopped")


@commands.command()
def kill(program: Program) -> None:
    """SIGKILL one program (for fault tests); it stays down until `restart`."""
    _act_on(program, Stack.kill, "killed")


@commands.command()
def pause(program: Program) -> None:
    """SIGSTOP one program (a hung broker or service, for fault drills); `resume` continues it."""
    _act_on(program, Stack.pause, "paused")


@commands.command()
def resume(program: Program) -> None:
    """SIGCONT a paused program."""
    _act_on(program, Stack.resume, "resumed")


def _act_on(program: str, action: Callable[[Stack, str], None], outcome: str) -> None:
    stack = running_stack()
    or_exit(lambda: action(stack, program))
    console.print(f"{program} {outcome}.")
