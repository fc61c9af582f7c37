"""Fulfillment-handoff's API: where an order is and what it waits for, Operations' reports; the billing-code map and
its tickets."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from fulfillment_handoff.domain.billing import BillingCode, CodeKey
from fulfillment_handoff.domain.fulfillment import (
    HandedOff,
    report_problems,
    superseded,
    unasked_cancel,
)
from fulfillment_handoff.handlers import release_orders_waiting_on
from fulfillment_handoff.reference import check_billing_code, read_billing_codes, write_billing_codes
from fulfillment_handoff.repository import (
    BillingCodes,
    HandOffs,
    Orders,
    Tickets,
    billing_code_of,
    handed_off_of,
    people_of,
)
from fulfillment_handoff.views import billing_code_view, order_status_view, ticket_view
from orderdesk_shared.access import SEES_EVERY_ORDER, OrderAction, ensure_allowed
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep, ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.limits import REQUEST_LIMITS, Offset, PageSize
from orderdesk_shared.telemetry import ORDER_VERSION, order_step

router = APIRouter(prefix="/fulfillment", tags=["fulfillment"])
catalogue_router = APIRouter(prefix="/fulfillment", tags=["billing-code map"])

CatalogAdmin = Annotated[Principal, Depends(require_roles(Role.CATALOG_ADMIN))]
# The desk's specialists may report on Operations' behalf (a call from the field, an email).
ReportsForOperations = Annotated[Principal, Depends(require_roles(Role.OPERATIONS, Role.SPECIALIST))]
# The orders held for billing codes are the catalogue team's and the desk's work: not a sales rep's to browse.
TicketReader = Annotated[Principal, Depends(require_roles(*SEES_EVERY_ORDER))]
CSV = "text/csv"


@router.get("/orders/{order_id}")
async def order_status(order_id: str, reader: SignedIn, db: DatabaseDep) -> dict:
    """Where the order is (held for billing codes, handed off and how far Operations got with each item, superseded
    or cancelled) and what it waits for; a sales rep reads only their own orders'."""
    missing = f"order {order_id} has not reached fulfillment"
    async with db.engine.connect() as connection:
        row = await HandOffs(connection).get(order_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
        ensure_allowed(reader, people_of(row), OrderAction.SEE, missing=missing)
        tickets = await Tickets(connection).listed(open_only=True, order_id=order_id)
        standing = await Orders(connection).standing_of(order_id)
    return order_status_view(row, handed_off_of(row), tickets, standing)


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", **REQUEST_LIMITS)


class OperationsReport(_Camel):
    """What Operations did with a handed-off order (or some of its items), as on ops.order-status.v1."""

    status: OpsStatus
    effective_date: date | None = None
    reason: str | None = Field(default=None, max_length=500)
    item_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=200)


@router.post("/orders/{order_id}/operations-reports", status_code=status.HTTP_202_ACCEPTED)
async def report_for_operations(
    order_id: str, body: OperationsReport, principal: ReportsForOperations, db: DatabaseDep, context: ContextDep
) -> dict:
    """Report what Operations did, checked against the hand-off, and record it on ops.order-status.v1 exactly as
    Operations would: the consumer applies it, as it applies Operations' own reports."""
    async with db.unit_of_work() as uow, order_step(uow, order_id, "report for operations") as step:
        handed_off = handed_off_of(await uow.handoffs.get(order_id))
        if handed_off is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} was never handed off to Operations")
        step.set_attribute(ORDER_VERSION, handed_off.version)
        report = OpsOrderStatusChanged(
            order_id=order_id, order_version=handed_off.version, reported_by=principal.subject, **body.model_dump()
        )
        if refused := (
            superseded(await uow.orders.standing_of(order_id), handed_off.version)
            or _ended(handed_off)
            or unasked_cancel(report, handed_off)
        ):
            raise HTTPException(status.HTTP_409_CONFLICT, refused)
        if problems := report_problems(report, handed_off, today=context.clock().date()):
            raise RequestValidationError(
                [{"loc": ("body", *p.field), "msg": p.reason, "type": "value_error"} for p in problems]
            )
        uow.emit(report)
    return report.model_dump(mode="json", by_alias=True, exclude_none=True)


def _ended(handed_off: HandedOff) -> str | None:
    if handed_off.fulfillment.ended:
        return f"Operations' work on the order has ended: it is {handed_off.fulfillment.status} already"
    return None


@catalogue_router.get("/markets")
async def markets(_: SignedIn, context: ContextDep) -> list[dict]:
    """The markets, the billing system of each, and the states and ZIP prefixes that place a site in it."""
    return [
        {
            "code": market.code,
            "name": market.name,
            "billingSystem": market.billing_system,
            "states": market.states,
            "zipPrefixes": market.zip_prefixes,
        }
        for market in context.rules.markets.markets
    ]


class NewBillingCode(_Camel):
    price_component: str
    billing_system: str
    market: str
    billing_code: str
    effective_from: date
    effective_to: date | None = None

    def entry(self) -> BillingCode:
        key = CodeKey(self.price_component, self.billing_system, self.market)
        return BillingCode(key, self.billing_code, self.effective_from, self.effective_to)


@catalogue_router.get("/billing-codes")
async def billing_codes(
    _: SignedIn,
    db: DatabaseDep,
    price_component: Annotated[str | None, Query(alias="priceComponent")] = None,
    market: str | None = None,
    billing_system: Annotated[str | None, Query(alias="billingSystem")] = None,
) -> list[dict]:
    """The map's entries, by market, component and start date; filtered by any of the three keys."""
    async with db.engine.connect() as connection:
        rows = await BillingCodes(connection).listed(
            price_component=price_component, market=market, billing_system=billing_system
        )
    return [billing_code_view(row) for row in rows]


@catalogue_router.post("/billing-codes", status_code=status.HTTP_201_CREATED)
async def add_billing_code(new: NewBillingCode, principal: CatalogAdmin, db: DatabaseDep, context: ContextDep) -> dict:
    """Add a code; every order waiting on it (and on nothing else) is handed off in the same transaction."""
    code = new.entry()
    if problems := check_billing_code(code, context.rules.markets):
        raise RequestValidationError(
            [{"loc": ("body", to_camel(field)), "msg": reason, "type": "value_error"} for field, reason in problems]
        )
    return await _change_map(db, [code], added_by=principal.subject, context=context)


@catalogue_router.get("/billing-codes.csv", response_class=Response)
async def export_billing_codes(_: SignedIn, db: DatabaseDep) -> Response:
    """The whole map as CSV, in the columns an import takes."""
    async with db.engine.connect() as connection:
        rows = await BillingCodes(connection).listed(price_component=None, market=None, billing_system=None)
    return Response(write_billing_codes([billing_code_of(row) for row in rows]), media_type=CSV)


@catalogue_router.post(
    "/billing-codes.csv",
    openapi_extra={"requestBody": {"content": {CSV: {"schema": {"type": "string"}}}, "required": True}},
)
async def import_billing_codes(
    body: Annotated[str, Body(media_type=CSV)], principal: CatalogAdmin, db: DatabaseDep, context: ContextDep
) -> dict:
    """Import a CSV (all rows or none); rows already in the map are left as they are, then waiting orders go on."""
    codes, problems = read_billing_codes(body, context.rules.markets)
    if problems:
        raise RequestValidationError(
            [
                {
                    "loc": (f"line {p.line}", *([to_camel(p.field)] if p.field else [])),
                    "msg": p.reason,
                    "type": "value_error",
                }
                for p in problems
            ]
        )
    return await _change_map(db, codes, added_by=principal.subject, context=context)


async def _change_map(db: Database, codes: list[BillingCode], *, added_by: str, context: ServiceContext) -> dict:
    async with db.unit_of_work() as uow:
        await uow.billing_codes.lock_map()
        change = await uow.billing_codes.add(codes, added_by=added_by)
        if change.conflicts:
            conflicts = "; ".join(
                f"{new.key.describe()} from {new.effective_from} overlaps {old.billing_code}"
                f" in effect {old.effective_from} to {old.effective_to or 'open end'}"
                for new, old in change.conflicts
            )
            raise HTTPException(status.HTTP_409_CONFLICT, f"the map has a code in that period already: {conflicts}")
        released = await release_orders_waiting_on(uow, {code.key for code in change.added}, context)
    return {"added": len(change.added), "unchanged": len(change.unchanged), "releasedOrders": released}


@catalogue_router.get("/catalogue-tickets")
async def catalogue_tickets(
    _: TicketReader,
    db: DatabaseDep,
    state: Literal["open", "all"] = "open",
    offset: Offset = 0,
    limit: PageSize = 100,
) -> list[dict]:
    """Missing billing codes, one ticket per (price component, billing system, market), with the orders on it;
    a page at a time, oldest first."""
    async with db.engine.connect() as connection:
        tickets = await Tickets(connection).listed(open_only=state == "open", offset=offset, limit=limit)
    return [ticket_view(ticket) for ticket in tickets]
