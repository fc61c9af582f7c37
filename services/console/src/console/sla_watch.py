"""The background loop that puts orders in jeopardy and escalates them as their stage SLAs run out."""

import asyncio

from prometheus_client import Gauge

from console.handlers import raise_jeopardy
from console.rules_in_force import ConsoleRules
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger
from orderdesk_shared.runtime import DatabaseTask

log = get_logger(__name__)

ORDERS_PAST_SLA = Gauge(
    "orderdesk_orders_past_sla",
    "Open orders whose current stage's SLA has run out, by stage (set by the console's SLA watch).",
    ["stage"],
)


def stage_sla_watch(context: ServiceContext[ConsoleRules], *, every_seconds: float) -> DatabaseTask:
    """A loop that checks every open order's SLA, by the context's policy and clock, every `every_seconds`, for as
    long as the console runs."""

    async def watch(database: Database) -> None:
        while True:
            try:
                now = context.clock()
                async with database.unit_of_work() as uow:
                    raised = await raise_jeopardy(uow, now=now, policy=context.rules.slas)
                    past_sla = await uow.orders.past_their_sla_by_stage(now=now)
                for stage, orders in past_sla.items():
                    ORDERS_PAST_SLA.labels(stage).set(orders)
                if raised:
                    log.info("stage SLAs put orders in jeopardy or escalated them", events=raised)
            except DATABASE_FAILURES as error:
                # The database is away for a moment: look again next time rather than end the loop.
                log.warning("stage SLA watch could not read the database", error=logged_error(error))
            await asyncio.sleep(every_seconds)

    return watch
