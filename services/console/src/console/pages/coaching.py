"""Coaching: what reps' submissions were found wanting lately, from intake."""

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse

from console.pages.common import INTAKE, Person, fetched, page, page_router
from orderdesk_shared.context import ContextDep

router = page_router()


@router.get("/coaching", response_class=HTMLResponse)
async def coaching(request: Request, person: Person, context: ContextDep, days: int = 30) -> HTMLResponse:
    """What reps' submissions were found wanting lately, per rep and channel, from intake."""
    since = (context.clock() - timedelta(days=days)).isoformat()
    counts, refused = await fetched(person, INTAKE, "/intake/coaching/findings", params={"since": since})
    counts = sorted(counts, key=lambda c: -c["count"])
    return page(request, "coaching.html", person.principal, counts=counts, days=days, refused=refused)
