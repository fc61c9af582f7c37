"""Serviceability's API: TMF645 checks, the order view, site surveys and the location inventory."""

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared import tmf630
from orderdesk_shared.access import SEES_EVERY_ORDER, OrderAction, OrderPeople, ensure_allowed, own_orders_only
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.csv_rows import UnreadableCsv
from orderdesk_shared.db import Database
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.limits import Offset, PageSize
from orderdesk_shared.published_specs import TMF645, PublishedSpec
from orderdesk_shared.tmf630 import ListQuery
from serviceability import tmf645
from serviceability.domain.qualification import CheckItem, SiteDecision, decide_check
from serviceability.domain.rules import Rules
from serviceability.domain.verdict import SurveyReport
from serviceability.handlers import SurveyNotOpen, complete_site_survey
from serviceability.inventory import import_inventory, report_document
from serviceability.notifications import HUB, check_created, query_created
from serviceability.repository import Checks, Decisions, Locations, Queries, Surveys
from serviceability.unit_of_work import ServiceabilityUnitOfWork

router = APIRouter(prefix="/serviceability", tags=["serviceability"])
# A location import is a whole CSV file: it may be larger than other bodies (the max_upload_bytes setting).
UPLOAD_PATHS = ("/serviceability/locations/import",)
tmf645_router = APIRouter(prefix=tmf645.API_ROOT, tags=["TMF645 checkServiceQualification"])

Checker = Annotated[Principal, Depends(require_roles(Role.SALES_REP, Role.SPECIALIST))]
Surveyor = Annotated[Principal, Depends(require_roles(Role.OPERATIONS))]
# The surveyors' queue names every order's sites: the roles whose duties reach every order read it, not a sales rep.
SurveyReader = Annotated[Principal, Depends(require_roles(*SEES_EVERY_ORDER))]
InventoryKeeper = Annotated[Principal, Depends(require_roles(Role.OPERATIONS))]


TMF645Body = Annotated[Any, Body(description="a TMF645 CheckServiceQualification_Create")]
TMF645QueryBody = Annotated[Any, Body(description="a TMF645 QueryServiceQualification_Create")]


@tmf645_router.post("/checkServiceQualification", status_code=status.HTTP_201_CREATED)
async def check_service_qualification(
    body: TMF645Body, principal: Checker, db: DatabaseDep, context: ContextDep
) -> dict:
    """Whether and how each site can be served, answered at once (qualified, alternate or unqualified per item)."""
    if errors := tmf645.invalid_params(body):
        raise RequestValidationError(errors)
    rules = await context.rules.through(db)
    items = tmf645.check_items(body, rules)
    check_id = str(uuid.uuid4())
    async with db.unit_of_work() as uow:
        sites = await _decide(uow, items, rules, alternates_wanted=body.get("provideAlternative", False))
        resource = tmf645.to_resource(check_id, body, sites, checked_at=context.clock())
        await uow.checks.record(check_id, requested_by=principal.subject, resource=resource)
        HUB.notify(uow, lambda _: [check_created(resource, requested_by=principal.subject)])
    return resource


async def _answers_listed(
    answers: type[Checks | Queries],
    reader: Principal,
    db: Database,
    query: ListQuery,
    response: Response,
) -> list[dict]:
    """Checks or queries answered, newest first, a sales rep's own only. Postgres decides every filter on the
    stored resources but an ordering of date-times, left to the query over at most tmf630.MAX_FILTERED_SCAN."""
    matching, rest = query.split_for_jsonb()
    async with db.engine.connect() as connection:

        async def read(offset: int, limit: int) -> tuple[list[dict], int]:
            return await answers(connection).page(
                requested_by=own_orders_only(reader), matching=matching, offset=offset, limit=limit
            )

        return await rest.answer_from(read, response, narrow_with="filters other than .gt/.gte/.lt/.lte on dates")


def _serve_answers(
    path: str, answers: type[Checks | Queries], *, id_parameter: str, read_description: str, list_description: str
) -> None:
    """Read the checks or queries answered before at `/{path}/{<id_parameter>}`, as they were answered, and list
    them at `/{path}`, with TMF630 list behaviour (orderdesk_shared.tmf630) on the resource's TMF645 attributes."""
    attributes = PublishedSpec.named(TMF645).properties(path[0].upper() + path[1:])
    AnswerList = Annotated[ListQuery, Depends(tmf630.list_query(attributes=attributes))]
    AnswerFields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=attributes))]
    # Each path keeps its own parameter name ({check_id}, {query_id}): the OpenAPI document shows it.
    AnswerId = Annotated[str, Path(alias=id_parameter)]

    async def retrieve(answer_id: AnswerId, _: SignedIn, db: DatabaseDep, fields: AnswerFields) -> dict:
        missing = f"no {path} {answer_id}"
        answer = await read_or_404(db, lambda connection: answers(connection).get(answer_id), missing=missing)
        return tmf630.project(answer, fields)

    async def list_answers(reader: SignedIn, db: DatabaseDep, query: AnswerList, response: Response) -> list[dict]:
        return await _answers_listed(answers, reader, db, query, response)

    operation = re.sub(r"(?<!^)(?=[A-Z])", "_", path).lower()
    tmf645_router.add_api_route(
        f"/{path}/{{{id_parameter}}}",
        retrieve,
        methods=["GET"],
        name=f"retrieve_{operation}",
        description=read_description,
    )
    tmf645_router.add_api_route(
        f"/{path}", list_answers, methods=["GET"], name=f"list_{operation}s", description=list_description
    )


_serve_answers(
    "checkServiceQualification",
    Checks,
    id_parameter="check_id",
    read_description="A check answered before, as it was answered.",
    list_description=(
        "The checks answered, newest first, filtered and projected as TMF630 says (e.g. "
        "`qualificationResult=unqualified`, `serviceQualificationItem.service.serviceSpecification.id=DIA-FIBER`); "
        "a sales rep's own only."
    ),
)


@tmf645_router.post("/queryServiceQualification", status_code=status.HTTP_201_CREATED)
async def query_service_qualification(
    body: TMF645QueryBody, principal: Checker, db: DatabaseDep, context: ContextDep
) -> dict:
    """The offerings that can be served at a place (or whether the one the search names can), answered at once."""
    if errors := tmf645.invalid_params(body, definition=tmf645.QUERY_CREATE):
        raise RequestValidationError(errors)
    rules = await context.rules.through(db)
    items = tmf645.query_items(body, rules)
    query_id = str(uuid.uuid4())
    async with db.unit_of_work() as uow:
        sites = await _decide(uow, items, rules, alternates_wanted=False)
        resource = tmf645.to_query_resource(query_id, body, sites, rules, queried_at=context.clock())
        await uow.queries.record(query_id, requested_by=principal.subject, resource=resource)
        HUB.notify(uow, lambda _: [query_created(resource, requested_by=principal.subject)])
    return resource


_serve_answers(
    "queryServiceQualification",
    Queries,
    id_parameter="query_id",
    read_description="A query answered before, as it was answered.",
    list_description=(
        "The queries answered, newest first, filtered and projected as TMF630 says; a sales rep's own only."
    ),
)


async def _decide(
    uow: ServiceabilityUnitOfWork, items: list[CheckItem], rules: Rules, *, alternates_wanted: bool
) -> list[SiteDecision]:
    locations = await uow.locations.match([item.request for item in items if not item.problems])
    return decide_check(items, locations, rules, alternates_wanted=alternates_wanted)


@router.get("/orders/{order_id}")
async def order_qualification(order_id: str, reader: SignedIn, db: DatabaseDep) -> dict:
    """The decision on the order's newest version: outcome, each site, findings and site surveys (a sales rep's own
    orders only)."""
    missing = f"order {order_id} has not been qualified"
    async with db.engine.connect() as connection:
        row = await Decisions(connection).get(order_id)
        surveys = await Surveys(connection).of_version(order_id, row.order_version) if row else []
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
    people = OrderPeople.of(ProductOrder.model_validate(row.order_document))
    ensure_allowed(reader, people, OrderAction.SEE, missing=missing)
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "outcome": row.outcome,
        "sites": row.sites,
        "findings": row.findings,
        "siteSurveys": [_survey(survey) for survey in surveys],
        "decidedAt": row.decided_at,
        "updatedAt": row.updated_at,
    }


SurveyState = Literal["open", "completed", "superseded", "cancelled"]


@router.get("/siteSurveys")
async def list_site_surveys(
    _: SurveyReader,
    db: DatabaseDep,
    state: SurveyState | None = "open",
    offset: Offset = 0,
    limit: PageSize = 100,
) -> list[dict]:
    """Site surveys, soonest due first; open ones by default (the surveyors' work queue)."""
    async with db.engine.connect() as connection:
        return [_survey(survey) for survey in await Surveys(connection).page(state=state, limit=limit, offset=offset)]


class SurveyCompletion(BaseModel):
    """What the surveyor found on site."""

    model_config = ConfigDict(extra="forbid")

    distanceToFiberFt: int = Field(ge=0, le=1_000_000, description="route distance to our nearest plant, confirmed")
    notes: str | None = Field(default=None, max_length=5000)
    photos: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=50, description="references to the photos taken (URLs or document ids)"
    )


@router.post("/siteSurveys/{survey_id}/completion")
async def complete_survey(
    survey_id: str, body: SurveyCompletion, principal: Surveyor, db: DatabaseDep, context: ContextDep
) -> dict:
    """Complete an open survey: the estimate is computed again from the confirmed distance, the order released."""
    async with db.unit_of_work() as uow:
        try:
            report = SurveyReport(
                surveyor=principal.subject,
                distance_to_fiber_ft=body.distanceToFiberFt,
                notes=body.notes,
                photos=body.photos,
            )
            decision = await complete_site_survey(survey_id, report, uow, context)
        except SurveyNotOpen as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        if decision is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no site survey {survey_id}")
        survey = await uow.surveys.get(survey_id)
    return _survey(survey) | {"orderOutcome": decision.outcome, "sites": [site.summary() for site in decision.sites]}


@router.get("/locations/{location_id}")
async def location(location_id: str, _: SignedIn, db: DatabaseDep) -> dict:
    """One location of the inventory."""
    found = await read_or_404(
        db, lambda connection: Locations(connection).get(location_id), missing=f"no location {location_id}"
    )
    return {
        "locationId": found.location_id,
        "address": found.address.model_dump(by_alias=True),
        "latitude": str(found.latitude),
        "longitude": str(found.longitude),
        "buildingLit": found.building_lit,
        "distanceToFiberFt": found.distance_to_fiber_ft,
        "accessMedium": found.access_medium,
        "maxBandwidthMbps": found.max_bandwidth_mbps,
        "market": found.market,
    }


@router.post("/locations/import")
async def import_locations(
    csv_text: Annotated[str, Body(media_type="text/csv")], _: InventoryKeeper, db: DatabaseDep
) -> dict:
    """Import the inventory from CSV: new locations are added, known ones updated; each bad row is reported."""
    async with db.unit_of_work() as uow:
        try:
            report = await import_inventory(uow, csv_text)
        except UnreadableCsv as error:
            raise RequestValidationError(
                [{"loc": ("body", "columns"), "msg": str(error), "type": "value_error"}]
            ) from error
    return report_document(report)


def _survey(survey) -> dict:
    document = {
        "surveyId": survey.survey_id,
        "orderId": survey.order_id,
        "orderVersion": survey.order_version,
        "itemId": survey.item_id,
        "locationId": survey.location_id,
        "site": survey.site,
        "reach": survey.reach,
        "state": survey.state,
        "openedAt": survey.opened_at,
        "dueAt": survey.due_at,
        "jeopardyRaisedAt": survey.jeopardy_raised_at,
        "completedAt": survey.completed_at,
        "surveyor": survey.surveyor,
        "distanceToFiberFt": survey.distance_to_fiber_ft,
        "notes": survey.notes,
        "photos": survey.photos,
    }
    return {name: value for name, value in document.items() if value is not None}
