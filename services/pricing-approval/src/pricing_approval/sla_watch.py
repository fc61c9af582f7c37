"""The background loop that watches deadlines: approvals past their due time, proposals past their last day."""

import asyncio

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger
from orderdesk_shared.runtime import DatabaseTask
from pricing_approval.handlers import raise_jeopardy_past_due
from pricing_approval.proposal_lifecycle import expire_proposals
from pricing_approval.rules_in_force import PricingRules

log = get_logger(__name__)


def deadline_watch(*, every_seconds: float, context: ServiceContext[PricingRules]) -> DatabaseTask:
    """A loop that, every `every_seconds` for as long as the service runs, puts orders whose approvals are past due
    in jeopardy and expires sent proposals past their last day (a day in the business calendar's time zone)."""

    async def watch(database: Database) -> None:
        while True:
            now = context.clock()
            try:
                async with database.unit_of_work() as uow:
                    raised = await raise_jeopardy_past_due(uow, now=now)
                    expired = await expire_proposals(uow, now=now, today=context.rules.calendar.day_of(now))
                if raised:
                    log.info("approvals past due put their orders in jeopardy", requests=raised)
                if expired:
                    log.info("proposals left unsigned past their last day expired", proposals=expired)
            except DATABASE_FAILURES as error:
                # The database is away for a moment: look again next time rather than end the loop.
                log.warning("the deadline watch could not read the database", error=logged_error(error))
            await asyncio.sleep(every_seconds)

    return watch
