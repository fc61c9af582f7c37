"""TMF622 productOrder: create (the hot path: plain calls, no FastAPI dependencies), retrieve, list, correct, and
an order's history."""

import copy
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

import json_merge_patch
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError

from intake.api.dependencies import SUBMITTERS, Db, Reader, Rules, Submitter
from intake.api.request_bodies import json_object, json_of, spec_valid
from intake.api.stored_orders import (
    conflict_when_not_allowed,
    ensure_caller_may,
    order_resource,
    people_of,
    stored_or_404,
)
from intake.domain.acceptance import assess
from intake.domain.duplicates import Resend, resend_of, source_id
from intake.domain.installed_base import needs_installed_base
from intake.domain.records import SubmittedOrder
from intake.handlers import correct_order, installed_base, new_order_id, store_new_orders
from intake.repository import (
    InstalledBase,
    NewOrder,
    OrderFilter,
    OrderHistory,
    Orders,
    StoredOrder,
    Submission,
    Submissions,
    canonical_bytes,
)
from intake.rules_in_force import IntakeContext
from intake.tmf622 import API_ROOT, ProductOrderCreate, request_findings, to_canonical, to_resource
from orderdesk_shared import tmf630
from orderdesk_shared.access import OrderAction, listed_reps, own_orders_only, refusal
from orderdesk_shared.auth import OPENAPI_BEARER_SECURITY, Principal, caller_in_role
from orderdesk_shared.context import ContextDep
from orderdesk_shared.db import Database, json_text
from orderdesk_shared.events.order import Channel, OrderState
from orderdesk_shared.group_commit import GroupCommit
from orderdesk_shared.limits import MAX_PATCH_DEPTH, nesting_depth
from orderdesk_shared.published_specs import TMF622, PublishedSpec, json_text_of
from orderdesk_shared.tmf630 import ListQuery

router = APIRouter(prefix=API_ROOT, tags=["TMF622 productOrder"])

MERGE_PATCH = "application/merge-patch+json"


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
    sent = await _sent_order(request)
    db: Database = request.app.state.runtime.database
    context: IntakeContext = request.app.state.runtime.context
    if sent.idempotency_key and (known := await _repeat_of(db, sent.caller, idempotency_key=sent.idempotency_key)):
        return _answer_known(known)
    new = await _assessed(sent, db, context)
    try:
        stored = await new_order_writer(request).write(new)
    except IntegrityError:
        # A repeat: the same Idempotency-Key or source stored its order first (just now, or long before). Looked for
        # only here, as repeats are rare: a new order pays no read for them.
        if known := await _repeat_of(
            db, sent.caller, idempotency_key=sent.idempotency_key, source=new.source_id, document=sent.document
        ):
            return _answer_known(known)
        raise
    return _answer_created(stored)


@dataclass(frozen=True)
class _SentOrder:
    """A new order's request as sent: its caller, their Idempotency-Key, the body and the request it makes."""

    caller: Principal
    idempotency_key: str | None
    document: dict
    body: ProductOrderCreate


async def _sent_order(request: Request) -> _SentOrder:
    """The request read in FastAPI's order: the body is read (over its limit, 413) and parsed (not JSON, 400) before
    the caller is, and checked against TMF622 last."""
    sent = await request.body()
    sent_json = json_of(sent, request.headers.get("content-type"))
    caller = await caller_in_role(request, *SUBMITTERS)
    idempotency_key = _idempotency_key(request)
    document = json_object(sent_json)
    body = spec_valid(document, ProductOrderCreate, "ProductOrder_Create", json_text=json_text_of(sent))
    return _SentOrder(caller, idempotency_key, document, body)


async def _assessed(sent: _SentOrder, db: Database, context: IntakeContext) -> NewOrder:
    """The order validated against the rules in force, and the account's installed base when it names a product it
    does not describe (read on a connection of its own, which no other order pays for)."""
    rules = await context.rules.through(db)
    order = to_canonical(sent.body, order_id=new_order_id(), submitted_by=sent.caller.subject)
    findings = request_findings(sent.body)
    submitted = SubmittedOrder(order, sent.document, findings, source_id(order), sent.idempotency_key)
    installed = []
    if needs_installed_base(order):
        async with db.engine.connect() as connection:
            installed = await installed_base(InstalledBase(connection), order, rules)
    return assess(submitted, rules, now=context.clock(), installed=installed)


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
        orders = Orders(connection)
        if idempotency_key and (known := await orders.for_idempotency_key(idempotency_key, owner=caller.subject)):
            return known
        if source is None or (earlier := await Submissions(connection).get(source)) is None:
            return None
        known = await orders.get(earlier.order_id)
    _refuse_another_order(caller, known, earlier, document)
    return known


def _refuse_another_order(
    caller: Principal, known: StoredOrder | None, earlier: Submission, document: dict | None
) -> None:
    """A request from the source of an order is that order again only for a caller who may see it, and only with
    the same document."""
    external_id = (document or {}).get("externalId")
    if known and refusal(caller, people_of(known), OrderAction.SEE):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"externalId {external_id} of this account and channel names another order already: use another"
            " externalId, or ask the desk",
        )
    if resend_of(earlier.document, canonical_bytes(document), corrects=False) is Resend.CONFLICT:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"externalId {external_id} names order {earlier.order_id} already, with a different document: correct it"
            f" with PATCH {API_ROOT}/productOrder/{earlier.order_id}",
        )


def _answer_created(new: NewOrder) -> Response:
    resource = to_resource(
        new.order, new.status, order_date=new.received_at, completed_on=None, document=new.request_document
    )
    return _json_answer(resource, status.HTTP_201_CREATED, location=f"{API_ROOT}/productOrder/{new.order.id}")


def _answer_known(known: StoredOrder) -> Response:
    return _json_answer(order_resource(known), status.HTTP_200_OK, location=f"{API_ROOT}/productOrder/{known.order.id}")


# TMF630 list behaviour (orderdesk_shared.tmf630). A ProductOrder's attributes: TMF622's and OrderDesk's extensions.
ORDER_ATTRIBUTES = PublishedSpec.named(TMF622).properties("ProductOrder") | {"orderType", "stage", "findings"}
# The order list's parameters filtered in SQL, on indexed columns; any other attribute filter reads their selection.
ORDER_SQL_FILTERS = ("state", "externalId", "account", "channel", "orderDate.gte", "orderDate.lt")
OrderList = Annotated[ListQuery, Depends(tmf630.list_query(attributes=ORDER_ATTRIBUTES, handled=ORDER_SQL_FILTERS))]
OrderFields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=ORDER_ATTRIBUTES))]


@router.get("/productOrder/{order_id}")
async def retrieve_product_order(order_id: str, principal: Reader, db: Db, fields: OrderFields) -> dict:
    """One order with its TMF state and the stage it has reached (a sales rep's own only)."""
    async with db.engine.connect() as connection:
        return tmf630.project(
            order_resource(await stored_or_404(Orders(connection), order_id, principal, OrderAction.SEE)), fields
        )


async def order_filters(
    external_id: Annotated[str | None, Query(alias="externalId")] = None,
    account: Annotated[str | None, Query(description="the customer's account id")] = None,
    channel: Channel | None = None,
    since: Annotated[datetime | None, Query(alias="orderDate.gte")] = None,
    until: Annotated[datetime | None, Query(alias="orderDate.lt")] = None,
) -> OrderFilter:
    """The order list's filters on one value each (its states are read apart, once every parameter is valid)."""
    return OrderFilter(external_id=external_id, account_id=account, channel=channel, since=since, until=until)


# A route declares it after its TMF630 query: a request wrong in both is told of the query's errors first.
OrderFilters = Annotated[OrderFilter, Depends(order_filters)]


@router.get("/productOrder")
async def list_product_orders(
    principal: Reader,
    db: Db,
    response: Response,
    query: OrderList,
    filters: OrderFilters,
    state: Annotated[str | None, Query(description="one state, or several separated by commas")] = None,
) -> list[dict]:
    """Orders, newest first, filtered by state(s), externalId, account, channel and order date, and by any other
    attribute as TMF630 says (e.g. `productOrderItem.state=completed`, `orderDate.gt=...`), with `fields=`.

    `state=rejected,pending` is the desk's queue. A sales rep lists only the orders they submitted or are named
    on. X-Total-Count says how many match, X-Result-Count how many are on this page.
    """
    selection = replace(filters, states=tuple(_states(state)), owned_by=own_orders_only(principal))
    async with db.engine.connect() as connection:

        async def read(offset: int, limit: int) -> tuple[list[dict], int]:
            found, total = await Orders(connection).page(selection, offset=offset, limit=limit)
            return [order_resource(stored) for stored in found], total

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
    _refuse_deep(patch)
    async with db.unit_of_work() as uow:
        stored = await stored_or_404(uow.orders, order_id, principal, OrderAction.CHANGE, for_update=True)
        correction = _patched(stored, patch, submitter=stored.order.submitted_by or principal.subject)
        if listed_reps(correction.order) != listed_reps(stored.order):
            ensure_caller_may(principal, stored, OrderAction.CHANGE_REPS)
        with conflict_when_not_allowed(f"order {order_id} can no longer be corrected"):
            await correct_order(stored, correction, uow, rules=rules, now=context.clock(), actor=principal.subject)
        corrected = await stored_or_404(uow.orders, order_id)
    return order_resource(corrected)


def _refuse_deep(patch: dict) -> None:
    """Refused before merging: merging and storing a deep document would recurse past Python's limit."""
    if nesting_depth(patch) > MAX_PATCH_DEPTH:
        reason = f"the patch nests deeper than {MAX_PATCH_DEPTH} levels"
        raise RequestValidationError([{"loc": ("body",), "msg": reason, "type": "value_error"}])


def _patched(stored: StoredOrder, patch: dict, *, submitter: str) -> SubmittedOrder:
    """The order as the merge patch on what was submitted makes it (422 when that is not a valid request)."""
    merged = json_merge_patch.merge(copy.deepcopy(stored.request_document or {}), patch)
    request = spec_valid(merged, ProductOrderCreate, "ProductOrder_Create")
    order = to_canonical(request, order_id=stored.order.id, submitted_by=submitter)
    return SubmittedOrder(order, request_document=merged, channel_findings=request_findings(request))


@router.get("/productOrder/{order_id}/history")
async def product_order_history(order_id: str, principal: Reader, db: Db) -> list[dict]:
    """Every version of the order: submitted, corrected, cancelled, with the findings of each."""
    async with db.engine.connect() as connection:
        await stored_or_404(Orders(connection), order_id, principal, OrderAction.SEE)
        return await OrderHistory(connection).of(order_id)


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
