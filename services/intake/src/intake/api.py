"""TMF622 productOrder: create, retrieve and list orders."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status

from intake import repository
from intake.domain.validation import IntakeRules
from intake.handlers import submit_order
from intake.repository import StoredOrder
from intake.tmf622 import API_ROOT, ProductOrderCreate, to_canonical, to_resource
from orderdesk_shared.app import database
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database
from orderdesk_shared.events.order import OrderState

router = APIRouter(prefix=API_ROOT, tags=["TMF622 productOrder"])

Submitter = Annotated[Principal, Depends(require_roles(Role.SALES_REP, Role.SPECIALIST))]
Reader = Annotated[Principal, Depends(require_roles(*Role))]
Db = Annotated[Database, Depends(database)]


async def intake_rules(request: Request) -> IntakeRules:
    """FastAPI dependency: the entry matrix and reference data loaded at start."""
    return request.app.state.intake_rules


Rules = Annotated[IntakeRules, Depends(intake_rules)]


def _resource(stored: StoredOrder) -> dict:
    return to_resource(
        stored.order, state=stored.state, stage=stored.stage, order_date=stored.created_at, findings=stored.findings
    )


@router.post("/productOrder", status_code=status.HTTP_201_CREATED)
async def create_product_order(
    body: ProductOrderCreate,
    principal: Submitter,
    db: Db,
    rules: Rules,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict:
    """Accept an order; it is validated at once and moves on, or is stored as rejected with findings."""
    async with db.unit_of_work() as uow:
        if idempotency_key and (
            known := await repository.order_id_for_idempotency_key(uow.connection, idempotency_key)
        ):
            order_id, created = known, False
        else:
            order_id, created = f"PO-{uuid.uuid4().hex[:12].upper()}", True
            order = to_canonical(body, order_id=order_id, submitted_by=principal.subject)
            await submit_order(order, uow, rules=rules, today=datetime.now(UTC).date(), idempotency_key=idempotency_key)
        stored = await repository.get_order(uow.connection, order_id)
    assert stored is not None
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{API_ROOT}/productOrder/{order_id}"
    return _resource(stored)


@router.get("/productOrder/{order_id}")
async def retrieve_product_order(order_id: str, _: Reader, db: Db) -> dict:
    """One order with its TMF state and the stage it has reached."""
    async with db.engine.connect() as connection:
        stored = await repository.get_order(connection, order_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product order {order_id}")
    return _resource(stored)


@router.get("/productOrder")
async def list_product_orders(
    _: Reader,
    db: Db,
    response: Response,
    state: OrderState | None = None,
    external_id: Annotated[str | None, Query(alias="externalId")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict]:
    """Orders, newest first, filtered by state or externalId."""
    async with db.engine.connect() as connection:
        found = await repository.list_orders(
            connection, state=state, external_id=external_id, offset=offset, limit=limit
        )
    response.headers["X-Result-Count"] = str(len(found))
    return [_resource(stored) for stored in found]
