"""TMF622 cancelProductOrder: a cancellation request, and where it stands."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status
from pydantic import BaseModel, Field

from intake.api.dependencies import Db, Reader, Submitter
from intake.api.request_bodies import spec_valid
from intake.api.stored_orders import conflict_when_not_allowed, people_of, stored_or_404, unknown_reference_is_invalid
from intake.domain.records import CancelAsked
from intake.handlers import cancel_order
from intake.repository import CancelRequests, Orders
from intake.tmf622 import API_ROOT, cancel_resource
from orderdesk_shared import tmf630
from orderdesk_shared.access import OrderAction, own_orders_only, refusal
from orderdesk_shared.app import read_or_404
from orderdesk_shared.context import ContextDep
from orderdesk_shared.limits import Identifier
from orderdesk_shared.published_specs import TMF622, PublishedSpec
from orderdesk_shared.tmf630 import ListQuery

cancel_router = APIRouter(prefix=API_ROOT, tags=["TMF622 productOrder"])


class ProductOrderRef(BaseModel):
    id: Identifier


# TMF630 list behaviour (orderdesk_shared.tmf630). A CancelProductOrder's attributes: TMF622's and OrderDesk's.
CANCEL_ATTRIBUTES = PublishedSpec.named(TMF622).properties("CancelProductOrder") | {"outcome"}
CancelList = Annotated[
    ListQuery, Depends(tmf630.list_query(attributes=CANCEL_ATTRIBUTES, handled=("productOrder.id",)))
]
CancelFields = Annotated[frozenset[str] | None, Depends(tmf630.fields_query(attributes=CANCEL_ATTRIBUTES))]


class CancelProductOrderCreate(BaseModel):
    """TMF622 CancelProductOrder_Create (checked against the published definition first)."""

    productOrder: ProductOrderRef
    cancellationReason: str | None = Field(default=None, max_length=500)
    requestedCancellationDate: datetime | None = None


@cancel_router.post("/cancelProductOrder", status_code=status.HTTP_201_CREATED)
async def cancel_product_order(
    document: Annotated[dict, Body(description="a TMF622 CancelProductOrder_Create")],
    principal: Submitter,
    db: Db,
    context: ContextDep,
) -> dict:
    """Cancel an order until Operations installs it: at once (state done) before the hand-off; after it, Operations
    is asked to stop the work (state inProgress) and the request ends done, or terminatedWithError if Operations
    installed the order first."""
    body = spec_valid(document, CancelProductOrderCreate, "CancelProductOrder_Create")
    order_id = body.productOrder.id
    async with db.unit_of_work() as uow:
        with unknown_reference_is_invalid("productOrder", "id"):
            stored = await stored_or_404(uow.orders, order_id, principal, OrderAction.CHANGE, for_update=True)
        with conflict_when_not_allowed(f"order {order_id} cannot be cancelled"):
            asked = CancelAsked(
                actor=principal.subject,
                reason=body.cancellationReason or "",
                requested_date=body.requestedCancellationDate,
                document=document,
            )
            request = await cancel_order(stored, asked, uow, now=context.clock())
    return cancel_resource(request)


@cancel_router.get("/cancelProductOrder/{request_id}")
async def retrieve_cancel_product_order(request_id: str, principal: Reader, db: Db, fields: CancelFields) -> dict:
    """One cancellation request and where it stands (of a sales rep's own orders only)."""
    missing = f"no cancelProductOrder {request_id}"

    async def read(connection):
        request = await CancelRequests(connection).get(request_id)
        order = request and await Orders(connection).get(request.order_id)
        return request if order and not refusal(principal, people_of(order), OrderAction.SEE) else None

    return tmf630.project(cancel_resource(await read_or_404(db, read, missing=missing)), fields)


@cancel_router.get("/cancelProductOrder")
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
            found, total = await CancelRequests(connection).page(
                order_id=order_id, owned_by=own_orders_only(principal), offset=offset, limit=limit
            )
            return [cancel_resource(request) for request in found], total

        return await query.answer_from(read, response, narrow_with="productOrder.id")
