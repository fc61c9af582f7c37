"""Queries over serviceability's inventory, decisions, site surveys and TMF645 checks."""

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.addresses import UnreadableAddress, building_address
from orderdesk_shared.events.order import Address
from orderdesk_shared.tmf630 import JsonPath
from serviceability.domain.inventory import AccessMedium, InventoryFile, Location, RejectedRow
from serviceability.domain.qualification import SiteRequest, SurveyFindings
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


async def import_locations(connection: AsyncConnection, inventory: InventoryFile) -> ImportReport:
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
            async with connection.begin_nested():
                inserted = (await connection.execute(statement)).scalar_one()
        except IntegrityError:
            holder = await _location_id_at(connection, location.address)
            reason = f"the building is already location {holder}" if holder else "the row conflicts with the inventory"
            rejected.append(RejectedRow(line=line, location_id=location.location_id, reasons=(reason,)))
            continue
        (created if inserted else updated).append(location.location_id)
    return ImportReport(created=created, updated=updated, rejected=sorted(rejected, key=lambda row: row.line))


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


async def _location_id_at(connection: AsyncConnection, address: Address) -> str | None:
    building = (address.street, address.city, address.state_or_province, address.postcode)
    return (
        await connection.execute(sa.select(locations.c.location_id).where(sa.tuple_(*_BUILDING) == building))
    ).scalar_one_or_none()


async def has_locations(connection: AsyncConnection) -> bool:
    return (await connection.execute(sa.select(sa.exists().select_from(locations)))).scalar_one()


async def get_location(connection: AsyncConnection, location_id: str) -> Location | None:
    row = (await connection.execute(sa.select(locations).where(locations.c.location_id == location_id))).first()
    return _location(row) if row else None


async def match_locations(connection: AsyncConnection, requests: Sequence[SiteRequest]) -> dict[str, Location]:
    """Each request's location, keyed by item id: by location id when known, else by the site's building."""
    [matched] = await match_locations_of_orders(connection, [requests])
    return matched


async def match_locations_of_orders(
    connection: AsyncConnection, orders: Sequence[Sequence[SiteRequest]]
) -> list[dict[str, Location]]:
    """`match_locations` for the site requests of several orders, in one statement."""
    requests = [request for order in orders for request in order]
    ids = sorted({request.location_id for request in requests if request.location_id})
    buildings = {
        building
        for request in requests
        if request.address is not None and (building := _building(*_address_key(request.address)))
    }
    if not ids and not buildings:
        return [{} for _ in orders]
    wanted = sorted(buildings)
    rows = (
        await connection.execute(
            _MATCH_LOCATIONS,
            {"ids": ids, **{column: [building[index] for building in wanted] for index, column in _BUILDING_COLUMNS}},
        )
    ).all()
    by_id = {row.location_id: _location(row) for row in rows}
    by_building = {(row.street, row.city, row.state, row.postcode): by_id[row.location_id] for row in rows}

    def found(request: SiteRequest) -> Location | None:
        building = _building(*_address_key(request.address)) if request.address is not None else None
        return by_id.get(request.location_id or "") or by_building.get(building)

    return [{request.item_id: location for request in order if (location := found(request))} for order in orders]


_BUILDING_COLUMNS = tuple(enumerate(("street", "city", "state", "postcode")))
# Text, so it is compiled once: a tuple IN built per order costs more CPU than the query itself.
_MATCH_LOCATIONS = sa.text(
    f"SELECT * FROM {postgresql.dialect().identifier_preparer.format_table(locations)} "
    "WHERE location_id = ANY(:ids) OR (street, city, state, postcode) IN "
    "(SELECT * FROM unnest(:street, :city, :state, :postcode))"
).bindparams(
    *(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)) for name in ("ids", "street", "city", "state", "postcode"))
)


def _address_key(address: Address) -> tuple[str, str, str, str, str]:
    return (address.street, address.city, address.state_or_province, address.postcode, address.country)


@functools.lru_cache(maxsize=4096)
def _building(street: str, city: str, state: str, postcode: str, country: str) -> tuple[str, str, str, str] | None:
    """The building an address is in, as locations key it; None when unreadable. Cached: parsing an address is the
    dearest step of a decision, and customers order for the same sites again and again. An entry is about 0.5 KiB:
    the sites ordered for lately hold 2 MiB at most."""
    address = Address(street=street, city=city, state_or_province=state, postcode=postcode, country=country)
    try:
        building = building_address(address)
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


# Decisions


@dataclass(frozen=True)
class NewDecision:
    """The first decision on an order version, to be recorded."""

    order_id: str
    order_version: int
    outcome: str
    order_document: dict
    sites: list[dict]
    findings: list[dict]


async def record_decisions(connection: AsyncConnection, decisions: Sequence[NewDecision]) -> set[tuple[str, int]]:
    """Store each decision unless its order version, or a later one, was decided before; the (order id, version)
    of those stored. One statement for them all (an order's versions must be distinct)."""
    if not decisions:
        return set()
    rows = json.dumps([vars(decision) for decision in decisions], separators=(",", ":"))
    recorded = await connection.execute(_RECORD_DECISIONS, {"decisions": rows})
    return {(row.order_id, row.order_version) for row in recorded}


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


async def update_decision(
    connection: AsyncConnection, *, order_id: str, order_version: int, outcome: str, sites: list[dict], findings: list
) -> None:
    await connection.execute(
        sa.update(qualifications)
        .where(qualifications.c.order_id == order_id, qualifications.c.order_version == order_version)
        .values(outcome=outcome, sites=sites, findings=findings, updated_at=sa.func.now())
    )


async def get_decision(
    connection: AsyncConnection, order_id: str, order_version: int | None = None, *, for_update: bool = False
) -> sa.Row | None:
    """An order version's decision; without a version, the newest one."""
    query = sa.select(qualifications).where(qualifications.c.order_id == order_id)
    if order_version is not None:
        query = query.where(qualifications.c.order_version == order_version)
    query = query.order_by(qualifications.c.order_version.desc()).limit(1)
    if for_update:
        query = query.with_for_update()
    return (await connection.execute(query)).first()


# Site surveys


async def open_survey(
    connection: AsyncConnection,
    *,
    survey_id: str,
    order_id: str,
    order_version: int,
    item_id: str,
    location_id: str | None,
    site: str,
    reach: str,
    opened_at: datetime,
    due_at: datetime,
) -> None:
    await connection.execute(
        sa.insert(site_surveys).values(
            survey_id=survey_id,
            order_id=order_id,
            order_version=order_version,
            item_id=item_id,
            location_id=location_id,
            site=site,
            reach=reach,
            state="open",
            opened_at=opened_at,
            due_at=due_at,
        )
    )


async def surveys_of(connection: AsyncConnection, order_id: str, order_version: int) -> list[sa.Row]:
    return list(
        (
            await connection.execute(
                sa.select(site_surveys)
                .where(site_surveys.c.order_id == order_id, site_surveys.c.order_version == order_version)
                .order_by(site_surveys.c.opened_at, site_surveys.c.survey_id)
            )
        ).all()
    )


async def close_open_surveys(
    connection: AsyncConnection, order_id: str, *, state: str, before_version: int | None = None
) -> None:
    """Close an order's open surveys (of versions before `before_version`, when given) with `state`."""
    query = sa.update(site_surveys).where(site_surveys.c.order_id == order_id, site_surveys.c.state == "open")
    if before_version is not None:
        query = query.where(site_surveys.c.order_version < before_version)
    await connection.execute(query.values(state=state))


async def get_survey(connection: AsyncConnection, survey_id: str, *, for_update: bool = False) -> sa.Row | None:
    query = sa.select(site_surveys).where(site_surveys.c.survey_id == survey_id)
    if for_update:
        query = query.with_for_update()
    return (await connection.execute(query)).first()


async def list_surveys(connection: AsyncConnection, *, state: str | None, limit: int, offset: int) -> list[sa.Row]:
    query = sa.select(site_surveys).order_by(site_surveys.c.due_at, site_surveys.c.survey_id)
    if state:
        query = query.where(site_surveys.c.state == state)
    return list((await connection.execute(query.limit(limit).offset(offset))).all())


async def complete_survey(
    connection: AsyncConnection,
    survey_id: str,
    *,
    surveyor: str,
    distance_to_fiber_ft: int,
    notes: str | None,
    photos: list[str],
    completed_at: datetime,
) -> None:
    await connection.execute(
        sa.update(site_surveys)
        .where(site_surveys.c.survey_id == survey_id)
        .values(
            state="completed",
            surveyor=surveyor,
            distance_to_fiber_ft=distance_to_fiber_ft,
            notes=notes,
            photos=photos,
            completed_at=completed_at,
        )
    )


def completed_findings(surveys: Sequence[sa.Row]) -> dict[str, SurveyFindings]:
    """What completed surveys confirmed, by item id."""
    return {
        survey.item_id: SurveyFindings(survey_id=survey.survey_id, distance_to_fiber_ft=survey.distance_to_fiber_ft)
        for survey in surveys
        if survey.state == "completed"
    }


async def claim_overdue_surveys(connection: AsyncConnection, *, now: datetime) -> list[sa.Row]:
    """Open surveys past their due time with no jeopardy raised yet, marked as raised now (locked rows are skipped)."""
    overdue = (
        sa.select(site_surveys.c.survey_id)
        .where(
            site_surveys.c.state == "open", site_surveys.c.due_at <= now, site_surveys.c.jeopardy_raised_at.is_(None)
        )
        .with_for_update(skip_locked=True)
    )
    return list(
        (
            await connection.execute(
                sa.update(site_surveys)
                .where(site_surveys.c.survey_id.in_(overdue.scalar_subquery()))
                .values(jeopardy_raised_at=now)
                .returning(site_surveys)
            )
        ).all()
    )


# TMF645 checks and queries, each kept as it was answered


async def record_check(connection: AsyncConnection, *, check_id: str, requested_by: str, resource: dict) -> None:
    await _record(connection, service_qualification_checks, check_id, requested_by, resource)


async def get_check(connection: AsyncConnection, check_id: str) -> dict | None:
    return await _answered(connection, service_qualification_checks, check_id)


async def list_checks(
    connection: AsyncConnection,
    *,
    requested_by: str | None,
    matching: Sequence[JsonPath] = (),
    offset: int,
    limit: int,
) -> tuple[list[dict], int]:
    """One page of the checks answered, newest first, and how many there are: those `requested_by` asked for
    (compared without regard to case), or all, whose resource matches every SQL/JSON path."""
    return await _answers(connection, service_qualification_checks, requested_by, matching, offset=offset, limit=limit)


async def record_query(connection: AsyncConnection, *, query_id: str, requested_by: str, resource: dict) -> None:
    await _record(connection, service_qualification_queries, query_id, requested_by, resource)


async def get_query(connection: AsyncConnection, query_id: str) -> dict | None:
    return await _answered(connection, service_qualification_queries, query_id)


async def list_queries(
    connection: AsyncConnection,
    *,
    requested_by: str | None,
    matching: Sequence[JsonPath] = (),
    offset: int,
    limit: int,
) -> tuple[list[dict], int]:
    """One page of the queries answered, newest first, and how many there are, as `list_checks`."""
    return await _answers(connection, service_qualification_queries, requested_by, matching, offset=offset, limit=limit)


async def _record(connection: AsyncConnection, table: sa.Table, id_: str, requested_by: str, resource: dict) -> None:
    await connection.execute(sa.insert(table).values(id=id_, requested_by=requested_by, resource=resource))


async def _answered(connection: AsyncConnection, table: sa.Table, id_: str) -> dict | None:
    return (await connection.execute(sa.select(table.c.resource).where(table.c.id == id_))).scalar_one_or_none()


async def _answers(
    connection: AsyncConnection,
    table: sa.Table,
    requested_by: str | None,
    matching: Sequence[JsonPath],
    *,
    offset: int,
    limit: int,
) -> tuple[list[dict], int]:
    query = sa.select(table.c.resource)
    if requested_by:
        query = query.where(sa.func.lower(table.c.requested_by) == requested_by)
    for path, variables in matching:
        query = query.where(
            sa.func.jsonb_path_exists(table.c.resource, sa.cast(path, JSONPATH), sa.literal(variables, JSONB))
        )
    total = (await connection.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await connection.execute(query.order_by(table.c.created_at.desc(), table.c.id).offset(offset).limit(limit))
    return list(rows.scalars()), total
