"""The rules intake validates with: its seed files, with the reference data in force from its owners.

Pricing-approval owns the catalogue (catalogue.published) and commission the rep roster
(roster.published). Intake stores each version it hears (follow_catalogue, follow_roster) and
every process rereads the versions in force every few seconds, so all replicas validate against
new reference data soon after it is announced. Until a kind has been heard, its seed file is used.
"""

import dataclasses
import time

from sqlalchemy.ext.asyncio import AsyncConnection

from intake import repository
from intake.domain.validation import IntakeRules, intake_rules
from intake.reference import offerings_from_catalogue
from orderdesk_shared.db import Database
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished

RECHECK_SECONDS = 5.0
CATALOGUE = "catalogue"
ROSTER = "roster"


class RulesInForce:
    def __init__(self, *, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._recheck_seconds = recheck_seconds
        self._rules: IntakeRules | None = None
        self._versions: dict[str, str] = {}
        self._next_check = 0.0

    @property
    def versions(self) -> dict[str, str]:
        """The version in force of each kind of announced reference data (none: the seed file is used)."""
        return dict(self._versions)

    async def through(self, database: Database) -> IntakeRules:
        """The rules, rereading the versions in force over a connection of its own when due."""
        if self._due():
            async with database.engine.connect() as connection:
                await self._refresh(connection)
        return self._current()

    async def within(self, connection: AsyncConnection) -> IntakeRules:
        """The rules, rereading the versions in force in the caller's transaction when due."""
        if self._due():
            await self._refresh(connection)
        return self._current()

    def expire(self) -> None:
        """Reread at the next use (this process has just stored a new version)."""
        self._next_check = 0.0

    def _due(self) -> bool:
        """Whether to reread now; the first caller that finds it due takes the turn for everyone."""
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self._recheck_seconds
        return True

    def _current(self) -> IntakeRules:
        return self._rules or intake_rules()

    async def _refresh(self, connection: AsyncConnection) -> None:
        versions = await repository.versions_in_force(connection)
        if versions == self._versions:
            return
        reference = intake_rules().reference
        if version := versions.get(CATALOGUE):
            document = await repository.reference_document(connection, kind=CATALOGUE, version=version)
            offerings = offerings_from_catalogue(CataloguePublished.model_validate(document).offerings)
            reference = dataclasses.replace(reference, offerings=offerings)
        if version := versions.get(ROSTER):
            document = await repository.reference_document(connection, kind=ROSTER, version=version)
            reps = {rep.id: rep for rep in RosterPublished.model_validate(document).reps}
            reference = dataclasses.replace(reference, reps=reps)
        self._rules = dataclasses.replace(intake_rules(), reference=reference)
        self._versions = versions


RULES_IN_FORCE = RulesInForce()
