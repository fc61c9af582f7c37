"""The rep roster in force, announced once per version for the services that check who sold an order."""

from commission.domain.rules import Rules
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.commission import RosterPublished


async def publish_roster(database: Database, context: ServiceContext[Rules]) -> None:
    """At start: announce the roster in force on roster.published unless this version was announced before."""
    roster = context.rules.roster
    async with database.unit_of_work() as uow:
        if await uow.rosters.first_publication(roster.version):
            uow.emit(RosterPublished(version=roster.version, reps=list(roster.reps.values())))
