"""Serviceability's unit of work in memory: its repositories with the methods and the semantics handlers rely on (a
version decided before, or older than one decided, is not stored again; only open surveys close; jeopardy is raised
once per survey); locks are no-ops. The integration tests keep the SQL ones honest."""

import itertools
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace

from orderdesk_shared.addresses import UnreadableAddress, building_address
from orderdesk_shared.events.order import Address
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork
from orderdesk_shared.reference import ReferenceBook
from serviceability.domain.inventory import Location, read_inventory
from serviceability.domain.qualification import SiteRequest
from serviceability.domain.rules import Rules
from serviceability.domain.verdict import SurveyReport, SurveyToOpen, Verdict
from serviceability.repository import NewDecision
from serviceability.rules_in_force import load_seed_rules, rules_from
from serviceability.settings import SEED_INVENTORY, Settings


def _building(address: Address) -> tuple[str, str, str, str] | None:
    try:
        building = building_address(address)
    except UnreadableAddress:
        return None
    return (building.street, building.city, building.state_or_province, building.postcode)


class InMemoryLocations:
    """The shipped seed inventory."""

    def __init__(self) -> None:
        self.by_id = {
            location.location_id: location for _, location in read_inventory(SEED_INVENTORY.read_text()).locations
        }

    async def match(self, requests: Sequence[SiteRequest]) -> dict[str, Location]:
        [matched] = await self.match_of_orders([requests])
        return matched

    async def match_of_orders(self, orders: Sequence[Sequence[SiteRequest]]) -> list[dict[str, Location]]:
        by_building = {_building(location.address): location for location in self.by_id.values()}

        def found(request: SiteRequest) -> Location | None:
            building = _building(request.address) if request.address is not None else None
            return self.by_id.get(request.location_id or "") or by_building.get(building)

        return [{request.item_id: location for request in order if (location := found(request))} for order in orders]


class InMemoryDecisions:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], SimpleNamespace] = {}

    async def record(self, decisions: Sequence[NewDecision]) -> set[tuple[str, int]]:
        recorded = set()
        for decision in decisions:
            known = [version for order_id, version in self.rows if order_id == decision.order_id]
            if any(version >= decision.order_version for version in known):
                continue
            self.rows[decision.order_id, decision.order_version] = SimpleNamespace(**vars(decision))
            recorded.add((decision.order_id, decision.order_version))
        return recorded

    async def update(self, verdict: Verdict) -> None:
        row = self.rows[verdict.order_id, verdict.order_version]
        row.outcome, row.sites, row.findings = verdict.decision.outcome, verdict.sites, verdict.findings

    async def get(
        self, order_id: str, order_version: int | None = None, *, for_update: bool = False
    ) -> SimpleNamespace | None:
        versions = [version for known, version in self.rows if known == order_id and order_version in (None, version)]
        return self.rows[order_id, max(versions)] if versions else None


class InMemorySurveys:
    def __init__(self) -> None:
        self.rows: dict[str, SimpleNamespace] = {}
        self._ids = itertools.count(1)

    async def open(self, order_id: str, order_version: int, survey: SurveyToOpen) -> None:
        survey_id = f"SRV-{next(self._ids):010d}"
        self.rows[survey_id] = SimpleNamespace(
            survey_id=survey_id,
            order_id=order_id,
            order_version=order_version,
            state="open",
            jeopardy_raised_at=None,
            completed_at=None,
            surveyor=None,
            distance_to_fiber_ft=None,
            notes=None,
            photos=None,
            **vars(survey),
        )

    async def of_version(self, order_id: str, order_version: int) -> list[SimpleNamespace]:
        surveys = [row for row in self.rows.values() if (row.order_id, row.order_version) == (order_id, order_version)]
        return sorted(surveys, key=lambda row: (row.opened_at, row.survey_id))

    async def close_open(self, order_id: str, *, state: str, before_version: int | None = None) -> None:
        for row in self.rows.values():
            if (
                row.order_id == order_id
                and row.state == "open"
                and (before_version is None or row.order_version < before_version)
            ):
                row.state = state

    async def get(self, survey_id: str, *, for_update: bool = False) -> SimpleNamespace | None:
        return self.rows.get(survey_id)

    async def complete(self, survey_id: str, report: SurveyReport, *, completed_at: datetime) -> None:
        vars(self.rows[survey_id]).update(vars(report), state="completed", completed_at=completed_at)

    async def claim_overdue(self, *, now: datetime) -> list[SimpleNamespace]:
        overdue = [
            row
            for row in self.rows.values()
            if row.state == "open" and row.due_at <= now and row.jeopardy_raised_at is None
        ]
        for row in overdue:
            row.jeopardy_raised_at = now
        return overdue


class InMemoryReferenceVersions:
    """The documents announced, by kind; the rules are the shipped seed with them, as the service builds them."""

    def __init__(self) -> None:
        self.documents: dict[str, dict] = {}
        self._seed = load_seed_rules(Settings.model_construct())

    async def rules(self, book: ReferenceBook[Rules]) -> Rules:
        return rules_from(self._seed, self.documents)

    async def keep(self, book: ReferenceBook[Rules], *, kind: str, version: str, document: dict) -> None:
        self.documents[kind] = document


class FakeServiceabilityUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.locations = InMemoryLocations()
        self.decisions = InMemoryDecisions()
        self.surveys = InMemorySurveys()
        self.reference = InMemoryReferenceVersions()
