"""The dashboard: orders per stage and state, jeopardy, what blocks open orders, their age and the day's throughput."""

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from console import repository
from console.pages.common import Person, fragment, live_stream, page, page_router
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep, ServiceContext
from orderdesk_shared.db import Database

router = page_router()


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, person: Person, db: DatabaseDep, context: ContextDep) -> HTMLResponse:
    return page(request, "dashboard.html", person.principal, figures=await _figures(db, context))


@router.get("/dashboard/figures")
async def dashboard_figures(_: Person, db: DatabaseDep, context: ContextDep) -> dict[str, Any]:
    """The dashboard's figures, for browsers that cannot follow its live stream."""
    return await _figures(db, context)


@router.get("/dashboard/live")
async def dashboard_live(request: Request, person: Person, db: DatabaseDep, context: ContextDep) -> EventSourceResponse:
    """The dashboard's figures and tables whenever an order changes."""

    async def render() -> list[ServerSentEvent]:
        figures = await _figures(db, context)
        tables = fragment("_dashboard_tables.html", person.principal, figures=figures)
        return [ServerSentEvent(json.dumps(figures), event="figures"), ServerSentEvent(tables, event="tables")]

    return live_stream(request, render)


async def _figures(db: Database, context: ServiceContext) -> dict[str, Any]:
    async with db.engine.connect() as connection:
        return await repository.Orders(connection).figures(now=context.clock())
