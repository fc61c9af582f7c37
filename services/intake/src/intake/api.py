"""Intake's API: TMF622 productOrder (create, retrieve, list, correct, cancel), the channels, coaching."""

import copy
from datetime import UTC, date, datetime
from typing import Annotated

import json_merge_patch
from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from intake import repository
from intake.channels import salesforce
from intake.domain.lifecycle import changeable
from intake.domain.validation import IntakeRules
from intake.handlers import (
    UnreadableSubmission,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
    assess,
    cancel_order,
    correct_order,
    follow_crm_account,
    new_order_id,
    store_new_orders,
)
from intake.repository import NewOrder, OrderFilter, StoredOrder
from intake.rules_in_force import ACCOUNT_KIND_PREFIX, RULES_IN_FORCE
from intake.tmf622 import API_ROOT, ProductOrderCreate, to_canonical, to_resource
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.db import Database
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.order import Channel, OrderState
from orderdesk_shared.group_commit import GroupCommit
from orderdesk_shared.reference import CATALOGUE, ROSTER

router = APIRouter(prefix=API_ROOT, tags=["TMF622 productOrder"])

MERGE_PATCH = "application/merge-patch+json"


class ProductOrderRef(BaseModel):
    id: str


Submitter = Annotated[Principal, Depends(require_roles(Role.SALES_REP, Role.SPECIALIST))]
# Who may relay the CRM's account records: the desk's specialists (and the CRM integration signed in as one).
AccountKeeper = Annotated[Principal, Depends(require_roles(Role.SPECIALIST))]
Coach = Annotated[Principal, Depends(require_roles(Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR))]
Reader = SignedIn
Db = DatabaseDep


async def loaded_rules(db: DatabaseDep) -> IntakeRules:
    """FastAPI dependency: the entry matrix and reference data, with the offerings of the catalogue in force."""
    return await RULES_IN_FORCE.through(db)


Rules = Annotated[IntakeRules, Depends(loaded_rules)]


def _resource(stored: StoredOrder) -> dict:
    return to_resource(
        stored.order, state=stored.state, stage=stored.stage, order_date=stored.created_at, findings=stored.findings
    )


async def new_order_writer(request: Request) -> GroupCommit[NewOrder, NewOrder]:
    """FastAPI dependency: the group commit that stores the orders submitted at the same moment together."""
    return request.app.state.runtime.group_commit(store_new_orders, name="intake new orders")


NewOrderWriter = Annotated[GroupCommit[NewOrder, NewOrder], Depends(new_order_writer)]


@router.post("/productOrder", status_code=status.HTTP_201_CREATED)
async def create_product_order(
    body: ProductOrderCreate,
    principal: Submitter,
    db: Db,
    rules: Rules,
    writer: NewOrderWriter,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict:
    """Accept an order: it is validated at once and moves on, or is stored as rejected with findings."""
    if idempotency_key and (known := await _order_for_idempotency_key(db, idempotency_key)):
        return _answer_known(known, response)
    order = to_canonical(body, order_id=new_order_id(), submitted_by=principal.subject)
    new = assess(
        order,
        rules,
        today=_today(),
        idempotency_key=idempotency_key,
        request_document=body.model_dump(mode="json", exclude_none=True),
    )
    try:
        await writer.write(new)
    except IntegrityError:
        # A parallel request with the same Idempotency-Key stored its order first.
        if idempotency_key and (known := await _order_for_idempotency_key(db, idempotency_key)):
            return _answer_known(known, response)
        raise
    response.headers["Location"] = f"{API_ROOT}/productOrder/{new.order.id}"
    return to_resource(
        new.order,
        state=new.state,
        stage=new.stage,
        order_date=new.received_at,
        findings=repository.findings_json(new.findings),
    )


async def _order_for_idempotency_key(db: Database, key: str) -> StoredOrder | None:
    async with db.engine.connect() as connection:
        return await repository.order_for_idempotency_key(connection, key)


def _answer_known(known: StoredOrder, response: Response) -> dict:
    response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{API_ROOT}/productOrder/{known.order.id}"
    return _resource(known)


@router.get("/productOrder/{order_id}")
async def retrieve_product_order(order_id: str, _: Reader, db: Db) -> dict:
    """One order with its TMF state and the stage it has reached."""
    async with db.engine.connect() as connection:
        return _resource(await _stored_or_404(connection, order_id))


@router.get("/productOrder")
async def list_product_orders(
    _: Reader,
    db: Db,
    response: Response,
    state: Annotated[str | None, Query(description="one state, or several separated by commas")] = None,
    external_id: Annotated[str | None, Query(alias="externalId")] = None,
    account: Annotated[str | None, Query(description="the customer's account id")] = None,
    channel: Channel | None = None,
    since: Annotated[datetime | None, Query(alias="orderDate.gte")] = None,
    until: Annotated[datetime | None, Query(alias="orderDate.lt")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict]:
    """Orders, newest first, filtered by state(s), externalId, account, channel and order date.

    `state=rejected,pending` is the desk's queue. X-Total-Count says how many match, X-Result-Count
    how many are on this page.
    """
    selection = OrderFilter(
        states=tuple(_states(state)),
        external_id=external_id,
        account_id=account,
        channel=channel,
        since=since,
        until=until,
    )
    async with db.engine.connect() as connection:
        found, total = await repository.list_orders(connection, selection, offset=offset, limit=limit)
    response.headers["X-Result-Count"] = str(len(found))
    response.headers["X-Total-Count"] = str(total)
    return [_resource(stored) for stored in found]


@router.patch("/productOrder/{order_id}")
async def patch_product_order(
    order_id: str, patch: Annotated[dict, Body(media_type=MERGE_PATCH)], principal: Submitter, db: Db, rules: Rules
) -> dict:
    """Correct an order not yet handed off (JSON merge patch on what was submitted).

    The corrected order keeps its id and history under a new version and is validated again; a valid
    one goes through the later stages anew, and news about its earlier version is ignored from then on.
    """
    async with db.unit_of_work() as uow:
        stored = await _stored_or_404(uow.connection, order_id, for_update=True)
        if not changeable(stored.state, stored.stage):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"order {order_id} is {stored.state} at stage {stored.stage}: it can no longer be corrected here",
            )
        merged = json_merge_patch.merge(copy.deepcopy(stored.request_document or {}), patch)
        try:
            request = ProductOrderCreate.model_validate(merged)
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from error
        await correct_order(
            to_canonical(request, order_id=order_id, submitted_by=stored.order.submitted_by or principal.subject),
            uow,
            rules=rules,
            today=_today(),
            actor=principal.subject,
            request_document=request.model_dump(mode="json", exclude_none=True),
        )
        corrected = await _stored_or_404(uow.connection, order_id)
    return _resource(corrected)


@router.get("/productOrder/{order_id}/history")
async def product_order_history(order_id: str, _: Reader, db: Db) -> list[dict]:
    """Every version of the order: submitted, corrected, cancelled, with the findings of each."""
    async with db.engine.connect() as connection:
        await _stored_or_404(connection, order_id)
        return await repository.order_history(connection, order_id)


class CancelProductOrderCreate(BaseModel):
    """TMF622 CancelProductOrder_Create."""

    productOrder: ProductOrderRef
    cancellationReason: str = Field(min_length=1, max_length=500)


@router.post("/cancelProductOrder", status_code=status.HTTP_201_CREATED)
async def cancel_product_order(body: CancelProductOrderCreate, principal: Submitter, db: Db) -> dict:
    """Cancel an order that has not been handed off to Operations yet."""
    order_id = body.productOrder.id
    async with db.unit_of_work() as uow:
        stored = await _stored_or_404(uow.connection, order_id, for_update=True)
        if not changeable(stored.state, stored.stage):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"order {order_id} is {stored.state} at stage {stored.stage}: it can no longer be cancelled here",
            )
        await cancel_order(stored, uow, actor=principal.subject, reason=body.cancellationReason)
    return {
        "id": f"{order_id}-cancel",
        "@type": "CancelProductOrder",
        "state": "done",
        "productOrder": {"id": order_id, "href": f"{API_ROOT}/productOrder/{order_id}"},
        "cancellationReason": body.cancellationReason,
        "effectiveCancellationDate": datetime.now(UTC).isoformat(),
    }


channels_router = APIRouter(prefix="/intake", tags=["channels"])


@channels_router.post("/crm/opportunities", status_code=status.HTTP_201_CREATED)
async def receive_crm_opportunity(
    opportunity: CrmOpportunitySubmitted, _: Submitter, db: Db, response: Response
) -> dict:
    """A won CRM opportunity becomes an order (as on topic intake.crm.v1); a resend returns the same order."""
    return await _accept(accept_crm_opportunity, opportunity, db, response)


@channels_router.post("/crm/accounts")
async def receive_crm_account(record: CrmAccountUpdated, _: AccountKeeper, db: Db) -> dict:
    """The CRM's record of an account (as on topic intake.crm.v1): orders are checked against it from now on,
    unless the CRM has sent a later record of the account already."""
    async with db.unit_of_work() as uow:
        in_force = await follow_crm_account(record, uow)
    return {"accountNumber": record.account_number, "modifiedAt": record.modified_at, "inForce": in_force}


@channels_router.post("/ivr/calls", status_code=status.HTTP_201_CREATED)
async def receive_ivr_call(call: IvrCallReceived, _: Submitter, db: Db, response: Response) -> dict:
    """An IVR call record becomes an order (as on topic intake.ivr.v1); a resend returns the same order."""
    return await _accept(accept_ivr_call, call, db, response)


@channels_router.post(
    "/email",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}, "required": True}},
)
async def receive_order_email(request: Request, _: Submitter, db: Db, response: Response) -> dict:
    """A raw RFC 5322 order email (as on topic intake.email.v1); a resend (same Message-ID) is the same order."""
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body must be an RFC 5322 message")
    return await _accept(accept_order_email, EmailReceived(message=raw.decode("utf-8", errors="replace")), db, response)


@channels_router.post("/crm/salesforce", response_class=Response)
async def receive_salesforce_outbound_message(request: Request, db: Db) -> Response:
    """A Salesforce Outbound Message: each notified Opportunity becomes an order; answers with the SOAP ack."""
    try:
        organization_id, opportunities = salesforce.parse_outbound_message(await request.body())
    except salesforce.MalformedMessage as error:
        return Response(salesforce.fault(str(error)), status_code=400, media_type=salesforce.CONTENT_TYPE)
    if organization_id not in request.app.state.runtime.settings.salesforce_organization_ids:
        reason = f"organization {organization_id} may not send orders here"
        return Response(salesforce.fault(reason), status_code=403, media_type=salesforce.CONTENT_TYPE)
    async with db.unit_of_work() as uow:
        for opportunity in opportunities:
            await accept_crm_opportunity(opportunity, uow)
    return Response(salesforce.ACK, media_type=salesforce.CONTENT_TYPE)


async def _accept(accept, submission, db: Database, response: Response) -> dict:
    async with db.unit_of_work() as uow:
        emitted_before = len(uow.emitted)
        try:
            order_id = await accept(submission, uow)
        except UnreadableSubmission as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        created = len(uow.emitted) > emitted_before
        stored = await _stored_or_404(uow.connection, order_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{API_ROOT}/productOrder/{order_id}"
    return _resource(stored)


reference_router = APIRouter(prefix="/intake", tags=["reference data"])


@reference_router.get("/reference")
async def reference_in_use(_: Reader, rules: Rules) -> dict:
    """Which reference data orders are checked against: the versions announced by their owners, and the seed files."""
    versions = RULES_IN_FORCE.versions
    return {
        "catalogueVersion": versions.get(CATALOGUE),
        "rosterVersion": versions.get(ROSTER),
        "accountsFromCrm": sum(kind.startswith(ACCOUNT_KIND_PREFIX) for kind in versions),
        "seedReferenceVersion": rules.reference.version,
        "offerings": sorted(offering.id for offering in rules.reference.offerings.values() if offering.active),
    }


coaching_router = APIRouter(prefix="/intake", tags=["coaching"])


@coaching_router.get("/coaching/findings")
async def coaching_findings(
    _: Coach,
    db: Db,
    since: Annotated[datetime, Query(description="start of the period (inclusive), ISO 8601")],
    until: Annotated[datetime | None, Query(description="end of the period (exclusive); now when left out")] = None,
) -> list[dict]:
    """Per rep and channel, how often each finding was made on their submissions: what to coach them on."""
    async with db.engine.connect() as connection:
        return await repository.finding_counts(connection, since=since, until=until or datetime.now(UTC))


async def _stored_or_404(connection, order_id: str, *, for_update: bool = False) -> StoredOrder:
    stored = await repository.get_order(connection, order_id, for_update=for_update)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product order {order_id}")
    return stored


def _states(text: str | None) -> list[OrderState]:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in {known.value for known in OrderState}]
    if unknown:
        raise RequestValidationError(
            [{"loc": ("query", "state"), "msg": f"unknown state(s) {unknown}; use {[s.value for s in OrderState]}"}]
        )
    return [OrderState(name) for name in names]


def _today() -> date:
    return datetime.now(UTC).date()
