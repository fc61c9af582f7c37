"""Serviceability's repositories, each on the connection of a unit of work (see unit_of_work.py): its location
inventory, decisions, site surveys, TMF645 checks and queries, and the reference versions its rules are built from."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.addresses import UnreadableAddress, building_address, remembered_per_building
from orderdesk_shared.db import json_records
from orderdesk_shared.events.order import Address
from orderdesk_shared.reference import ReferenceBook
from orderdesk_shared.tmf630 import JsonPath
from serviceability.domain.inventory import AccessMedium, InventoryFile, Location, RejectedRow
from serviceability.domain.qualification import SiteRequest
from serviceability.domain.rules import Rules
from serviceability.domain.verdict import SurveyReport, SurveyToOpen, Verdict
from serviceability.tables import (
    locations,
    qualifications,
    service_qualification_checks,
    service_qualification_queries,
    site_surveys,
)

_BUILDING = (locations.c.street, locations.c.city, locations.c.state, locations.c.postcode)


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    updated: list[str]
    rejected: list[RejectedRow]


class Locations:
    """The location inventory: where we can serve, and how."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def one_import_at_a_time(self) -> None:
        """Hold the inventory's import lock until the transaction ends."""
        # Two imports (or two replicas seeding) never race for the same building.
        await self._connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("serviceability.locations")))
        )

    async def import_all(self, inventory: InventoryFile) -> ImportReport:
        """Add new locations and update known ones in place (by id); a building held by another id is refused."""
        created: list[str] = []
        updated: list[str] = []
        rejected = list(inventory.rejected)
        for line, location in inventory.locations:
            values = _row(location)
            statement = (
                insert(locations)
                .values(values)
                .on_conflict_do_update(
                    index_elements=[locations.c.location_id], set_=values | {"updated_at": sa.func.now()}
                )
                .returning(sa.literal_column("xmax = 0").label("inserted"))
            )
            try:
                async with self._connection.begin_nested():
                    inserted = (await self._connection.execute(statement)).scalar_one()
            except IntegrityError:
                holder = await self._location_id_at(location.address)
                reason = (
                    f"the building is already location {holder}" if holder else "the row conflicts with the inventory"
                )
                rejected.append(RejectedRow(line=line, location_id=location.location_id, reasons=(reason,)))
                continue
            (created if inserted else updated).append(location.location_id)
        return ImportReport(created=created, updated=updated, rejected=sorted(rejected, key=lambda row: row.line))

    async def _location_id_at(self, address: Address) -> str | None:
        building = (address.street, address.city, address.state_or_province, address.postcode)
        return (
            await self._connection.execute(sa.select(locations.c.location_id).where(sa.tuple_(*_BUILDING) == building))
        ).scalar_one_or_none()

    async def any(self) -> bool:
        return (await self._connection.execute(sa.select(sa.exists().select_from(locations)))).scalar_one()

    async def get(self, location_id: str) -> Location | None:
        row = (
            await self._connection.execute(sa.select(locations).where(locations.c.location_id == location_id))
        ).first()
        return _location(row) if row else None

    async def match(self, requests: Sequence[SiteRequest]) -> dict[str, Location]:
        """Each request's location, keyed by item id: by location id when known, else by the site's building."""
        [matched] = await self.match_of_orders([requests])
        return matched

    async def match_of_orders(self, orders: Sequence[Sequence[SiteRequest]]) -> list[dict[str, Location]]:
        """`match` for the site requests of several orders, in one statement."""
        requests = [request for order in orders for request in order]
        ids = sorted({request.location_id for request in requests if request.location_id})
        buildings = {
            building for request in requests if request.address is not None and (building := _building(request.address))
        }
        if not ids and not buildings:
            return [{} for _ in orders]
        wanted = sorted(buildings)
        rows = (
            await self._connection.execute(
                _MATCH_LOCATIONS,
                {
                    "ids": ids,
                    **{column: [building[index] for building in wanted] for index, column in _BUILDING_COLUMNS},
                },
            )
        ).all()
        by_id = {row.location_id: _location(row) for row in rows}
        by_building = {(row.street, row.city, row.state, row.postcode): by_id[row.location_id] for row in rows}

        def found(request: SiteRequest) -> Location | None:
            building = _building(request.address) if request.address is not None else None
            return by_id.get(request.location_id or "") or by_building.get(building)

        return [{request.item_id: location for request in order if (location := found(request))} for order in orders]


def _row(location: Location) -> dict:
    address = location.address
    return {
        "location_id": location.location_id,
        "street": address.street,
        "city": address.city,
        "state": address.state_or_province,
        "postcode": address.postcode,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "building_lit": location.building_lit,
        "distance_to_fiber_ft": location.distance_to_fiber_ft,
        "access_medium": location.access_medium,
        "max_bandwidth_mbps": location.max_bandwidth_mbps,
        "market": location.market,
    }


_BUILDING_COLUMNS = tuple(enumerate(("street", "city", "state", "postcode")))
# Text, so it is compiled once: a tuple IN built per order costs more CPU than the query itself.
_MATCH_LOCATIONS = sa.text(
    f"SELECT * FROM {postgresql.dialect().identifier_preparer.format_table(locations)} "
    "WHERE location_id = ANY(:ids) OR (street, city, state, postcode) IN "
    "(SELECT * FROM unnest(:street, :city, :state, :postcode))"
).bindparams(
    *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in ("ids", "street", "city", "state", "postcode"))
)


# Parsing an address is the dearest step of a decision, and customers order for the same buildings again and again:
# an entry is about 0.5 KiB, so the 4,096 buildings ordered for most lately hold 2 MiB at most.
_remembered_building = remembered_per_building(building_address, maxsize=4096)


def _building(address: Address) -> tuple[str, str, str, str] | None:
    """The building an address is in, as locations key it; None when unreadable."""
    try:
        building = _remembered_building(address)
    except UnreadableAddress:
        return None  # intake normalized it already; an address it let through unread matches no building
    return (building.street, building.city, building.state_or_province, building.postcode)


def _location(row: sa.Row) -> Location:
    return Location(
        location_id=row.location_id,
        address=Address(street=row.street, city=row.city, state_or_province=row.state, postcode=row.postcode),
        latitude=row.latitude,
        longitude=row.longitude,
        building_lit=row.building_lit,
        distance_to_fiber_ft=row.distance_to_fiber_ft,
        access_medium=AccessMedium(row.access_medium),
        max_bandwidth_mbps=row.max_bandwidth_mbps,
        market=row.market,
    )


@dataclass(frozen=True)
class NewDecision:
    """The first decision on an order version, to be recorded."""

    order_id: str
    order_version: int
    outcome: str
    order_document: dict
    sites: list[dict]
    findings: list[dict]


class Decisions:
    """The decision on each order version: its outcome, sites and findings, with the order as decided."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, decisions: Sequence[NewDecision]) -> set[tuple[str, int]]:
        """Store each decision unless its order version, or a later one, was decided before; the (order id, version)
        of those stored. One statement for them all (an order's versions must be distinct)."""
        if not decisions:
            return set()
        rows = json_records([vars(decision) for decision in decisions])
        recorded = await self._connection.execute(_RECORD_DECISIONS, {"decisions": rows})
        return {(row.order_id, row.order_version) for row in recorded}

    async def update(self, verdict: Verdict) -> None:
        """Store a decision taken again on an order version decided before."""
        await self._connection.execute(
            sa.update(qualifications)
            .where(
                qualifications.c.order_id == verdict.order_id, qualifications.c.order_version == verdict.order_version
            )
            .values(
                outcome=verdict.decision.outcome,
                sites=verdict.sites,
                findings=verdict.findings,
                updated_at=sa.func.now(),
            )
        )

    async def get(self, order_id: str, order_version: int | None = None, *, for_update: bool = False) -> sa.Row | None:
        """An order version's decision; without a version, the newest one."""
        query = sa.select(qualifications).where(qualifications.c.order_id == order_id)
        if order_version is not None:
            query = query.where(qualifications.c.order_version == order_version)
        query = query.order_by(qualifications.c.order_version.desc()).limit(1)
        if for_update:
            query = query.with_for_update()
        return (await self._connection.execute(query)).first()


_QUALIFICATIONS = postgresql.dialect().identifier_preparer.format_table(qualifications)
_RECORD_DECISIONS = sa.text(
    f"INSERT INTO {_QUALIFICATIONS} (order_id, order_version, outcome, order_document, sites, findings) "
    "SELECT new.order_id, new.order_version, new.outcome, new.order_document, new.sites, new.findings "
    "FROM jsonb_to_recordset(CAST(:decisions AS jsonb)) AS new(order_id text, order_version integer, outcome text, "
    "order_document jsonb, sites jsonb, findings jsonb) "
    f"WHERE NOT EXISTS (SELECT FROM {_QUALIFICATIONS} AS known "
    "WHERE known.order_id = new.order_id AND known.order_version > new.order_version) "
    "ON CONFLICT DO NOTHING RETURNING order_id, order_version"
).bindparams(sa.bindparam("decisions", type_=sa.Text))


class Surveys:
    """Site surveys: open until a surveyor completes them, or their order version is superseded or cancelled."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def open(self, order_id: str, order_version: int, survey: SurveyToOpen) -> None:
        await self._connection.execute(
            sa.insert(site_surveys).values(
                survey_id=f"SRV-{uuid.uuid4().hex[:10].upper()}",
                order_id=order_id,
                order_version=order_version,
                item_id=survey.item_id,
                location_id=survey.location_id,
                site=survey.site,
                reach=survey.reach,
                state="open",
                opened_at=survey.opened_at,
                due_at=survey.due_at,
            )
        )

    async def of_version(self, order_id: str, order_version: int) -> list[sa.Row]:
        return list(
            (
                await self._connection.execute(
                    sa.select(site_surveys)
                    .where(site_surveys.c.order_id == order_id, site_surveys.c.order_version == order_version)
                    .order_by(site_surveys.c.opened_at, site_surveys.c.survey_id)
                )
            ).all()
        )

    async def close_open(self, order_id: str, *, state: str, before_version: int | None = None) -> None:
        """Close an order's open surveys (of versions before `before_version`, when given) with `state`."""
        query = sa.update(site_surveys).where(site_surveys.c.order_id == order_id, site_surveys.c.state == "open")
        if before_version is not None:
            query = query.where(site_surveys.c.order_version < before_version)
        await self._connection.execute(query.values(state=state))

    async def get(self, survey_id: str, *, for_update: bool = False) -> sa.Row | None:
        query = sa.select(site_surveys).where(site_surveys.c.survey_id == survey_id)
        if for_update:
            query = query.with_for_update()
        return (await self._connection.execute(query)).first()

    async def page(self, *, state: str | None, limit: int, offset: int) -> list[sa.Row]:
        """One page of the surveys (in `state`, when given), soonest due first."""
        query = sa.select(site_surveys).order_by(site_surveys.c.due_at, site_surveys.c.survey_id)
        if state:
            query = query.where(site_surveys.c.state == state)
        return list((await self._connection.execute(query.limit(limit).offset(offset))).all())

    async def complete(self, survey_id: str, report: SurveyReport, *, completed_at: datetime) -> None:
        await self._connection.execute(
            sa.update(site_surveys)
            .where(site_surveys.c.survey_id == survey_id)
            .values(
                state="completed",
                surveyor=report.surveyor,
                distance_to_fiber_ft=report.distance_to_fiber_ft,
                notes=report.notes,
                photos=report.photos,
                completed_at=completed_at,
            )
        )

    async def claim_overdue(self, *, now: datetime) -> list[sa.Row]:
        """Open surveys past their due time with no jeopardy raised yet, marked as raised now (locked rows are
        skipped)."""
        overdue = (
            sa.select(site_surveys.c.survey_id)
            .where(
                site_surveys.c.state == "open",
                site_surveys.c.due_at <= now,
                site_surveys.c.jeopardy_raised_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        return list(
            (
                await self._connection.execute(
                    sa.update(site_surveys)
                    .where(site_surveys.c.survey_id.in_(overdue.scalar_subquery()))
                    .values(jeopardy_raised_at=now)
                    .returning(site_surveys)
                )
            ).all()
        )


class _Answers:
    """TMF645 answers of one kind, each kept as it was answered."""

    table: ClassVar[sa.Table]

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, id_: str, *, requested_by: str, resource: dict) -> None:
        await self._connection.execute(
            sa.insert(self.table).values(id=id_, requested_by=requested_by, resource=resource)
        )

    async def get(self, id_: str) -> dict | None:
        return (
            await self._connection.execute(sa.select(self.table.c.resource).where(self.table.c.id == id_))
        ).scalar_one_or_none()

    async def page(
        self, *, requested_by: str | None, matching: Sequence[JsonPath] = (), offset: int, limit: int
    ) -> tuple[list[dict], int]:
        """One page of the answers, newest first, and how many there are: those `requested_by` asked for
        (compared without regard to case), or all, whose resource matches every SQL/JSON path."""
        table = self.table
        query = sa.select(table.c.resource)
        if requested_by:
            query = query.where(sa.func.lower(table.c.requested_by) == requested_by)
        for path, variables in matching:
            query = query.where(
                sa.func.jsonb_path_exists(table.c.resource, sa.cast(path, JSONPATH), sa.literal(variables, JSONB))
            )
        total = (await self._connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
        rows = await self._connection.execute(
            query.order_by(table.c.created_at.desc(), table.c.id).offset(offset).limit(limit)
        )
        return list(rows.scalars()), total


class Checks(_Answers):
    """TMF645 CheckServiceQualifications answered."""

    table = service_qualification_checks


class Queries(_Answers):
    """TMF645 QueryServiceQualifications answered."""

    table = service_qualification_queries


class ReferenceVersions:
    """The announced documents the rules are built from (the catalogue in force), read through the service's
    ReferenceBook, which rereads them when due."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rules(self, book: ReferenceBook[Rules]) -> Rules:
        return await book.within(self._connection)

    async def keep(self, book: ReferenceBook[Rules], *, kind: str, version: str, document: dict) -> None:
        await book.keep(self._connection, kind=kind, version=version, document=document)
