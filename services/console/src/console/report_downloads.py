"""A report as a file download, for the API and the reports page alike: the request checked (a wrong part is a 422
problem naming it), the report built from its period's facts, the file named after report and period."""

from collections.abc import Mapping
from datetime import date
from typing import Literal

from fastapi import Response
from fastapi import status as http_status

from console.domain.reports import REPORTS, ReportRequestError, checked_request
from console.domain.sla import StageSlaPolicy
from console.report_files import CONTENT_TYPES, filename, rendered
from console.reports import build_report
from orderdesk_shared.auth import Role
from orderdesk_shared.db import Database
from orderdesk_shared.problems import problem

FileFormat = Literal["csv", "xlsx"]
# The desk (specialists), sales management, finance, and the commission analysts whose ledger the commission report
# sums: people who answer for the whole desk's numbers. A sales rep sees their own orders, not the desk's totals.
REPORT_READER_ROLES = frozenset(
    {Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.COMMISSION_ANALYST}
)
# Query parameters of a download that are not the report's filters.
NOT_FILTERS = frozenset({"start", "end", "format"})


def catalogue() -> list[dict[str, object]]:
    """The reports and the filters each takes, as the API lists them."""
    return [
        {
            "name": kind.name,
            "title": kind.title,
            "description": kind.description,
            "filters": [
                {"name": report_filter.name, "description": report_filter.description}
                | ({"choices": list(report_filter.choices)} if report_filter.choices else {})
                for report_filter in kind.filters
            ],
        }
        for kind in REPORTS.values()
    ]


async def report_download(
    db: Database,
    sla: StageSlaPolicy,
    *,
    name: str,
    start: date,
    end: date,
    file_format: FileFormat,
    query: Mapping[str, str],
) -> Response:
    """The report as a file, or the problem with the request (404: no such report; 422: a wrong period or filter)."""
    filters = {key: value for key, value in query.items() if key not in NOT_FILTERS}
    try:
        request = checked_request(name, start, end, filters)
    except ReportRequestError as error:
        if error.field == "name":
            return problem(http_status.HTTP_404_NOT_FOUND, "Not Found", detail=str(error))
        return problem(
            http_status.HTTP_422_UNPROCESSABLE_CONTENT,
            "The request is not valid",
            detail=str(error),
            invalid_params=[{"field": error.field, "reason": str(error)}],
        )
    async with db.unit_of_work() as uow:
        report = await build_report(uow, request, sla=sla)
    return Response(
        rendered(report, file_format),
        media_type=CONTENT_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename(report, file_format)}"'},
    )
