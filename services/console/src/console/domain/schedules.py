"""Report schedules (policies/report_schedules.v1.toml): when each report goes to its list, the period each run
covers, and which runs are due since the schedule was last checked."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from console.domain.mail import Attachment, Mail
from console.domain.reports import Report, ReportRequestError, checked_request

Period = Literal["previous-day", "previous-week", "previous-month", "month-to-date"]
# A schedule's name is part of each run's dedupe key ("report:<name>:<due time>"): no colons, no spaces.
ScheduleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]


def _mail_address(address: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise ValueError(f"not an e-mail address: {address!r}")
    return address


class ReportSchedule(BaseModel):
    """One report sent as a file to a list, at the times a cron expression names in a time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report: str
    filters: dict[str, str] = Field(default_factory=dict)
    period: Period
    cron: str
    time_zone: ZoneInfo
    format: Literal["csv", "xlsx"]
    recipients: tuple[Annotated[str, AfterValidator(_mail_address)], ...] = Field(min_length=1)

    @field_validator("cron")
    @classmethod
    def _cron_expression(cls, cron: str) -> str:
        if not croniter.is_valid(cron):
            raise ValueError(f"not a cron expression (minute hour day-of-month month day-of-week): {cron!r}")
        return cron

    @model_validator(mode="after")
    def _a_report_and_filters_it_takes(self) -> "ReportSchedule":
        # Any one day's request: what is checked here is the report's name and filters, the periods are the runs'.
        try:
            checked_request(self.report, date.min, date.min + timedelta(days=1), self.filters)
        except ReportRequestError as error:
            raise ValueError(f"{error.field}: {error}") from error
        return self


class ReportSchedules(BaseModel):
    """Every schedule by its name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    schedules: dict[ScheduleName, ReportSchedule] = Field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """A schedule's run due at a time, and the whole days it reports on: from `start` up to `end` (exclusive)."""

    schedule: str
    due_at: datetime
    start: date
    end: date

    @property
    def dedupe_key(self) -> str:
        """The mail's key in the outbox: a run queued twice (a restart, two consoles) is sent once."""
        return f"report:{self.schedule}:{self.due_at.astimezone(UTC).isoformat()}"


def due_runs(name: str, schedule: ReportSchedule, *, since: datetime, now: datetime) -> list[Run]:
    """The runs due after `since` up to `now`, oldest first: a run missed while the console was away is due at the
    next check, late but once, and one checked before is not due again."""
    times = croniter(schedule.cron, since.astimezone(schedule.time_zone))
    runs = []
    while (due_at := times.get_next(datetime)) <= now:
        runs.append(run_due_at(name, schedule, due_at))
    return runs


def run_due_at(name: str, schedule: ReportSchedule, due_at: datetime) -> Run:
    """The schedule's run due at `due_at`, reporting on the whole days of its period before that day. Reports count
    UTC days (console.domain.reports.period_bounds): the day is the due time's in UTC, so every day a run covers is
    over when it runs, wherever its schedule's time zone is."""
    return Run(name, due_at, *covered(schedule.period, due_at.astimezone(UTC).date()))


def next_run(schedule: ReportSchedule, *, after: datetime) -> datetime:
    """When the schedule runs next after `after`, in its time zone."""
    return croniter(schedule.cron, after.astimezone(schedule.time_zone)).get_next(datetime)


def covered(period: Period, day: date) -> tuple[date, date]:
    """The whole days a run on `day` reports on, [start, end): the day it runs on is not over, so it is left out
    (a month-to-date run on the 1st reports on the month just ended)."""
    yesterday = day - timedelta(days=1)
    if period == "previous-day":
        return yesterday, day
    if period == "previous-week":
        this_monday = day - timedelta(days=day.weekday())
        return this_monday - timedelta(weeks=1), this_monday
    if period == "previous-month":
        first = day.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    return yesterday.replace(day=1), day


def report_mail(run: Run, schedule: ReportSchedule, report: Report, attachment: Attachment) -> Mail:
    """The mail of a run: the report attached, what it covers and why its recipients get it."""
    last_day = run.end - timedelta(days=1)
    period = str(run.start) if run.start == last_day else f"{run.start} to {last_day}"
    filters = "".join(f", {name} {value}" for name, value in sorted(schedule.filters.items()))
    due = run.due_at.astimezone(schedule.time_zone).isoformat(timespec="minutes")
    return Mail(
        dedupe_key=run.dedupe_key,
        recipients=schedule.recipients,
        subject=f"{report.title} report, {period}{filters}",
        text=(
            f"The {report.title} report for {period}{filters} is attached ({attachment.filename}, "
            f"{len(report.rows)} rows).\n\n"
            f"Sent by the report schedule {run.schedule!r} ({schedule.cron}, {schedule.time_zone}) for its run due "
            f"{due}. Its list is kept in the console's report schedules: ask the order desk to be taken off it or to "
            "add someone.\n"
        ),
        attachments=(attachment,),
    )
