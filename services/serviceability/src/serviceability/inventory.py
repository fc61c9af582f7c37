"""Importing the location inventory from CSV: through the API, the CLI, and the seed of a fresh environment."""

import asyncio
from pathlib import Path

from orderdesk_shared.db import Database
from orderdesk_shared.logs import get_logger
from serviceability.domain.inventory import read_inventory
from serviceability.repository import ImportReport
from serviceability.unit_of_work import ServiceabilityUnitOfWork

log = get_logger(__name__)


async def import_inventory(uow: ServiceabilityUnitOfWork, text: str) -> ImportReport:
    """Upsert every good row by location id; bad rows come back with their line and reasons.

    Raises UnreadableCsv when the header lacks columns.
    """
    # A whole CSV file is CPU work of up to seconds: read in a thread, so the event loop keeps serving.
    inventory = await asyncio.to_thread(read_inventory, text)
    await uow.locations.one_import_at_a_time()
    return await uow.locations.import_all(inventory)


def seed_when_empty(path: Path):
    """A start-up step: import `path` when the inventory holds no location yet."""

    async def seed(database: Database) -> None:
        async with database.unit_of_work() as uow:
            await uow.locations.one_import_at_a_time()
            if await uow.locations.any():
                return
            report = await uow.locations.import_all(read_inventory(path.read_text()))
        log.info(
            "location inventory seeded", file=path.name, locations=len(report.created), rejected=len(report.rejected)
        )

    return seed


def report_document(report: ImportReport) -> dict:
    """The per-row import report as the API and the CLI show it."""
    return {
        "created": len(report.created),
        "updated": len(report.updated),
        "rejected": [
            {"line": row.line, "locationId": row.location_id, "reasons": list(row.reasons)} for row in report.rejected
        ],
    }
