"""Intake's API: TMF622 productOrder (create, retrieve, list, correct, cancel), the channels, coaching."""

import contextlib
import copy
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, TypeVar

import json_merge_patch
import orjson
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from intake import repository
from intake.channels import salesforce
from intake.domain.duplicates import source_id
from intake.domain.installed_base import InstalledProduct, needs_installed_base, seeded_for, with_seed
from intake.domain.lifecycle import NotAllowed
from intake.domain.validation import IntakeRules
from intake.handlers import (
    SourceConflict,
    UnreadableSubmission,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
    assess,
    cancel_order,
    correct_order,
    follow_crm_account,
    installed_base,
    new_order_id,
    release_duplicate,
    store_new_orders,
)
from intake.repository import NewOrder, OrderFilter, StoredOrder, canonical_bytes
from intake.rules_in_force import ACCOUNT_KIND_PREFIX, IntakeContext
from intake.settings import Settings
from intake.tmf622 import (
    API_ROOT,
    ProductOrderCreate,
    cancel_resource,
    request_findings,
    spec_errors,
    to_canonical,
    to_resource,
)
from orderdesk_shared import tmf630
from orderdesk_shared.access import (
    OrderAction,
    OrderPeople,
    ensure_allowed,
    listed_reps,
    own_orders_only,
    refusal,
)
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import OPENAPI_BEARER_SECURITY, Principal, Role, SignedIn, caller_in_role, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.db import Database, json_text
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.order import Channel, OrderState
from orderdesk_shared.group_commit import GroupCommit
from orderdesk_shared.limits import MAX_PATCH_DEPTH, Identifier, nesting_depth
from orderdesk_shared.published_specs import TMF622, PublishedSpec, json_text_of
from orderdesk_shared.reference import CATALOGUE, ROSTER
from orderdesk_shared.tmf630 import ListQuery

router = APIRouter(prefix=API_ROOT, tags=["TMF622 productOrder"])

MERGE_PATCH = "application/merge-patch+json"
RequestModel = TypeVar("RequestModel", bound=BaseModel)


class ProductOrderRef(BaseModel):
    id: Identifier


SUBMITTERS = (Role.SALES_REP, Role.SPECIALIST)
Submitter = Annotated[Principal, Depends(require_roles(*SUBMITTERS))]
# Who may relay the CRM's account records: the CRM integration, and the desk's specialists.
AccountKeeper = Annotated[Principal, Depends(require_roles(Role.CRM_SYSTEM, Role.SPECIALIST))]
# The upstream systems sending orders through the channels, each with its own credential (never a person's token).
Crm = Annotated[Principal, Depends(require_roles(Role.CRM_SYSTEM))]
Ivr = Annotated[Principal, Depends(require_roles(Role.IVR_SYSTEM))]
MailGateway = Annotated[Principal, Depends(require_roles(Role.MAIL_GATEWAY))]
DeskSpecialist = Annotated[Principal, Depends(require_roles(Role.SPECIALIST))]
Coach = Annotated[Principal, Depends(require_roles(Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR))]
Reader = SignedIn
Db = DatabaseDep


async def loaded_rules(db: DatabaseDep, context: ContextDep) -> IntakeRules:
    """FastAPI dependency: the entry matrix and reference data, with the offerings of the catalogue in force."""
    return await context.rules.through(db)


Rules = Annotated[IntakeRules, Depends(loaded_rules)]


def _resource(stored: StoredOrder) -> dict:
    return to_resource(
        stored.order,
        stored.status,
        order_date=stored.created_at,
        completed_on=stored.completed_on,
        document=stored.request_document,
    )


def _spec_valid(
    document: dict, model: type[RequestModel], definition: str, *, json_text: bytes | None = None
) -> RequestModel:
    """A request as OrderDesk reads it, once it is valid under the published TMF622 definition (else the field
    paths of what is not; then OrderDesk's own limits, such as sizes). `json_text`: the body the document was read
    from, which both checks read several times faster than the parsed document."""
    errors = spec_errors(document, definition, json_text=json_text)
    if not errors:
        try:
            return model.model_validate(document) if json_text is None else model.model_validate_json(json_text)
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=False, include_input=False)
    raise RequestValidationError([error | {"loc": ("body", *error["loc"])} for error in errors])


def new_order_writer(request: Request) -> GroupCommit[NewOrder, NewOrder]:
    """The group commit that stores the orders submitted at the same moment together."""
    return request.app.state.runtime.group_commit(store_new_orders, name="intake new orders")


IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_LENGTH = 200
# What the order's POST takes, documented here as FastAPI would document its parameters: the route takes its caller,
# database, context (rules and clock) and body by plain calls, as solving them as dependencies costs more per order
# than the rest of FastAPI's work on it.
CREATE_PRODUCT_ORDER_OPENAPI = {
    "security": OPENAPI_BEARER_SECURITY,
    "parameters": [
        {
            "name": IDEMPOTENCY_KEY,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_LENGTH},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "description": "a TMF622 ProductOrder_Create"}}},
    },
}


# The answer is written here (orjson) and returned as a Response, which FastAPI passes on as it is: its own validation
# and encoding of the returned resource cost more than the encoding itself. `response_model` keeps the OpenAPI schema.
@router.post(
    "/productOrder",
    status_code=status.HTTP_201_CREATED,
    response_model=dict,
    openapi_extra=CREATE_PRODUCT_ORDER_OPENAPI,
)
async def create_product_order(request: Request) -> Response:
    """Accept an order: it is validated at once and moves on, or is stored as rejected with findings.

    A repeat (the caller's same Idempotency-Key, or the same externalId from the same channel and account) returns
    the first order (200); the same externalId with a different document is a conflict (409): correct the order.
    Another caller's Idempotency-Key is another key.
    """
    # In FastAPI's order: the body is read (over its limit, 413) and parsed (not JSON, 400) before the caller is.
    sent = await request.body()
    sent_json = _json_of(sent, request.headers.get("content-type"))
    principal = await caller_in_role(request, *SUBMITTERS)
    idempotency_key = _idempotency_key(request)
    document = _json_object(sent_json)
    sent_text = json_text_of(sent)
    body = _spec_valid(document, ProductOrderCreate, "ProductOrder_Create", json_text=sent_text)
    db: Database = request.app.state.runtime.database
    context: IntakeContext = request.app.state.runtime.context
    if idempotency_key and (known := await _repeat_of(db, principal, idempotency_key=idempotency_key)):
        return _answer_known(known)
    rules = await context.rules.through(db)
    order = to_canonical(body, order_id=new_order_id(), submitted_by=principal.subject)
    source = source_id(order)
    installed = []
    if needs_installed_base(order):  # a connection only for an order naming a product it does not describe
        async with db.engine.connect() as connection:
            installed = await installed_base(connection, order, rules)
    new = assess(
        order,
        rules,
        now=context.clock(),
        installed=installed,
        idempotency_key=idempotency_key,
        request_document=document,
        channel_findings=request_findings(body),
        source=source,
    )
    try:
        stored = await new_order_writer(request).write(new)
    except IntegrityError:
        # A repeat: the same Idempotency-Key or source stored its order first (just now, or long before). Looked for
        # only here, as repeats are rare: a new order pays no read for them.
        if known := await _repeat_of(db, principal, idempotency_key=idempotency_key, source=source, document=document):
            return _answer_known(known)
        raise
    resource = to_resource(
        stored.order, stored.status, order_date=stored.received_at, completed_on=None, document=stored.request_document
    )
    return _json_answer(resource, status.HTTP_201_CREATED, location=f"{API_ROOT}/productOrder/{stored.order.id}")


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and len(key) > IDEMPOTENCY_KEY_LENGTH:
        raise RequestValidationError(
            [
                {
                    "type": "string_too_long",
                    "loc": ("header", IDEMPOTENCY_KEY.lower()),
                    "msg": f"String should have at most {IDEMPOTENCY_KEY_LENGTH} characters",
                    "ctx": {"max_length": IDEMPOTENCY_KEY_LENGTH},
                }
            ]
        )
    return key


def _json_of(sent: bytes, content_type: str | None) -> object:
    """What a body holds, as FastAPI reads a `dict` body: the JSON value of a JSON one (invalid JSON is a validation
    error), the bytes of another, None for none.

    Read by orjson, several times faster than Python's reader; what orjson refuses that Python's reader takes
    (NaN, a lone surrogate, an integer beyond 64 bits, UTF-16) is read by Python's, for the checks to name it."""
    if not sent:
        return None
    if not _is_json(content_type):
        return sent
    try:
        return orjson.loads(sent)
    except orjson.JSONDecodeError as refused:
        try:
            return json.loads(sent)
        except json.JSONDecodeError as error:
            raise _not_json(error.pos, error.msg) from error
        except UnicodeDecodeError as error:
            raise _not_json(error.start, f"not {error.encoding} text") from error
        except RecursionError:
            # Nested deeper than either reader goes: orjson said where.
            raise _not_json(refused.pos, refused.msg) from refused


def _not_json(position: int, why: str) -> RequestValidationError:
    """Invalid JSON, as FastAPI reports it (at its position in the body), and why, for the caller to fix it."""
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", position), "msg": f"JSON decode error: {why}", "ctx": {"error": why}}]
    )


def _json_object(sent_json: object) -> dict:
    """The body as the JSON object it must be; else invalid input as FastAPI calls a `dict` body's."""
    if sent_json is None:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    if not isinstance(sent_json, dict):
        reason = {"type": "dict_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}
        raise RequestValidationError([reason])
    return sent_json


def _is_json(content_type: str | None) -> bool:
    """Whether a body of this Content-Type is read as JSON: none given, application/json or application/*+json."""
    if content_type is None:
        return True
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _json_answer(resource: dict, status_code: int, *, location: str) -> Response:
    return Response(
        json_text(resource).encode(), status_code, headers={"Location": location}, media_type="application/json"
    )


async def _repeat_of(
    db: Database,
    caller: Principal,
    *,
    idempotency_key: str | None,
    source: str | None = None,
    document: dict | None = None,
) -> StoredOrder | None:
    """The order a repeated request made before; a conflict when its source made another order of another document,
    or an order the caller may not see (which is not named)."""
    async with db.engine.connect() as connection:
        if idempotency_key and (
            known := await repository.order_for_idempotency_key(connection, idempotency_key, owner=caller.subject)
        ):
            return known
        if source is None or (earlier := await repository.submission(connection, source)) is None:
            return None
        known = await repository.get_order(connection, earlier.order_id)
        if known and refusal(caller, _people(known), OrderAction.SEE):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"externalId {(document or {}).get('externalId')} of this account and channel names another order"
                " already: use another externalId, or ask the desk",
            )
        if earlier.document != canonical_bytes(document):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"externalId {(document or {}).get('externalId')} names order {earlier.order_id} already, with a"
                f" different document: correct it with PATCH {API_ROOT}/productOrder/{earlier.order_id}",
            )
        return known


@contextlib.contextmanager
def _conflict_when_not_allowed(refusal: str) -> Iterator[None]:
    """A desk action the order is past is a 409 that says why."""
    try:
        yield
    except NotAllowed as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{refusal}: {refused}") from refused


@contextlib.contextmanager
def _unknown_reference_is_invalid(*field: str) -> Iterator[None]:
    """An order a request body names that does not exist (or that the caller may not see) is invalid input at that
    field: TMF622 documents 400 for the POST that names it, not 404, which would say the path is unknown."""
    try:
        yield
    except HTTPException as missing:
        if missing.status_code != status.HTTP_404_NOT_FOUND:
            raise
        raise RequestValidationError(
            [{"loc": ("body", *field), "msg": missing.detail, "type": "value_error"}]
        ) from missing


def _answer_known(known: StoredOrder) -> Response:
    return _json_answer(_resource(known), status.HTTP_200_OK, location=f"{API_ROOT}/productOrder/{known.order.id}")


# TMF630 list behaviour (orderdesk_shared.tmf630). A ProductOrder's attributes: TMF622's and OrderDesk's extensions.
ORDER_ATTRIBUTES = PublishedSpec.named(TMF622).properties("ProductOrder") | {"orderType", "stage", "findings"}
CANCEL_ATTRIBUTES = PublishedSpec.named(TMF622).properties("CancelProductOrder") | {"outcome"}
# The order list's parameters filtered in SQL, on indexed columns; any other attribute filter reads their selection.
ORDER_SQL_FILTERS = ("state", "externalId", "account", "channel", "orderDate.gte", "orderDate.lt")
OrderList = Annotated[ListQuery, Depends(tmf630.list_query(attributes=ORDER_ATTRIBUTES, handled=ORDER_SQL_FILTERS))]
CancelList = Annotated[
    ListQuery, Depends(tmf630.list_query(attributes=CANCEL_ATTRIBUTES, handled=("productOrder.id",)))
]
OrderFields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=ORDER_ATTRIBUTES))]
CancelFields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=CANCEL_ATTRIBUTES))]


@router.get("/productOrder/{order_id}")
async def retrieve_product_order(order_id: str, principal: Reader, db: Db, fields: OrderFields) -> dict:
    """One order with its TMF state and the stage it has reached (a sales rep's own only)."""
    async with db.engine.connect() as connection:
        return tmf630.project(_resource(await _stored_or_404(connection, order_id, principal, OrderAction.SEE)), fields)


@router.get("/productOrder")
async def list_product_orders(
    principal: Reader,
    db: Db,
    response: Response,
    query: OrderList,
    state: Annotated[str | None, Query(description="one state, or several separated by commas")] = None,
    external_id: Annotated[str | None, Query(alias="externalId")] = None,
    account: Annotated[str | None, Query(description="the customer's account id")] = None,
    channel: Channel | None = None,
    since: Annotated[datetime | None, Query(alias="orderDate.gte")] = None,
    until: Annotated[datetime | None, Query(alias="orderDate.lt")] = None,
) -> list[dict]:
    """Orders, newest first, filtered by state(s), externalId, account, channel and order date, and by any other
    attribute as TMF630 says (e.g. `productOrderItem.state=completed`, `orderDate.gt=...`), with `fields=`.

    `state=rejected,pending` is the desk's queue. A sales rep lists only the orders they submitted or are named
    on. X-Total-Count says how many match, X-Result-Count how many are on this page.
    """
    selection = OrderFilter(
        states=tuple(_states(state)),
        external_id=external_id,
        account_id=account,
        channel=channel,
        since=since,
        until=until,
        owned_by=own_orders_only(principal),
    )
    async with db.engine.connect() as connection:

        async def read(offset: int, limit: int) -> tuple[list[dict], int]:
            found, total = await repository.list_orders(connection, selection, offset=offset, limit=limit)
            return [_resource(stored) for stored in found], total

        return await query.answer_from(read, response, narrow_with=", ".join(ORDER_SQL_FILTERS))


@router.patch("/productOrder/{order_id}")
async def patch_product_order(
    order_id: str,
    patch: Annotated[dict, Body(media_type=MERGE_PATCH)],
    principal: Submitter,
    db: Db,
    rules: Rules,
    context: ContextDep,
) -> dict:
    """Correct an order not yet handed off (JSON merge patch on what was submitted).

    The corrected order keeps its id and history under a new version and is validated again; a valid
    one goes through the later stages anew, and every service drops what it held for the earlier version.
    A sales rep corrects only their own orders; only a specialist changes the listed reps or their splits.
    The submitter stays who submitted it; the corrector is recorded as such (on orders.corrected).
    """
    if nesting_depth(patch) > MAX_PATCH_DEPTH:
        # Refused before merging: merging and storing a deep document would recurse past Python's limit.
        reason = f"the patch nests deeper than {MAX_PATCH_DEPTH} levels"
        raise RequestValidationError([{"loc": ("body",), "msg": reason, "type": "value_error"}])
    async with db.unit_of_work() as uow:
        stored = await _stored_or_404(uow.connection, order_id, principal, OrderAction.CHANGE, for_update=True)
        merged = json_merge_patch.merge(copy.deepcopy(stored.request_document or {}), patch)
        request = _spec_valid(merged, ProductOrderCreate, "ProductOrder_Create")
        submitter = stored.order.submitted_by or principal.subject
        corrected = to_canonical(request, order_id=order_id, submitted_by=submitter)
        if listed_reps(corrected) != listed_reps(stored.order):
            _ensure(principal, stored, OrderAction.CHANGE_REPS)
        with _conflict_when_not_allowed(f"order {order_id} can no longer be corrected"):
            await correct_order(
                stored,
                corrected,
                uow,
                rules=rules,
                now=context.clock(),
                actor=principal.subject,
                request_document=merged,
                channel_findings=request_findings(request),
            )
        corrected = await _stored_or_404(uow.connection, order_id)
    return _resource(corrected)


@router.get("/productOrder/{order_id}/history")
async def product_order_history(order_id: str, principal: Reader, db: Db) -> list[dict]:
    """Every version of the order: submitted, corrected, cancelled, with the findings of each."""
    async with db.engine.connect() as connection:
        await _stored_or_404(connection, order_id, principal, OrderAction.SEE)
        return await repository.order_history(connection, order_id)


class CancelProductOrderCreate(BaseModel):
    """TMF622 CancelProductOrder_Create (checked against the published definition first)."""

    productOrder: ProductOrderRef
    cancellationReason: str | None = Field(default=None, max_length=500)
    requestedCancellationDate: datetime | None = None


@router.post("/cancelProductOrder", status_code=status.HTTP_201_CREATED)
async def cancel_product_order(
    document: Annotated[dict, Body(description="a TMF622 CancelProductOrder_Create")],
    principal: Submitter,
    db: Db,
    context: ContextDep,
) -> dict:
    """Cancel an order until Operations installs it: at once (state done) before the hand-off; after it, Operations
    is asked to stop the work (state inProgress) and the request ends done, or terminatedWithError if Operations
    installed the order first."""
    body = _spec_valid(document, CancelProductOrderCreate, "CancelProductOrder_Create")
    order_id = body.productOrder.id
    async with db.unit_of_work() as uow:
        with _unknown_reference_is_invalid("productOrder", "id"):
            stored = await _stored_or_404(uow.connection, order_id, principal, OrderAction.CHANGE, for_update=True)
        with _conflict_when_not_allowed(f"order {order_id} cannot be cancelled"):
            request = await cancel_order(
                stored,
                uow,
                actor=principal.subject,
                reason=body.cancellationReason or "",
                requested_date=body.requestedCancellationDate,
                now=context.clock(),
                document=document,
            )
    return cancel_resource(request)


@router.get("/cancelProductOrder/{request_id}")
async def retrieve_cancel_product_order(request_id: str, principal: Reader, db: Db, fields: CancelFields) -> dict:
    """One cancellation request and where it stands (of a sales rep's own orders only)."""
    missing = f"no cancelProductOrder {request_id}"

    async def read(connection):
        request = await repository.get_cancel_request(connection, request_id)
        order = request and await repository.get_order(connection, request.order_id)
        return request if order and not refusal(principal, _people(order), OrderAction.SEE) else None

    return tmf630.project(cancel_resource(await read_or_404(db, read, missing=missing)), fields)


@router.get("/cancelProductOrder")
async def list_cancel_product_orders(
    principal: Reader,
    db: Db,
    response: Response,
    query: CancelList,
    order_id: Annotated[str | None, Query(alias="productOrder.id")] = None,
) -> list[dict]:
    """Cancellation requests, newest first, optionally those of one order (and by any attribute, TMF630);
    a sales rep's own orders' only."""
    async with db.engine.connect() as connection:

        async def read(offset: int, limit: int) -> tuple[list[dict], int]:
            found, total = await repository.list_cancel_requests(
                connection, order_id=order_id, owned_by=own_orders_only(principal), offset=offset, limit=limit
            )
            return [cancel_resource(request) for request in found], total

        return await query.answer_from(read, response, narrow_with="productOrder.id")


channels_router = APIRouter(prefix="/intake", tags=["channels"])
# A raw email carries its attachments: it may be larger than other bodies (the max_upload_bytes setting).
UPLOAD_PATHS = ("/intake/email",)


@channels_router.post("/crm/opportunities", status_code=status.HTTP_201_CREATED)
async def receive_crm_opportunity(
    opportunity: CrmOpportunitySubmitted, _: Crm, db: Db, context: ContextDep, response: Response
) -> dict:
    """A won CRM opportunity becomes an order (as on topic intake.crm.v1); a resend returns the same order."""
    return await _accept(accept_crm_opportunity, opportunity, db, context, response)


@channels_router.post("/crm/accounts")
async def receive_crm_account(record: CrmAccountUpdated, _: AccountKeeper, db: Db, context: ContextDep) -> dict:
    """The CRM's record of an account (as on topic intake.crm.v1): orders are checked against it from now on,
    unless the CRM has sent a later record of the account already."""
    async with db.unit_of_work() as uow:
        in_force = await follow_crm_account(record, uow, context)
    return {"accountNumber": record.account_number, "modifiedAt": record.modified_at, "inForce": in_force}


@channels_router.post("/ivr/calls", status_code=status.HTTP_201_CREATED)
async def receive_ivr_call(call: IvrCallReceived, _: Ivr, db: Db, context: ContextDep, response: Response) -> dict:
    """An IVR call record becomes an order (as on topic intake.ivr.v1); a resend returns the same order."""
    return await _accept(accept_ivr_call, call, db, context, response)


@channels_router.post(
    "/email",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}, "required": True}},
)
async def receive_order_email(
    request: Request, _: MailGateway, db: Db, context: ContextDep, response: Response
) -> dict:
    """A raw RFC 5322 order email (as on topic intake.email.v1); a resend (same Message-ID) is the same order."""
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body must be an RFC 5322 message")
    email = EmailReceived(message=raw.decode("utf-8", errors="replace"))
    return await _accept(accept_order_email, email, db, context, response)


@channels_router.post("/crm/salesforce", response_class=Response)
async def receive_salesforce_outbound_message(request: Request, db: Db, context: ContextDep) -> Response:
    """A Salesforce Outbound Message: each notified Opportunity becomes an order; answers with the SOAP ack."""
    org_secrets = {org: secret.get_secret_value() for org, secret in _settings(request).salesforce_org_secrets.items()}
    sender = salesforce.authenticated_org(request.headers.get("Authorization"), org_secrets)
    if sender is None:
        return _salesforce_fault(
            "sign in with HTTP Basic: the org id as user name, its secret as password",
            status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": 'Basic realm="salesforce"'},
        )
    try:
        organization_id, opportunities = salesforce.parse_outbound_message(await request.body())
    except salesforce.MalformedMessage as error:
        return _salesforce_fault(str(error), status.HTTP_400_BAD_REQUEST)
    if organization_id != sender:
        return _salesforce_fault(f"signed in as {sender}, the message is from {organization_id}", 403)
    try:
        async with db.unit_of_work() as uow:
            for opportunity in opportunities:
                await accept_crm_opportunity(opportunity, uow, context)
    except SourceConflict as conflict:
        return _salesforce_fault(str(conflict), status.HTTP_409_CONFLICT)
    return Response(salesforce.ACK, media_type=salesforce.CONTENT_TYPE)


def _salesforce_fault(reason: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        salesforce.fault(reason), status_code=status_code, media_type=salesforce.CONTENT_TYPE, headers=headers
    )


def _settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


async def _accept(accept, submission, db: Database, context: IntakeContext, response: Response) -> dict:
    async with db.unit_of_work() as uow:
        emitted_before = len(uow.emitted)
        try:
            order_id = await accept(submission, uow, context)
        except UnreadableSubmission as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        except SourceConflict as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        created = len(uow.emitted) > emitted_before
        stored = await _stored_or_404(uow.connection, order_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{API_ROOT}/productOrder/{order_id}"
    return _resource(stored)


desk_router = APIRouter(prefix="/intake", tags=["the desk"])


class DuplicateRelease(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why it is a separate order: the desk's record")


@desk_router.post("/duplicates/{order_id}/release")
async def release_likely_duplicate(order_id: str, release: DuplicateRelease, principal: DeskSpecialist, db: Db) -> dict:
    """A specialist judged an order held as a likely duplicate a separate order: it moves on (or cancel it)."""
    async with db.unit_of_work() as uow:
        stored = await _stored_or_404(uow.connection, order_id, for_update=True)
        with _conflict_when_not_allowed(f"order {order_id} cannot be released"):
            await release_duplicate(stored, uow, actor=principal.subject, note=release.note)
        released = await _stored_or_404(uow.connection, order_id)
    return _resource(released)


@desk_router.get("/accounts/{account_id}/products")
async def account_products(account_id: str, _: Reader, db: Db, rules: Rules) -> list[dict]:
    """The account's installed base: products handed off through OrderDesk, and those on record from before."""
    seed = rules.reference.installed_products
    async with db.engine.connect() as connection:
        recorded = await repository.products_of(connection, account_id, also=seeded_for(account_id, seed))
    return [_product(product) for product in with_seed(account_id, recorded, seed)]


def _product(product: InstalledProduct) -> dict:
    return {
        "id": product.product_id,
        "account": product.account_id,
        "productOffering": {"id": product.offering_id},
        "characteristics": dict(product.characteristics),
        "place": product.location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if product.location
        else None,
        "mrc": str(product.mrc) if product.mrc is not None else None,
        "termMonths": product.term_months,
        "state": product.state,
        "orderId": product.order_id,
    }


reference_router = APIRouter(prefix="/intake", tags=["reference data"])


@reference_router.get("/reference")
async def reference_in_use(_: Reader, rules: Rules, context: ContextDep) -> dict:
    """Which reference data orders are checked against: the versions announced by their owners, and the seed files."""
    versions = context.rules.versions
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
    context: ContextDep,
    since: Annotated[datetime, Query(description="start of the period (inclusive), ISO 8601")],
    until: Annotated[datetime | None, Query(description="end of the period (exclusive); now when left out")] = None,
) -> list[dict]:
    """Per rep and channel, how often each finding was made on their submissions: what to coach them on."""
    async with db.engine.connect() as connection:
        return await repository.finding_counts(connection, since=since, until=until or context.clock())


async def _stored_or_404(
    connection,
    order_id: str,
    caller: Principal | None = None,
    action: OrderAction = OrderAction.SEE,
    *,
    for_update: bool = False,
) -> StoredOrder:
    """The stored order, when the caller (if given) may take `action` on it: else 404 as for an order that does not
    exist, or 403 for one they see but may not act on."""
    stored = await repository.get_order(connection, order_id, for_update=for_update)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _missing(order_id))
    if caller is not None:
        _ensure(caller, stored, action)
    return stored


def _ensure(caller: Principal, stored: StoredOrder, action: OrderAction) -> None:
    ensure_allowed(caller, _people(stored), action, missing=_missing(stored.order.id))


def _people(stored: StoredOrder) -> OrderPeople:
    return OrderPeople.of(stored.order)


def _missing(order_id: str) -> str:
    return f"no product order {order_id}"


def _states(text: str | None) -> list[OrderState]:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in {known.value for known in OrderState}]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "state"),
                    "msg": f"unknown state(s) {unknown}; use {[s.value for s in OrderState]}",
                }
            ]
        )
    return [OrderState(name) for name in names]
