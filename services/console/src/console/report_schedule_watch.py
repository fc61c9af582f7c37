"""The background loop that sends each scheduled report as its runs come due: the report built for the run's
period, rendered as its file and queued as a mail with the file attached, for the mail sender to deliver."""

import asyncio
from datetime import datetime

from console.domain.mail import Attachment, Mail
from console.domain.reports import ReportRequest
from console.domain.schedules import Run, due_runs, report_mail
from console.report_files import CONTENT_TYPES, filename, rendered
from console.reports import build_report
from console.rules_in_force import ConsoleRules
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger
from orderdesk_shared.runtime import DatabaseTask

log = get_logger(__name__)


async def send_due_reports(uow: ConsoleUnitOfWork, rules: ConsoleRules, *, now: datetime) -> list[Run]:
    """Queue the mail of every run come due since each schedule's last, and record them as queued."""
    schedules = rules.report_schedules.schedules
    due_after = await uow.report_schedules.due_after(list(schedules), now=now)
    runs = [
        run for name, schedule in schedules.items() for run in due_runs(name, schedule, since=due_after[name], now=now)
    ]
    if runs:
        await uow.mail.queue([await _run_mail(uow, rules, run) for run in runs])
        await uow.report_schedules.ran(runs, queued_at=now)
    return runs


async def _run_mail(uow: ConsoleUnitOfWork, rules: ConsoleRules, run: Run) -> Mail:
    schedule = rules.report_schedules.schedules[run.schedule]
    request = ReportRequest(schedule.report, run.start, run.end, schedule.filters)
    report = await build_report(uow, request, sla=rules.slas)
    attachment = Attachment(
        filename(report, schedule.format), CONTENT_TYPES[schedule.format], rendered(report, schedule.format)
    )
    return report_mail(run, schedule, report, attachment)


def report_schedule_watch(context: ServiceContext[ConsoleRules], *, every_seconds: float) -> DatabaseTask:
    """A loop that, every `every_seconds` for as long as the console runs, queues the reports whose runs came due
    by the context's clock."""

    async def watch(database: Database) -> None:
        while True:
            try:
                async with database.unit_of_work() as uow:
                    runs = await send_due_reports(uow, context.rules, now=context.clock())
                if runs:
                    log.info("scheduled reports queued", runs=[run.dedupe_key for run in runs])
            except DATABASE_FAILURES as error:
                # The database is away for a moment: the runs are still due at the next check.
                log.warning("the report schedule watch could not reach the database", error=logged_error(error))
            await asyncio.sleep(every_seconds)

    return watch
