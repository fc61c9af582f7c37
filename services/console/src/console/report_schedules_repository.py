"""Each report schedule's runs so far (`uow.report_schedules`): where the report schedule watch takes up after a
restart, and what the API shows of each schedule's last run."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from console.domain.schedules import Run
from console.tables import report_schedules

_FIRST_CHECKED = sa.text(
    f"INSERT INTO {report_schedules.fullname} (schedule, first_checked_at)"
    " SELECT unnest(CAST(:schedules AS text[])), :at ON CONFLICT (schedule) DO NOTHING"
).bindparams(sa.bindparam("schedules", type_=postgresql.ARRAY(sa.Text)))
_RAN = sa.text(
    f"UPDATE {report_schedules.fullname} SET last_due_at = given.due_at, last_queued_at = :at"
    " FROM unnest(CAST(:schedules AS text[]), CAST(:due AS timestamptz[])) AS given(schedule, due_at)"
    f" WHERE {report_schedules.fullname}.schedule = given.schedule"
).bindparams(
    sa.bindparam("schedules", type_=postgresql.ARRAY(sa.Text)),
    sa.bindparam("due", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
)


class ReportScheduleRuns:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def due_after(self, schedules: Sequence[str], *, now: datetime) -> dict[str, datetime]:
        """After when each schedule's runs are due: its last run queued, or before any the time the console first
        checked it (`now` for a schedule new to it). The rows stay locked until the transaction ends, so two consoles
        take turns."""
        await self._connection.execute(_FIRST_CHECKED, {"schedules": list(schedules), "at": now})
        result = await self._connection.execute(
            sa.select(
                report_schedules.c.schedule,
                sa.func.coalesce(report_schedules.c.last_due_at, report_schedules.c.first_checked_at),
            )
            .where(report_schedules.c.schedule.in_(schedules))
            .with_for_update()
        )
        return dict(result.tuples().all())

    async def ran(self, runs: Sequence[Run], *, queued_at: datetime) -> None:
        """Record each schedule's latest run of `runs` as queued."""
        latest = {run.schedule: run.due_at for run in sorted(runs, key=lambda run: run.due_at)}
        await self._connection.execute(_RAN, {"schedules": list(latest), "due": list(latest.values()), "at": queued_at})

    async def all(self) -> dict[str, dict[str, Any]]:
        """Every schedule the console has checked, by name: when first, and its last run's due and queued times."""
        result = await self._connection.execute(sa.select(report_schedules))
        return {row["schedule"]: dict(row) for row in result.mappings()}
