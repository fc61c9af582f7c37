"""The pages that list orders: the desk's work queue, the orders assigned to me, and search."""

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from sse_starlette import EventSourceResponse, ServerSentEvent

from console import repository
from console.pages.common import Person, SignedInPerson, fragment, live_stream, page, page_router
from console.service_requests_repository import ServiceRequests
from console.tables import ENDED_STATES
from orderdesk_shared.access import own_orders_only
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep
from orderdesk_shared.events.order import OrderState

# The desk's work queue: orders stopped for information or an issue, failed installs, cancels under way.
WAITING_FOR_THE_DESK = [
    OrderState.REJECTED,
    OrderState.PENDING,
    OrderState.HELD,
    OrderState.FAILED,
    OrderState.ASSESSING_CANCELLATION,
    OrderState.PENDING_CANCELLATION,
]

router = page_router()


@router.get("/queue", response_class=HTMLResponse)
async def work_queue(
    request: Request, person: Person, db: DatabaseDep, context: ContextDep, mine: bool = False
) -> HTMLResponse:
    """Orders waiting for the desk (rejected, pending information, held), or every open order assigned to me; and
    the service requests the desk opened that are still open, the soonest due first, the overdue marked."""
    async with db.engine.connect() as connection:
        queue = await _queue(connection, person, mine=mine)
        service_requests = await ServiceRequests(connection).still_open(
            owned_by_person=own_orders_only(person.principal)
        )
    return page(
        request,
        "orders.html",
        person.principal,
        search=None,
        live=True,
        service_requests=service_requests,
        now=context.clock(),
        **queue,
    )


@router.get("/queue/live")
async def work_queue_live(request: Request, person: Person, db: DatabaseDep, mine: bool = False) -> EventSourceResponse:
    """The queue's rows whenever an order changes."""

    async def render() -> list[ServerSentEvent]:
        async with db.engine.connect() as connection:
            queue = await _queue(connection, person, mine=mine)
        rows = fragment("_order_rows.html", person.principal, **queue)
        return [ServerSentEvent(rows, event="rows"), ServerSentEvent(str(queue["total"]), event="total")]

    return live_stream(request, render)


async def _queue(connection: AsyncConnection, person: SignedInPerson, *, mine: bool) -> dict[str, Any]:
    """The desk's queue, or the orders assigned to me; a sales rep's own orders only."""
    owned_by = own_orders_only(person.principal)
    if mine:
        still_open = [state for state in OrderState if state not in ENDED_STATES]
        orders, total = await repository.Orders(connection).page(
            states=still_open, assigned_to=person.principal.subject, owned_by=owned_by, limit=200
        )
    else:
        orders, total = await repository.Orders(connection).page(
            states=WAITING_FOR_THE_DESK, owned_by=owned_by, limit=200, awaiting_approval=False
        )
    return {
        "title": "My orders" if mine else "Work queue",
        "orders": orders,
        "total": total,
        "mine": mine,
        "back": "/queue?mine=true" if mine else "/queue",
    }


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, person: Person, db: DatabaseDep, q: str = "") -> HTMLResponse:
    async with db.engine.connect() as connection:
        orders, total = await repository.Orders(connection).page(
            search=q or None, owned_by=own_orders_only(person.principal), limit=200
        )
    return page(
        request,
        "orders.html",
        person.principal,
        title="Orders",
        orders=orders,
        total=total,
        search=q,
        back=f"/search?q={quote(q)}",
    )
