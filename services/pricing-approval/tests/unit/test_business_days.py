from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pricing_approval.domain.business_days import BusinessCalendar, due_at, load_business_calendar

CALENDAR = load_business_calendar()


def _central(*args) -> datetime:
    return datetime(*args, tzinfo=CALENDAR.zone)


@pytest.mark.parametrize(
    ("submitted", "days", "due"),
    [
        (_central(2026, 12, 1, 14, 30), 1, _central(2026, 12, 2, 14, 30)),  # Tuesday → Wednesday
        (_central(2026, 12, 4, 16, 0), 1, _central(2026, 12, 7, 16, 0)),  # Friday → Monday
        (_central(2026, 12, 4, 16, 0), 3, _central(2026, 12, 9, 16, 0)),
        (_central(2026, 11, 25, 9, 15), 1, _central(2026, 11, 30, 9, 15)),  # over Thanksgiving and the day after
        (_central(2026, 12, 24, 10, 0), 2, _central(2026, 12, 29, 10, 0)),  # over Christmas Day
        (_central(2026, 12, 5, 11, 0), 1, _central(2026, 12, 8, 0, 0)),  # Saturday: the clock starts Monday
    ],
)
def test_due_counts_business_days_only(submitted, days, due):
    assert due_at(submitted, business_days=days, calendar=CALENDAR) == due


def test_a_submission_time_in_utc_is_counted_in_the_office_time_zone():
    # 03:00 UTC on Saturday is still Friday 21:00 in Chicago.
    submitted = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    assert due_at(submitted, business_days=1, calendar=CALENDAR) == _central(2026, 12, 7, 21, 0)


def test_a_holiday_on_a_weekend_is_refused_so_the_observed_day_is_listed():
    with pytest.raises(ValidationError, match=r"holidays on a weekend \(2026-07-04\)"):
        BusinessCalendar(
            version="x", timezone="America/Chicago", weekend={"saturday", "sunday"}, holidays={"2026-07-04"}
        )


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError, match="unknown time zone 'America/Springfield'"):
        BusinessCalendar(version="x", timezone="America/Springfield", weekend={"sunday"}, holidays=set())
