"""Serviceability's background loop: site surveys open past their SLA put their order in jeopardy."""

import asyncio

from orderdesk_shared.context import Clock
from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger
from serviceability.handlers import raise_survey_jeopardy

log = get_logger(__name__)


def survey_sla_watch(*, every_seconds: float, clock: Clock):
    """A loop that checks open surveys every `every_seconds`; jeopardy is raised once per overdue survey."""

    async def watch(database: Database) -> None:
        while True:
            try:
                async with database.unit_of_work() as uow:
                    if raised := await raise_survey_jeopardy(uow, now=clock()):
                        log.info("site surveys past their SLA", jeopardy_raised=raised)
            except DATABASE_FAILURES as error:  # the database is away: try again next round
                log.warning("survey SLA check failed", error=logged_error(error))
            await asyncio.sleep(every_seconds)

    return watch
