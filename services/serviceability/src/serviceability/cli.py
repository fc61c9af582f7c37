"""`serviceability-inventory`: import the location inventory from a CSV file, with a report of every bad row."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from orderdesk_shared.csv_rows import UnreadableCsv
from orderdesk_shared.db import Database
from serviceability.inventory import import_inventory
from serviceability.repository import ImportReport
from serviceability.tables import messaging
from serviceability.unit_of_work import ServiceabilityUnitOfWork

app = typer.Typer(add_completion=False, help=__doc__)


@app.callback()
def inventory() -> None:
    """Serviceability's location inventory."""


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the CSV file (columns: see the README)")],
    database_url: Annotated[
        str, typer.Option(envvar="SERVICEABILITY_DATABASE_URL", help="serviceability's database (SQLAlchemy URL)")
    ],
) -> None:
    """Add new locations and update known ones by location id; exits 1 when any row was rejected."""
    try:
        report = asyncio.run(_import(database_url, path.read_text()))
    except UnreadableCsv as error:
        typer.echo(f"{path.name}: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"{path.name}: {len(report.created)} added, {len(report.updated)} updated, {len(report.rejected)} rejected"
    )
    for row in report.rejected:
        typer.echo(f"  line {row.line} ({row.location_id or 'no id'}): {'; '.join(row.reasons)}")
    if report.rejected:
        raise typer.Exit(1)


async def _import(database_url: str, text: str) -> ImportReport:
    database = Database(
        url=database_url,
        tables=messaging,
        source="serviceability",
        pool_size=1,
        unit_of_work=ServiceabilityUnitOfWork,
    )
    try:
        async with database.unit_of_work() as uow:
            return await import_inventory(uow, text)
    finally:
        await database.dispose()
