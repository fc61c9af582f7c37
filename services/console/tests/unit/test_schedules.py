import re
from datetime import UTC, date, datetime

import pytest

from console.domain.schedules import ReportSchedule, covered, due_runs, next_run
from console.rules_in_force import RulesError, load_report_schedules
from console.settings import REPORT_SCHEDULES

CHICAGO_MORNINGS = ReportSchedule(
    report="bookings",
    period="previous-day",
    cron="0 7 * * *",
    time_zone="America/Chicago",
    format="xlsx",
    recipients=["sales-ops@orderdesk.example.com"],
)


def _due(since: datetime, now: datetime) -> list[tuple[datetime, date, date]]:
    return [
        (run.due_at.astimezone(UTC), run.start, run.end)
        for run in due_runs("daily", CHICAGO_MORNINGS, since=since, now=now)
    ]


def test_each_run_missed_while_the_console_was_away_is_due_once_late_oldest_first():
    away_from_friday_to_monday = _due(datetime(2026, 12, 4, 12, tzinfo=UTC), datetime(2026, 12, 7, 15, tzinfo=UTC))
    assert away_from_friday_to_monday == [
        (datetime(2026, 12, 4, 13, tzinfo=UTC), date(2026, 12, 3), date(2026, 12, 4)),
        (datetime(2026, 12, 5, 13, tzinfo=UTC), date(2026, 12, 4), date(2026, 12, 5)),
        (datetime(2026, 12, 6, 13, tzinfo=UTC), date(2026, 12, 5), date(2026, 12, 6)),
        (datetime(2026, 12, 7, 13, tzinfo=UTC), date(2026, 12, 6), date(2026, 12, 7)),
    ]
    assert _due(datetime(2026, 12, 7, 15, tzinfo=UTC), datetime(2026, 12, 7, 16, tzinfo=UTC)) == []


def test_a_run_is_due_at_its_minute_and_not_again_at_the_next_check():
    seven_in_chicago = datetime(2026, 12, 7, 13, tzinfo=UTC)
    assert [due for due, _, _ in _due(datetime(2026, 12, 7, 12, 59, tzinfo=UTC), seven_in_chicago)] == [
        seven_in_chicago
    ]
    assert _due(seven_in_chicago, datetime(2026, 12, 7, 13, 0, 30, tzinfo=UTC)) == []
    assert _due(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), datetime(2026, 12, 7, 12, 59, 59, tzinfo=UTC)) == []


def test_the_cron_expression_is_read_in_the_schedules_time_zone_summer_and_winter():
    assert next_run(CHICAGO_MORNINGS, after=datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert next_run(CHICAGO_MORNINGS, after=datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 1, 13, tzinfo=UTC)


def test_the_mail_of_a_run_is_keyed_by_its_schedule_and_due_time():
    [run] = due_runs(
        "daily",
        CHICAGO_MORNINGS,
        since=datetime(2026, 12, 7, 12, tzinfo=UTC),
        now=datetime(2026, 12, 7, 14, tzinfo=UTC),
    )
    assert run.dedupe_key == "report:daily:2026-12-07T13:00:00+00:00"


@pytest.mark.parametrize(
    ("period", "run_on", "start", "end"),
    [
        ("previous-day", date(2027, 1, 1), date(2026, 12, 31), date(2027, 1, 1)),
        ("previous-week", date(2026, 12, 7), date(2026, 11, 30), date(2026, 12, 7)),  # a Monday
        ("previous-week", date(2026, 12, 10), date(2026, 11, 30), date(2026, 12, 7)),  # a Thursday
        ("previous-month", date(2027, 1, 1), date(2026, 12, 1), date(2027, 1, 1)),
        ("previous-month", date(2026, 3, 15), date(2026, 2, 1), date(2026, 3, 1)),
        ("month-to-date", date(2026, 12, 15), date(2026, 12, 1), date(2026, 12, 15)),
        ("month-to-date", date(2026, 12, 1), date(2026, 11, 1), date(2026, 12, 1)),
    ],
)
def test_a_run_reports_on_the_whole_days_of_its_period_before_the_day_it_runs(period, run_on, start, end):
    assert covered(period, run_on) == (start, end)


def test_the_shipped_schedules_load():
    assert load_report_schedules(REPORT_SCHEDULES).schedules


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('cron = "0 25 * * *"', "schedules.daily.cron"),
        ('time_zone = "Mars/Olympus"', "schedules.daily.time_zone"),
        ('recipients = ["sales-ops"]', "not an e-mail address: 'sales-ops'"),
        ("recipients = []", "schedules.daily.recipients"),
        ('period = "previous-fortnight"', "schedules.daily.period"),
        ('format = "pdf"', "schedules.daily.format"),
        ('report = "bookkeeping"', "no report 'bookkeeping'"),
        ('filters = { region = "west" }', "region: bookings takes the filters"),
        ('filters = { by = "planet" }', "by: by is one of market, rep"),
    ],
)
def test_a_bad_schedule_stops_the_console_naming_the_file_the_schedule_and_the_field(tmp_path, line, named):
    fields = {
        "report": '"bookings"',
        "period": '"previous-day"',
        "cron": '"0 7 * * *"',
        "time_zone": '"America/Chicago"',
        "format": '"xlsx"',
        "recipients": '["sales-ops@orderdesk.example.com"]',
    }
    key, value = line.split(" = ", 1)
    fields[key] = value
    schedules = tmp_path / "schedules.toml"
    schedules.write_text(
        'version = "report-schedules/1"\n[schedules.daily]\n' + "\n".join(f"{k} = {v}" for k, v in fields.items())
    )
    with pytest.raises(RulesError, match=rf"(?s)^schedules.toml: .*{re.escape(named)}"):
        load_report_schedules(schedules)
