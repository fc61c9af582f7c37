"""The console's JSON API: the timeline read model, for people and the pages alike."""

from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import EmailStr

from console import repository
from console.notification_preferences import PreferenceRefused, preference, set_preference
from console.pages import router as pages_router
from console.report_downloads import REPORT_READER_ROLES, FileFormat, catalogue, report_download
from console.report_files import CONTENT_TYPES
from console.report_schedules_repository import ReportScheduleRuns
from console.sre import router as sre_router
from console.views import history_view, order_view, schedule_views
from orderdesk_shared.access import OrderAction, own_orders_only, refusal
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import Principal, SignedIn, require_roles
from orderdesk_shared.context import ContextDep
from orderdesk_shared.events.base import WireModel
from orderdesk_shared.limits import Offset, PageSize

router = APIRouter(prefix="/console", tags=["console"])
__all__ = ["pages_router", "router", "sre_router"]
ReportReader = Annotated[Principal, Depends(require_roles(*REPORT_READER_ROLES))]


@router.get("/orders")
async def list_orders(
    db: DatabaseDep,
    reader: SignedIn,
    response: Response,
    state: Annotated[str | None, Query(description="one or more TMF states, comma-separated")] = None,
    stage: str | None = None,
    q: Annotated[
        str | None, Query(description="part of an order id, external id, account, sales rep or submitter")
    ] = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Orders, most recently moved first (a sales rep's own only); X-Total-Count says how many match."""
    async with db.engine.connect() as connection:
        rows, total = await repository.Orders(connection).page(
            states=state.split(",") if state else None,
            stage=stage,
            search=q,
            owned_by=own_orders_only(reader),
            limit=limit,
            offset=offset,
        )
    response.headers["X-Total-Count"] = str(total)
    return [order_view(row) for row in rows]


@router.get("/orders/{order_id}")
async def get_order(order_id: str, db: DatabaseDep, reader: SignedIn) -> dict[str, Any]:
    """The order's row and its whole timeline (who, what, when, why), the desk's assignments included; an order a
    sales rep may not see is not found."""

    async def order_with_timeline(connection) -> dict[str, Any] | None:
        row = await repository.Orders(connection).get(order_id)
        if row is None or refusal(reader, repository.people_of(row), OrderAction.SEE):
            return None
        lines = await repository.Timelines(connection).of_order(order_id)
        assignments = await repository.Assignments(connection).history(order_id)
        return order_view(row) | {"timeline": history_view(lines, assignments)}

    return await read_or_404(db, order_with_timeline, missing=f"no order {order_id} in the console")


@router.get("/dashboard")
async def dashboard(db: DatabaseDep, _: SignedIn, context: ContextDep) -> dict[str, Any]:
    """Orders per stage and state, jeopardy counts, the top reasons open orders are blocked, open orders' age in
    their stage and the hourly throughput of the last day."""
    async with db.engine.connect() as connection:
        return await repository.Orders(connection).figures(now=context.clock())


@router.get("/reports")
async def list_reports(_: ReportReader) -> list[dict[str, Any]]:
    """The reports, each with the filters it takes (`by`: what its rows are)."""
    return catalogue()


@router.get(
    "/reports/{name}",
    response_class=Response,
    responses={200: {"content": {media_type: {} for media_type in CONTENT_TYPES.values()}, "description": "the file"}},
)
async def download_report(
    name: str,
    request: Request,
    db: DatabaseDep,
    context: ContextDep,
    _: ReportReader,
    start: Annotated[date, Query(description="the period's first day (UTC)")],
    end: Annotated[date, Query(description="the day after the period's last (UTC)")],
    file_format: Annotated[FileFormat, Query(alias="format")] = "xlsx",
) -> Response:
    """The report for the period [start, end) as CSV or XLSX, its title, period and filters written in the file; any
    other query parameter is one of the report's filters (GET /console/reports lists them)."""
    return await report_download(
        db, context.rules.slas, name=name, start=start, end=end, file_format=file_format, query=request.query_params
    )


@router.get("/report-schedules")
async def report_schedules(db: DatabaseDep, _: ReportReader, context: ContextDep) -> list[dict[str, Any]]:
    """Each report schedule: the report, filters and period it sends, as which file, to whom and when (cron, time
    zone), the last run it queued and when the next is due."""
    async with db.engine.connect() as connection:
        checked = await ReportScheduleRuns(connection).all()
    return schedule_views(context.rules.report_schedules, checked, now=context.clock())


class NotificationPreference(WireModel):
    """Whether the person wants status mail about the orders they are on (everyone does until they say not)."""

    status_mail: bool


@router.get("/notification-preferences/{email}")
async def get_notification_preference(email: EmailStr, db: DatabaseDep, caller: SignedIn) -> dict[str, Any]:
    """Whether the person with this e-mail address gets status mail, and who said so when (by address: reps and
    customer contacts alike; the person or the desk)."""
    async with db.unit_of_work() as uow:
        return await _answered(preference(uow, caller, email))


@router.put("/notification-preferences/{email}")
async def set_notification_preference(
    email: EmailStr, wanted: NotificationPreference, db: DatabaseDep, caller: SignedIn, context: ContextDep
) -> dict[str, Any]:
    """Ask for no status mail (`statusMail: false`), or for it again, from the next event on (the person, or the
    desk for them)."""
    async with db.unit_of_work() as uow:
        return await _answered(set_preference(uow, caller, email, status_mail=wanted.status_mail, at=context.clock()))


async def _answered(asked: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await asked
    except PreferenceRefused as refused:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(refused)) from refused
