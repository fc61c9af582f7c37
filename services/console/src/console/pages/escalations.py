"""Escalations: the orders the SLA watchdog put in jeopardy, from the console's own read model."""

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse

from console import repository
from console.pages.common import Person, page, page_router
from orderdesk_shared.access import own_orders_only
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep

router = page_router()


@router.get("/escalations", response_class=HTMLResponse)
async def escalations(request: Request, person: Person, db: DatabaseDep, context: ContextDep) -> HTMLResponse:
    """Orders the SLA watchdog put in jeopardy, the most severe and oldest first, with who they are escalated to."""
    async with db.engine.connect() as connection:
        orders, total = await repository.Orders(connection).escalated(owned_by=own_orders_only(person.principal))
    now, ladder = context.clock(), context.rules.slas
    shown = [
        order
        | {
            "escalated_to": ladder.top_rung(order["escalated_to"]),
            "in_stage_for": _duration(now - order["stage_entered_at"]),
        }
        for order in orders
    ]
    return page(request, "escalations.html", person.principal, orders=shown, total=total)


def _duration(elapsed: timedelta) -> str:
    """How long, to the hour: "3d 4h", "5h", "under 1h"."""
    hours = int(elapsed.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return " ".join(part for part in (f"{days}d" if days else "", f"{hours}h" if hours else "") if part) or "under 1h"
