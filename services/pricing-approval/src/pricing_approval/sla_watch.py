"""The background loop that puts an order in jeopardy when an approval is past its due time."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from orderdesk_shared.db import Database
from orderdesk_shared.logs import get_logger
from orderdesk_shared.runtime import DatabaseTask
from pricing_approval.handlers import raise_jeopardy_past_due

log = get_logger(__name__)


def approval_sla_watch(
    *, every_seconds: float, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> DatabaseTask:
    """A loop that looks for approvals past due every `every_seconds`, for as long as the service runs."""

    async def watch(database: Database) -> None:
        while True:
            try:
                async with database.unit_of_work() as uow:
                    raised = await raise_jeopardy_past_due(uow, now=clock())
                if raised:
                    log.info("approvals past due put their orders in jeopardy", requests=raised)
            except (sa.exc.DBAPIError, OSError) as error:
                # The database is away for a moment: look again next time rather than end the loop.
                log.warning("approval SLA watch could not read the database", error=repr(error))
            await asyncio.sleep(every_seconds)

    return watch
