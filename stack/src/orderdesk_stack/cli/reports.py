"""`report`: download one of the console's reports for a period, as CSV or XLSX, from the running stack."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from orderdesk_shared.auth import Role
from orderdesk_stack.cli.common import console, running_stack

commands = typer.Typer()
# Finance reads every report the console offers (console.report_downloads.REPORT_READER_ROLES).
REPORT_READER = "orderdesk-report"


def _filter(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise typer.BadParameter(f"{text!r} is not NAME=VALUE")
    return name, value


@commands.command()
def report(
    name: Annotated[str, typer.Argument(help="bookings, capital, fallout, cycle-times or commission")],
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="the period's first day (UTC)")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="the day after its last (UTC)")],
    out: Annotated[Path, typer.Option(help="the file to write")],
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="NAME=VALUE, e.g. market=chicago or by=rep; repeat")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "xlsx",
) -> None:
    """Write the console's report for [start, end) to OUT, asked as finance with a token the stack's key signs."""
    stack = running_stack()
    token = stack.token_signer.mint(REPORT_READER, [Role.FINANCE])
    params = [("start", _day(start)), ("end", _day(end)), ("format", file_format)]
    params += [_filter(text) for text in filters or []]
    answer = httpx.get(
        f"{stack.service_url('console')}/console/reports/{name}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120.0,
    )
    if answer.status_code != httpx.codes.OK:
        console.print(f"[red]{answer.status_code}: {answer.text}[/red]")
        raise typer.Exit(1)
    out.write_bytes(answer.content)
    console.print(f"Wrote {out} ({len(answer.content):,} bytes).")


def _day(moment: datetime) -> str:
    return moment.date().isoformat()
