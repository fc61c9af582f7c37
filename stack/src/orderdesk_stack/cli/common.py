"""What the command groups share: the console they print to, the stack they act on (started or running) and its
status table, and how an expected failure ends a command."""

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from orderdesk_stack.jaeger_server import SKIPPED as JAEGER_SKIPPED
from orderdesk_stack.stack import JAEGER, Stack

console = Console()
T = TypeVar("T")


def started_stack(*, tracing: bool = True) -> Stack:
    stack = Stack.from_env(tracing=tracing)
    if not stack.is_up():
        with console.status("starting the stack") as spinner:
            timings = stack.up(progress=spinner.update)
        print_status(stack, timings)
    return stack


def running_stack() -> Stack:
    stack = Stack.from_env()
    if not stack.is_up():
        console.print("Not running: `orderdesk up` first.")
        raise typer.Exit(3)
    return stack


def or_exit(action: Callable[[], T]) -> T:
    try:
        return action()
    except (KeyError, RuntimeError) as error:
        console.print(f"[red]{error.args[0] if error.args else error}[/red]")
        raise typer.Exit(1) from error


def print_status(stack: Stack, timings: dict[str, float] | None = None) -> None:
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
