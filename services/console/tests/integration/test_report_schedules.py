"""Scheduled reports against the real schema and a real SMTP sink, the clock moved by the test: a report arrives at
its time with its file attached, once, and not again after the watch restarts; runs missed while it was away arrive
late, each once; the API and the reports page show each schedule's last and next run."""

import asyncio
import io
from datetime import UTC, datetime

import httpx
import pytest
from openpyxl import load_workbook

from console.mail_sender import DEDUPE_KEY_HEADER, mail_sender
from console.main import create_app
from console.report_schedule_watch import report_schedule_watch
from console.rules_in_force import load_rules
from console.settings import Settings
from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_stack.testing import eventually, running, session_token_signer
from services.console.tests.integration.conftest import browse_as, row_text
from services.console.tests.unit.test_reports import fact, handed_off, priced_item

pytestmark = pytest.mark.integration

SCHEDULES = """
version = "report-schedules/1"

[schedules.chicago-bookings]
report = "bookings"
filters = { by = "market", market = "chicago" }
period = "previous-day"
cron = "0 7 * * *"
time_zone = "America/Chicago"
format = "xlsx"
recipients = ["sales-ops@orderdesk.example.com", "finance@orderdesk.example.com"]
"""
# 07:00 in Chicago on Monday 7 December 2026.
MONDAY_SEVEN = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
# What a check of the watch takes at most here, many times over: long enough for a mail it wrongly queued to arrive.
SEVERAL_CHECKS = 1.0


@pytest.fixture
def schedules(tmp_path):
    path = tmp_path / "report_schedules.toml"
    path.write_text(SCHEDULES)
    return path


@pytest.fixture
async def bookings(database, journeys):
    """A Chicago booking on Sunday 6 December (the Monday run's day) and one on the Monday itself (not)."""
    sunday = fact(
        handed_off(journeys, "PO-SUN", [priced_item("1", "fiber-internet", "100.10", "50.05", 36)], {"1": "chicago"}),
        at=datetime(2026, 12, 6, 18, 0, tzinfo=UTC),
    )
    monday = fact(
        handed_off(journeys, "PO-MON", [priced_item("1", "fiber-internet", "7.00", "0", 12)], {"1": "chicago"}),
        at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
    )
    async with database.unit_of_work() as uow:
        await uow.report_facts.add([sunday, monday])


class MovingClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _watch(schedules, clock: MovingClock):
    rules = load_rules(Settings.model_construct(report_schedules=schedules))
    return report_schedule_watch(ServiceContext(rules, clock=clock), every_seconds=0.05)


def _sender(sink):
    return mail_sender(
        lambda: datetime.now(UTC), host="127.0.0.1", port=sink.port, sender="desk@orderdesk.local", every_seconds=0.05
    )


async def _keys(sink) -> list[str]:
    return [message[DEDUPE_KEY_HEADER] for message in sink.delivered()]


async def _first_checked(database) -> dict:
    async with database.unit_of_work() as uow:
        return await uow.report_schedules.all()


def _table(workbook: bytes) -> list[tuple]:
    """The workbook's rows, header block and table, each up to its last cell with a value."""
    rows = load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True)
    return [tuple(row[: max((n + 1 for n, cell in enumerate(row) if cell is not None), default=0)]) for row in rows]


async def test_a_scheduled_report_arrives_at_its_time_with_its_file_once(database, bookings, schedules, sink):
    clock = MovingClock(MONDAY_SEVEN.replace(hour=12, minute=59))
    async with running(_sender(sink)(database)):
        async with running(_watch(schedules, clock)(database)):
            await eventually(lambda: _first_checked(database), what="the watch's first check", pause=0.05)
            await asyncio.sleep(SEVERAL_CHECKS)
            assert sink.delivered() == [], "nothing is sent before its time"

            clock.now = MONDAY_SEVEN
            [key] = await eventually(lambda: _keys(sink), what="the report in the sink", pause=0.05)

        assert key == "report:chicago-bookings:2026-12-07T13:00:00+00:00"
        [message] = sink.delivered()
        assert message["To"] == "sales-ops@orderdesk.example.com, finance@orderdesk.example.com"
        assert message["Subject"] == "Bookings report, 2026-12-06, by market, market chicago"
        [attachment] = message.iter_attachments()
        assert attachment.get_filename() == "bookings_2026-12-06_2026-12-07.xlsx"
        table = _table(attachment.get_content())
        assert ("Period", "2026-12-06 to 2026-12-07 (end excluded)") in table
        assert ("Filters", "by=market; market=chicago") in table
        [chicago] = [row for row in table if row[:1] == ("chicago",)]
        assert chicago[1:3] == (1, 100.10)  # Sunday's order only, its MRR to the cent

        # The console restarts: its new watch knows from the database that the 07:00 run was sent.
        clock.now = MONDAY_SEVEN.replace(minute=10)
        async with running(_watch(schedules, clock)(database)):
            await asyncio.sleep(SEVERAL_CHECKS)
        assert await _keys(sink) == [key]

        # Away until Wednesday 07:30 in Chicago: Tuesday's run and Wednesday's arrive late, each once.
        clock.now = datetime(2026, 12, 9, 13, 30, tzinfo=UTC)
        async with running(_watch(schedules, clock)(database)):
            await eventually(lambda: _keys(sink), lambda keys: len(keys) == 3, what="the runs missed", pause=0.05)
            await asyncio.sleep(SEVERAL_CHECKS)
        assert await _keys(sink) == [
            key,
            "report:chicago-bookings:2026-12-08T13:00:00+00:00",
            "report:chicago-bookings:2026-12-09T13:00:00+00:00",
        ]

    app = create_app(
        Settings(database_url=database.engine.url.render_as_string(hide_password=False), report_schedules=schedules)
    )
    try:
        token = session_token_signer().mint("Dana", [Role.SPECIALIST])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
            answer = await client.get("/console/report-schedules", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            [shown] = answer.json()
        async with await browse_as(app, "Dana", Role.SPECIALIST) as browser:
            reports_page = (await browser.get("/reports")).text
    finally:
        await app.state.runtime.database.dispose()
    assert shown["name"] == "chicago-bookings"
    assert shown["lastRun"] == {
        "dueAt": "2026-12-09T13:00:00Z",
        "queuedAt": "2026-12-09T13:30:00Z",
        "start": "2026-12-08",
        "end": "2026-12-09",
    }
    assert shown["nextRunAt"] == "2026-12-10T07:00:00-06:00"
    assert row_text(reports_page, "data-schedule", "chicago-bookings") == (
        "chicago-bookings bookings previous day by=market, market=chicago 0 7 * * * America/Chicago XLSX"
        " sales-ops@orderdesk.example.com, finance@orderdesk.example.com"
        " 2026-12-08 to 2026-12-09, queued 2026-12-09 13:30 UTC 2026-12-10 07:00 CST"
    )
