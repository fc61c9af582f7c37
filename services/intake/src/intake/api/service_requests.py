"""The desk's service requests: the tickets it opens on an order for another department, listed per order and
across orders (the open ones, a department's, an owner's, the overdue), and their status or owner changed by the
desk or the owning department."""

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from intake.api.dependencies import Db, DeskSpecialist, Reader, Rules
from intake.api.stored_orders import stored_or_404
from intake.domain.service_requests import (
    ENDED,
    Change,
    ChangeRefused,
    InvalidRequest,
    Opening,
    OrderServiceRequest,
    is_overdue,
    may_change,
)
from intake.domain.validation import IntakeRules
from intake.handlers import change_service_request, open_service_request
from intake.repository import Orders, ServiceRequests
from orderdesk_shared.auth import Principal
from orderdesk_shared.context import ContextDep
from orderdesk_shared.events.intake import ServiceRequestStatus
from orderdesk_shared.limits import Identifier, Note

service_requests_router = APIRouter(prefix="/intake", tags=["the desk"])

STILL_OPEN = [status for status in ServiceRequestStatus if status not in ENDED]


class ServiceRequestOpening(BaseModel):
    kind: Identifier = Field(description="the kind of request (intake's policies/service_requests.v1.toml)")
    description: Note = Field(min_length=1, description="what the department is asked to do")
    owner: Identifier | None = Field(default=None, description="the person or team; the kind's team unless given")
    dueAt: datetime | None = Field(default=None, description="when it is due; the kind's business days unless given")


class ServiceRequestUpdate(BaseModel):
    status: ServiceRequestStatus | None = None
    owner: Identifier | None = Field(default=None, min_length=1)
    note: Note | None = Field(default=None, description="why: the department's answer, or why it was cancelled")


@service_requests_router.post("/orders/{order_id}/service-requests", status_code=status.HTTP_201_CREATED)
async def open_request(
    order_id: str, opening: ServiceRequestOpening, principal: DeskSpecialist, db: Db, rules: Rules, context: ContextDep
) -> dict:
    """A specialist opens a service request on the order for the department that owns its kind."""
    asked = Opening(opening.kind, opening.description, owner=opening.owner, due_at=opening.dueAt)
    async with db.unit_of_work() as uow:
        stored = await stored_or_404(uow.orders, order_id)
        with _invalid_at_its_field():
            opened = await open_service_request(
                stored, asked, uow, kinds=rules.service_requests, by=principal.subject, now=context.clock()
            )
    return _resource(opened, now=context.clock())


@service_requests_router.get("/service-request-kinds")
async def request_kinds(_: Reader, rules: Rules) -> dict[str, dict]:
    """The kinds of service request the desk may open, each with its department, team and business days."""
    return {name: kind.model_dump(mode="json") for name, kind in rules.service_requests.kinds.items()}


@service_requests_router.get("/orders/{order_id}/service-requests")
async def requests_of_order(order_id: str, caller: Reader, db: Db, context: ContextDep) -> list[dict]:
    """The order's service requests, oldest first; a sales rep's own orders only."""
    async with db.engine.connect() as connection:
        await stored_or_404(Orders(connection), order_id, caller)
        found = await ServiceRequests(connection).of_order(order_id)
    return [_resource(kept, now=context.clock()) for kept in found]


@service_requests_router.get("/service-requests")
async def list_requests(
    caller: Reader,
    db: Db,
    rules: Rules,
    context: ContextDep,
    request_status: Annotated[list[ServiceRequestStatus] | None, Query(alias="status")] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool = False,
) -> list[dict]:
    """Service requests across orders, the soonest due first: the open ones (open or in progress) unless `status`
    names others, of a `department` or an `owner`, only the `overdue` ones; for the desk and the departments."""
    _ensure_keeper(caller, rules)
    now = context.clock()
    async with db.engine.connect() as connection:
        found = await ServiceRequests(connection).listed(
            statuses=request_status or STILL_OPEN,
            department=department,
            owner=owner,
            due_before=now if overdue else None,
        )
    return [_resource(kept, now=now) for kept in found]


@service_requests_router.get("/service-requests/{request_id}")
async def get_request(request_id: str, caller: Reader, db: Db, rules: Rules, context: ContextDep) -> dict:
    _ensure_keeper(caller, rules)
    async with db.engine.connect() as connection:
        kept = await _found(ServiceRequests(connection), request_id)
    return _resource(kept, now=context.clock())


@service_requests_router.patch("/service-requests/{request_id}")
async def change_request(
    request_id: str, update: ServiceRequestUpdate, caller: Reader, db: Db, rules: Rules, context: ContextDep
) -> dict:
    """Start, finish, cancel, reopen or reassign a request: a specialist any, a department's people (the role its
    kind names, e.g. operations for construction) their department's; an ended request takes no change (409)."""
    _ensure_keeper(caller, rules)
    async with db.unit_of_work() as uow:
        current = await _found(uow.service_requests, request_id, for_update=True)
        if not may_change(rules.service_requests, current.request, caller.roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"a {current.request.department} request is the desk's or its department's"
            )
        with _invalid_at_its_field(), _conflict_when_refused():
            changed = await change_service_request(
                current,
                Change(status=update.status, owner=update.owner, note=update.note),
                uow,
                by=caller.subject,
                now=context.clock(),
            )
    return _resource(changed, now=context.clock())


def _ensure_keeper(caller: Principal, rules: IntakeRules) -> None:
    if not caller.roles & rules.service_requests.keeper_roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "service requests are the desk's and the departments'")


async def _found(requests: ServiceRequests, request_id: str, *, for_update: bool = False) -> OrderServiceRequest:
    kept = await requests.get(request_id, for_update=for_update)
    if kept is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no service request {request_id}")
    return kept


@contextlib.contextmanager
def _invalid_at_its_field() -> Iterator[None]:
    try:
        yield
    except InvalidRequest as invalid:
        raise RequestValidationError(
            [{"loc": ("body", invalid.field), "msg": str(invalid), "type": "value_error"}]
        ) from invalid


@contextlib.contextmanager
def _conflict_when_refused() -> Iterator[None]:
    try:
        yield
    except ChangeRefused as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from refused


def _resource(kept: OrderServiceRequest, *, now: datetime) -> dict:
    request = kept.request.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {
        "orderId": kept.order_id,
        "orderVersion": kept.order_version,
        **request,
        "overdue": is_overdue(kept.request, now=now),
    }
