"""Queries over serviceability's inventory, decisions, site surveys and TMF645 checks."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.addresses import UnreadableAddress, building_address
from orderdesk_shared.db import insert_if_absent
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
    ids = {request.location_id for request in requests if request.location_id}
    buildings = _buildings(requests)
    conditions = []
    if ids:
        conditions.append(locations.c.location_id.in_(ids))
    if buildings:
        conditions.append(sa.tuple_(*_BUILDING).in_(list(set(buildings.values()))))
    if not conditions:
        return {}
    rows = (await connection.execute(sa.select(locations).where(sa.or_(*conditions)))).all()
    by_id = {row.location_id: _location(row) for row in rows}
    by_building = {(row.street, row.city, row.state, row.postcode): by_id[row.location_id] for row in rows}
    matched: dict[str, Location] = {}
    for request in requests:
        found = by_id.get(request.location_id or "") or by_building.get(buildings.get(request.item_id))
        if found:
            matched[request.item_id] = found
    return matched


def _buildings(requests: Sequence[SiteRequest]) -> dict[str, tuple[str, str, str, str]]:
    buildings = {}
    for request in requests:
        if request.address is None:
            continue
        try:
            address = building_address(request.address)
        except UnreadableAddress:
            continue  # intake normalized it already; an address it let through unread matches no building
        buildings[request.item_id] = (address.street, address.city, address.state_or_province, address.postcode)
    return buildings


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


async def record_decision(
    connection: AsyncConnection,
    *,
    order_id: str,
    order_version: int,
    outcome: str,
    order_document: dict,
    sites: list[dict],
    findings: list[dict],
) -> bool:
    """Store the first decision on an order version; False when this version was decided before."""
    return await insert_if_absent(
        connection,
        qualifications,
        order_id=order_id,
        order_version=order_version,
        outcome=outcome,
        order_document=order_document,
        sites=sites,
        findings=findings,
    )


async def update_decision(
    connection: AsyncConnection, *, order_id: str, order_version: int, outcome: str, sites: list[dict], findings: list
) -> None:
    await connection.execute(
        sa.update(qualifications)
        .where(qualifications.c.order_id == order_id, qualifications.c.order_version == order_version)
        .values(outcome=outcome, sites=sites, findings=findings, updated_at=sa.func.now())
    )


async def newest_version(connection: AsyncConnection, order_id: str) -> int | None:
    return (
        await connection.execute(
            sa.select(sa.func.max(qualifications.c.order_version)).where(qualifications.c.order_id == order_id)
        )
    ).scalar_one()


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
