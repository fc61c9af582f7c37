"""Reports: each report with its filters, downloaded as CSV or XLSX (the console's own facts, see
console.report_downloads), and the reports sent by schedule."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import HTMLResponse

from console.domain.reports import REPORTS
from console.pages.common import Person, page, page_router
from console.report_downloads import REPORT_READER_ROLES, FileFormat, report_download
from console.report_schedules_repository import ReportScheduleRuns
from console.views import schedule_views
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep
from orderdesk_shared.problems import problem

router = page_router()


def _refused(person: Person) -> Response | None:
    if person.principal.roles & REPORT_READER_ROLES:
        return None
    return problem(403, "Forbidden", detail="reports are for the desk, sales management, finance and commission")


@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request, person: Person, db: DatabaseDep, context: ContextDep) -> Response:
    """Every report with its filter form (the period defaults to last month), and the reports sent by schedule with
    their last run and next."""
    if refusal := _refused(person):
        return refusal
    this_month = context.clock().date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    async with db.engine.connect() as connection:
        checked = await ReportScheduleRuns(connection).all()
    return page(
        request,
        "reports.html",
        person.principal,
        reports=REPORTS.values(),
        start=last_month,
        end=this_month,
        schedules=schedule_views(context.rules.report_schedules, checked, now=context.clock()),
    )


@router.get("/reports/{name}/file")
async def report_file(
    name: str,
    request: Request,
    person: Person,
    db: DatabaseDep,
    context: ContextDep,
    start: date,
    end: date,
    file_format: Annotated[FileFormat, Query(alias="format")] = "xlsx",
) -> Response:
    """The report's file, as GET /console/reports/{name} gives it."""
    if refusal := _refused(person):
        return refusal
    return await report_download(
        db, context.rules.slas, name=name, start=start, end=end, file_format=file_format, query=request.query_params
    )
