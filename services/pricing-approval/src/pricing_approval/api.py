"""Pricing-approval's API: an order's quote, decisions and proposal, the approvers' queue and decisions, the TMF620
catalogue."""

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared import tmf630
from orderdesk_shared.access import OrderAction, ensure_allowed
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep, ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.limits import REQUEST_LIMITS, Offset, PageSize
from orderdesk_shared.tmf630 import ListQuery
from pricing_approval import proposal, tmf620
from pricing_approval.domain.capital_review import CapitalReview
from pricing_approval.domain.decisions import granted
from pricing_approval.domain.proposal_review import RepProposalRefused
from pricing_approval.domain.proposals import InvalidAcceptance, ProposalConflict, ProposalRecord
from pricing_approval.domain.records import ApprovalRequest, StoredQuote
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.handlers import CONFLICT, FORBIDDEN, Refused, decide_approval, not_priced
from pricing_approval.proposal_lifecycle import accept_proposal, decline_proposal, send_proposal
from pricing_approval.repository import ApprovalRequests, CapitalReviews, OrderHistory, Proposals, Quotes
from pricing_approval.rules_in_force import PricingRules
from pricing_approval.unit_of_work import PricingUnitOfWork

router = APIRouter(prefix="/pricing", tags=["pricing"])
catalogue_router = APIRouter(prefix=tmf620.API_ROOT, tags=["TMF620 product catalogue"])

APPROVER_ROLES = (Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.LEGAL)
Approver = Annotated[Principal, Depends(require_roles(*APPROVER_ROLES))]
# Who sends a proposal and records the customer's answer: the order's reps, or any specialist.
ProposalKeeper = Annotated[Principal, Depends(require_roles(Role.SALES_REP, Role.SPECIALIST))]
_REFUSAL_STATUS = {FORBIDDEN: status.HTTP_403_FORBIDDEN, CONFLICT: status.HTTP_409_CONFLICT}
T = TypeVar("T")


_PDF_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proposal-pdf")


class Decision(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


class Denial(BaseModel):
    comment: Annotated[str, Field(min_length=1, max_length=2000, description="why: the rep and the desk see it")]


class Acceptance(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, **REQUEST_LIMITS)

    signed_by: Annotated[
        str, Field(min_length=1, max_length=200, description="the customer contact who signed, as named on the order")
    ]
    signed_on: Annotated[date, Field(description="the day they signed: not before it was sent, not in the future")]


class Refusal(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=2000, description="why the customer declined")]


def _request_view(request: ApprovalRequest) -> dict:
    return {
        "id": request.id,
        "orderId": request.order_id,
        "orderVersion": request.order_version,
        "role": request.role,
        "reason": request.explanation,
        "reasons": request.reasons,
        "slaBusinessDays": request.sla_business_days,
        "requestedAt": request.requested_at,
        "dueAt": request.due_at,
        "status": request.status,
        "decidedBy": request.decided_by,
        "decidedAt": request.decided_at,
        "comment": request.comment,
        "carriedFrom": request.carried_from,
        "jeopardyRaisedAt": request.jeopardy_raised_at,
        "withdrawnBecause": request.withdrawn_because,
    }


def review_view(review: CapitalReview) -> dict:
    return {
        "id": review.id,
        "orderId": review.order_id,
        "orderVersion": review.order_version,
        "verdict": review.verdict,
        "reviewedBy": review.reviewed_by,
        "reviewedAt": review.reviewed_at,
        "itemId": review.item_id,
        "input": review.doubted_input,
        "reason": review.reason,
        "team": review.team,
        "status": review.status,
        "resolution": review.resolution,
        "resolvedBy": review.resolved_by,
        "resolvedAt": review.resolved_at,
        "closedBecause": review.closed_because,
    }


def _quote_view(quote: StoredQuote) -> dict:
    return {
        "orderId": quote.order_id,
        "orderVersion": quote.order_version,
        "status": quote.status,
        "pricing": quote.pricing.model_dump(mode="json", by_alias=True, exclude_none=True) if quote.pricing else None,
        "requiredApprovals": quote.required_approvals,
        "rejection": quote.rejection,
        "pricedAt": quote.priced_at,
        "decidedAt": quote.decided_at,
    }


async def visible_quote(connection: AsyncConnection, order_id: str, reader: Principal) -> StoredQuote:
    """The order's quote, when the reader may see the order (a sales rep their own only); else not found."""
    quote = await Quotes(connection).get(order_id)
    if quote is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, not_priced(order_id))
    people = await OrderHistory(connection).people_of(quote)
    ensure_allowed(reader, people, OrderAction.SEE, missing=not_priced(order_id))
    return quote


@router.get("/orders/{order_id}")
async def order_quote(order_id: str, reader: SignedIn, db: DatabaseDep) -> dict:
    """The pricing and approval status of an order's latest version, with each approval request and each review of
    its capital."""
    async with db.engine.connect() as connection:
        quote = await visible_quote(connection, order_id, reader)
        requests = await ApprovalRequests(connection).of_version(order_id, quote.order_version)
        reviews = await CapitalReviews(connection).of_version(order_id, quote.order_version)
    return _quote_view(quote) | {
        "approvals": [_request_view(request) for request in requests],
        "capitalReviews": [review_view(review) for review in reviews],
    }


@router.get("/orders/{order_id}/decisions")
async def order_decisions(order_id: str, reader: SignedIn, db: DatabaseDep) -> list[dict]:
    """The audit of every approver's decision on the order, across its versions, oldest first."""
    async with db.engine.connect() as connection:
        await visible_quote(connection, order_id, reader)
        rows = await ApprovalRequests(connection).decisions(order_id)
    return [
        {
            "requestId": row.request_id,
            "orderVersion": row.order_version,
            "role": row.role,
            "decision": row.decision,
            "actor": row.actor,
            "comment": row.comment,
            "decidedAt": row.decided_at,
        }
        for row in rows
    ]


def _proposal_view(proposal: ProposalRecord) -> dict:
    return {to_camel(name): value for name, value in vars(proposal).items()}


@router.get("/orders/{order_id}/proposal")
async def order_proposal(order_id: str, reader: SignedIn, db: DatabaseDep) -> dict:
    """Where the proposal of the order's latest version stands with the customer."""
    async with db.engine.connect() as connection:
        quote = await _priced_quote(connection, order_id, reader)
        found = await Proposals(connection).get(order_id, version=quote.order_version)
    if found is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"order {order_id} has no proposal: {_why_none(quote)}")
    return _proposal_view(found)


@router.post("/orders/{order_id}/proposal/send")
async def send_order_proposal(order_id: str, keeper: ProposalKeeper, db: DatabaseDep, context: ContextDep) -> dict:
    """Send the proposal to the customer (again, once it expired): open for the policy's days from today."""
    sent = await act(
        db, context, lambda uow, now: send_proposal(uow, order_id=order_id, actor=keeper, now=now, rules=context.rules)
    )
    return _proposal_view(sent)


@router.post("/orders/{order_id}/proposal/accept")
async def accept_order_proposal(
    order_id: str, acceptance: Acceptance, keeper: ProposalKeeper, db: DatabaseDep, context: ContextDep
) -> dict:
    """Record the customer's signature on the sent proposal; an order waiting only for it is approved."""
    accepted = await act(
        db,
        context,
        lambda uow, now: accept_proposal(
            uow,
            order_id=order_id,
            actor=keeper,
            signed_by=acceptance.signed_by,
            signed_on=acceptance.signed_on,
            now=now,
            rules=context.rules,
        ),
    )
    return _proposal_view(accepted)


@router.post("/orders/{order_id}/proposal/decline")
async def decline_order_proposal(
    order_id: str, refusal: Refusal, keeper: ProposalKeeper, db: DatabaseDep, context: ContextDep
) -> dict:
    """Record that the customer declined the proposal: the order is rejected PROPOSAL_DECLINED."""
    declined = await act(
        db,
        context,
        lambda uow, now: decline_proposal(uow, order_id=order_id, actor=keeper, reason=refusal.reason, now=now),
    )
    return _proposal_view(declined)


@router.get("/orders/{order_id}/proposal.html", response_class=HTMLResponse)
async def proposal_html(order_id: str, reader: SignedIn, db: DatabaseDep, context: ContextDep) -> HTMLResponse:
    """The proposal and contract document of a priced order, as a web page (a draft until approved)."""
    return HTMLResponse(proposal.render_html(await _proposal(db, order_id, reader, context.rules)))


@router.get("/orders/{order_id}/proposal.pdf", response_class=Response)
async def proposal_pdf(order_id: str, reader: SignedIn, db: DatabaseDep, context: ContextDep) -> Response:
    """The proposal and contract document of a priced order, as a PDF to sign (a draft until approved)."""
    drafted = await _proposal(db, order_id, reader, context.rules)
    # Laying out a PDF takes CPU for tens of milliseconds or more: off the event loop, one at a time,
    # as reportlab keeps global state (fonts, settings) that is not safe to share between threads.
    document = await asyncio.get_running_loop().run_in_executor(_PDF_RENDERER, proposal.render_pdf, drafted)
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="proposal-{order_id}.pdf"'},
    )


async def _proposal(db: Database, order_id: str, reader: Principal, rules: PricingRules) -> proposal.Proposal:
    async with db.engine.connect() as connection:
        quote = await _priced_quote(connection, order_id, reader)
        if quote.status is QuoteStatus.REJECTED or quote.pricing is None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"order {order_id} has no proposal: {_why_none(quote)}")
        requests = await ApprovalRequests(connection).of_version(order_id, quote.order_version)
        kept = await Proposals(connection).get(order_id, version=quote.order_version)
    return proposal.proposal_of(quote, rules=rules, approvals=granted(requests), record=kept)


async def _priced_quote(connection: AsyncConnection, order_id: str, reader: Principal) -> StoredQuote:
    """The latest version's quote, of an order priced since proposals are kept and the reader may see."""
    quote = await visible_quote(connection, order_id, reader)
    if quote.order is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"order {order_id} was priced before proposals were kept")
    return quote


def _why_none(quote: StoredQuote) -> str:
    return quote.rejection["message"] if quote.rejection else "it was priced before proposals were kept"


@router.get("/approvals")
async def my_approval_queue(
    approver: Approver, db: DatabaseDep, offset: Offset = 0, limit: PageSize = 100
) -> list[dict]:
    """The approvals waiting for any of the caller's roles, the soonest due first, a page at a time."""
    async with db.engine.connect() as connection:
        waiting = await ApprovalRequests(connection).pending_for_roles(approver.roles, offset=offset, limit=limit)
    return [_request_view(request) for request in waiting]


@router.get("/approvals/{request_id}")
async def approval_request(request_id: str, _: Approver, db: DatabaseDep) -> dict:
    """One approval request with what the approver decides on: the order, its sites, pricing and capital view."""
    request = await read_or_404(
        db,
        lambda connection: ApprovalRequests(connection).get(request_id),
        missing=f"no approval request {request_id}",
    )
    async with db.engine.connect() as connection:
        quote = await Quotes(connection).get(request.order_id)
    return _request_view(request) | {
        "order": quote.order.model_dump(mode="json", by_alias=True, exclude_none=True),
        "sites": [site.model_dump(mode="json", by_alias=True, exclude_none=True) for site in quote.sites],
        "quote": _quote_view(quote),
    }


@router.post("/approvals/{request_id}/approve")
async def approve(
    request_id: str, decision: Decision, approver: Approver, db: DatabaseDep, context: ContextDep
) -> dict:
    """Grant an approval request (its role only; never on an order the caller submitted, corrected or is named on)."""
    return await _decide(db, context, request_id, approver, grant=True, comment=decision.comment)


@router.post("/approvals/{request_id}/deny")
async def deny(request_id: str, denial: Denial, approver: Approver, db: DatabaseDep, context: ContextDep) -> dict:
    """Deny an approval request with the reason: the order is rejected PRICING_UNAPPROVED."""
    return await _decide(db, context, request_id, approver, grant=False, comment=denial.comment)


async def _decide(
    db: Database, context: ServiceContext, request_id: str, approver: Principal, *, grant: bool, comment: str | None
) -> dict:
    decided = await act(
        db,
        context,
        lambda uow, now: decide_approval(
            uow, request_id=request_id, approver=approver, grant=grant, comment=comment, now=now
        ),
    )
    return _request_view(decided)


async def act(
    db: Database, context: ServiceContext, action: Callable[[PricingUnitOfWork, datetime], Awaitable[T]]
) -> T:
    """Take a person's action in one transaction; a refused one is a problem saying why, and changes nothing."""
    try:
        async with db.unit_of_work() as uow:
            return await action(uow, context.clock())
    except Refused as refused:
        raise HTTPException(_REFUSAL_STATUS.get(refused.reason, status.HTTP_404_NOT_FOUND), str(refused)) from refused
    except (ProposalConflict, RepProposalRefused) as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    except InvalidAcceptance as invalid:
        errors = [{"loc": ("body", field), "msg": reason, "type": "value_error"} for field, reason in invalid.problems]
        raise RequestValidationError(errors) from invalid


JobRead = Annotated[ListQuery, Depends(tmf630.list_query(attributes=tmf620.attributes("ImportJob")))]


async def catalogue_root(request: Request) -> str:
    """FastAPI dependency: the API's root as the client reached it, for absolute hrefs (TMF620's are `format: uri`)."""
    return str(request.base_url).rstrip("/") + tmf620.API_ROOT


CatalogueRoot = Annotated[str, Depends(catalogue_root)]


@dataclass(frozen=True)
class CatalogueResource:
    """A kind of TMF620 resource the catalogue is read as: listed at `/{path}` (TMF630 filters, fields and paging),
    read at `/{path}/{<id_parameter>}` (fields), a 404 naming it when there is none."""

    path: str
    definition: str  # in the published specification: the attributes a read may filter on and ask for
    singular: str  # names the read by id (its OpenAPI operation) and its 404: "no product offering X"
    plural: str  # names the list
    id_parameter: str
    list_description: str
    every: Callable[..., list[dict]]  # (catalogue, *, root)
    by_id: Callable[..., dict | None]  # (catalogue, id, *, root): None when there is none


CATALOGUE_RESOURCES = (
    CatalogueResource(
        path="catalog",
        definition="Catalog",
        singular="catalog",
        plural="catalogs",
        id_parameter="catalog_id",
        list_description="The one catalog: the catalogue in force (TMF620).",
        every=tmf620.catalogs,
        by_id=tmf620.catalog_by_id,
    ),
    CatalogueResource(
        path="category",
        definition="Category",
        singular="category",
        plural="categories",
        id_parameter="category_id",
        list_description="The catalogue's product families as categories, each with its offerings (TMF620).",
        every=tmf620.categories,
        by_id=tmf620.category_by_id,
    ),
    CatalogueResource(
        path="productOffering",
        definition="ProductOffering",
        singular="product offering",
        plural="product offerings",
        id_parameter="offering_id",
        list_description="The catalogue's offerings (TMF620), e.g. `lifecycleStatus=Active` or `category.id=internet`.",
        every=tmf620.offerings,
        by_id=tmf620.offering_by_id,
    ),
    CatalogueResource(
        path="productOfferingPrice",
        definition="ProductOfferingPrice",
        singular="product offering price",
        plural="product offering prices",
        id_parameter="price_id",
        list_description=(
            "Every price component and term discount of every offering (TMF620), e.g. `priceType=discount`."
        ),
        every=tmf620.prices,
        by_id=tmf620.price_by_id,
    ),
    CatalogueResource(
        path="productSpecification",
        definition="ProductSpecification",
        singular="product specification",
        plural="product specifications",
        id_parameter="specification_id",
        list_description=(
            "Each offering's product specification: the characteristics an order item may choose (TMF620)."
        ),
        every=tmf620.specifications,
        by_id=tmf620.specification_by_id,
    ),
)


def _serve(resource: CatalogueResource) -> None:
    attributes = tmf620.attributes(resource.definition)
    Read = Annotated[ListQuery, Depends(tmf630.list_query(attributes=attributes))]
    Fields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=attributes))]
    # Each path keeps its own parameter name ({offering_id}, {price_id}...): the OpenAPI document shows it.
    ResourceId = Annotated[str, Path(alias=resource.id_parameter)]

    async def list_resources(
        _: SignedIn, context: ContextDep, root: CatalogueRoot, query: Read, response: Response
    ) -> list[dict]:
        return query.answer(resource.every(context.rules.catalogue, root=root), response)

    async def read_resource(
        resource_id: ResourceId, _: SignedIn, context: ContextDep, root: CatalogueRoot, fields: Fields
    ) -> dict:
        found = resource.by_id(context.rules.catalogue, resource_id, root=root)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {resource.singular} {resource_id}")
        return tmf630.project(found, fields)

    catalogue_router.add_api_route(
        f"/{resource.path}",
        list_resources,
        methods=["GET"],
        name="list_" + resource.plural.replace(" ", "_"),
        description=resource.list_description,
    )
    catalogue_router.add_api_route(
        f"/{resource.path}/{{{resource.id_parameter}}}",
        read_resource,
        methods=["GET"],
        name=resource.singular.replace(" ", "_"),
    )


for catalogue_resource in CATALOGUE_RESOURCES:
    _serve(catalogue_resource)


@catalogue_router.get("/importJob")
@catalogue_router.get("/exportJob")
async def list_jobs(_: SignedIn, query: JobRead, response: Response) -> list[dict]:
    """No catalogue import or export jobs: the catalogue is a versioned file read at start (TMF620)."""
    return query.answer([], response)


@catalogue_router.get("/importJob/{job_id}")
@catalogue_router.get("/exportJob/{job_id}")
async def job(job_id: str, _: SignedIn) -> dict:
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}: the catalogue is not imported or exported")


# Catalogue changes are a new catalogue version, not a call; TMF620 notifications are not offered.
tmf630.not_offered(catalogue_router, "/hub", methods=["POST"])
tmf630.not_offered(catalogue_router, "/hub/{subscription_id}", methods=["DELETE"])
