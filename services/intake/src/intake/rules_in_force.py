"""The rules intake validates with: its seed files, with the offerings of the catalogue in force.

Pricing-approval owns the catalogue and announces each version on catalogue.published; intake
stores what it hears (follow_catalogue) and every process rereads the version in force every few
seconds, so all replicas validate against a new catalogue soon after it is announced. Until one is
heard, the seed offerings file is used.
"""

import dataclasses
import time

from sqlalchemy.ext.asyncio import AsyncConnection

from intake import repository
from intake.domain.validation import IntakeRules, intake_rules
from intake.reference import offerings_from_catalogue
from orderdesk_shared.db import Database
from orderdesk_shared.events.pricing_approval import CatalogueOffering

RECHECK_SECONDS = 5.0


class RulesInForce:
    def __init__(self, *, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._recheck_seconds = recheck_seconds
        self._rules: IntakeRules | None = None
        self._catalogue_version: str | None = None
        self._next_check = 0.0

    @property
    def catalogue_version(self) -> str | None:
        """The catalogue version validation uses; None while only the seed offerings are known."""
        return self._catalogue_version

    async def through(self, database: Database) -> IntakeRules:
        """The rules, rereading the catalogue in force over a connection of its own when due."""
        if self._due():
            async with database.engine.connect() as connection:
                await self._refresh(connection)
        return self._current()

    async def within(self, connection: AsyncConnection) -> IntakeRules:
        """The rules, rereading the catalogue in force in the caller's transaction when due."""
        if self._due():
            await self._refresh(connection)
        return self._current()

    def expire(self) -> None:
        """Reread at the next use (this process has just stored a new catalogue)."""
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
        if await repository.version_in_force(connection) == self._catalogue_version:
            return
        in_force = await repository.catalogue_in_force(connection)
        if in_force is None:
            return
        base = intake_rules()
        offerings = offerings_from_catalogue([CatalogueOffering.model_validate(o) for o in in_force.offerings])
        self._rules = dataclasses.replace(base, reference=dataclasses.replace(base.reference, offerings=offerings))
        self._catalogue_version = in_force.version


RULES_IN_FORCE = RulesInForce()
