"""The business calendar: business days and office hours, public holidays from the library, the policy's own days."""

from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from orderdesk_shared.calendar import CALENDAR_CONTEXT, BusinessCalendar, CalendarReference, load_business_calendar

CALENDAR = load_business_calendar()


def _central(*args) -> datetime:
    return datetime(*args, tzinfo=CALENDAR.zone)


def _calendar(**holidays) -> BusinessCalendar:
    return BusinessCalendar(
        version="test",
        timezone="America/Chicago",
        weekend={"saturday", "sunday"},
        opens="08:00",
        closes="17:00",
        holidays={"country": "US", **holidays},
    )


def test_a_public_holiday_of_the_library_is_closed_in_any_year():
    assert not CALENDAR.is_business_day(date(2031, 7, 4))  # Independence Day, a Friday: no list names 2031
    assert not CALENDAR.is_business_day(date(2027, 12, 31))  # New Year's Day 2028 is a Saturday: observed Friday
    assert CALENDAR.is_business_day(date(2027, 12, 30))


def test_the_policy_closes_its_own_days_and_can_stay_open_on_a_public_holiday():
    assert not CALENDAR.is_business_day(date(2026, 11, 27))  # the day after Thanksgiving, the policy's own
    assert _calendar(open_on={"2026-10-12"}).is_business_day(date(2026, 10, 12))  # Columbus Day worked
    assert not _calendar().is_business_day(date(2026, 10, 12))


def test_a_weekend_is_closed():
    assert not CALENDAR.is_business_day(date(2026, 12, 5))  # Saturday
    assert CALENDAR.add_business_days(_central(2026, 12, 4, 16, 0), 1) == _central(2026, 12, 7, 16, 0)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (_central(2026, 12, 1, 14, 30), 1, _central(2026, 12, 2, 14, 30)),  # Tuesday → Wednesday
        (_central(2026, 11, 25, 9, 15), 1, _central(2026, 11, 30, 9, 15)),  # over Thanksgiving and the day after
        (_central(2026, 12, 24, 10, 0), 2, _central(2026, 12, 29, 10, 0)),  # over Christmas Day
        (_central(2026, 12, 5, 11, 0), 1, _central(2026, 12, 8, 0, 0)),  # Saturday: the clock starts Monday
        (datetime(2026, 12, 5, 3, 0, tzinfo=UTC), 1, _central(2026, 12, 7, 21, 0)),  # still Friday in Chicago
    ],
)
def test_business_days_keep_the_local_time_of_day(start, days, due):
    assert CALENDAR.add_business_days(start, days) == due


def test_across_the_change_to_daylight_saving_time_the_office_keeps_its_local_hours():
    # Sunday 8 March 2026 Chicago moves from UTC-6 to UTC-5.
    friday_afternoon = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)  # 16:00 CST
    monday_nine = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 09:00 CDT
    assert CALENDAR.add_business_hours(friday_afternoon, 2) == monday_nine
    assert CALENDAR.business_hours_between(friday_afternoon, monday_nine) == 2
    assert CALENDAR.add_business_days(friday_afternoon, 1) == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)  # 16:00 CDT


def test_office_hours_run_on_across_nights_weekends_and_holidays():
    wednesday_afternoon = _central(2026, 11, 25, 16, 0)
    due = CALENDAR.add_business_hours(wednesday_afternoon, 4)
    assert due == _central(2026, 11, 30, 11, 0)  # 1 h Wednesday, the Thanksgiving weekend, 3 h Monday
    assert CALENDAR.business_hours_between(wednesday_afternoon, due) == 4
    assert CALENDAR.add_business_hours(_central(2026, 12, 1, 6, 0), 9) == _central(2026, 12, 1, 17, 0)  # from opening
    assert CALENDAR.business_hours_between(_central(2026, 12, 1, 12, 0), _central(2026, 12, 3, 10, 0)) == 16


def test_the_office_date_is_the_date_in_its_time_zone():
    assert CALENDAR.day_of(datetime(2026, 12, 5, 3, 0, tzinfo=UTC)) == date(2026, 12, 4)


@pytest.mark.parametrize(
    ("holidays", "problem"),
    [
        ({"closed_on": {"2026-11-28"}}, r"closed_on days on a weekend \(2026-11-28\)"),
        ({"open_on": {"2026-11-27"}}, "open_on lists days that are no public holiday of country 'US': 2026-11-27"),
        ({"subdivision": "XX"}, "the holidays library knows no country 'US' subdivision 'XX'"),
    ],
)
def test_a_calendar_that_cannot_mean_what_it_says_is_refused(holidays, problem):
    with pytest.raises(ValidationError, match=problem):
        _calendar(**holidays)


class _SlaPolicy(BaseModel):
    business_calendar: CalendarReference


def test_an_sla_policy_holds_the_calendar_it_names_and_refuses_another():
    policy = _SlaPolicy.model_validate(
        {"business_calendar": "business-calendar/2"}, context={CALENDAR_CONTEXT: CALENDAR}
    )
    assert policy.business_calendar is CALENDAR
    with pytest.raises(ValidationError, match="names 'business-calendar/1', but the business calendar is"):
        _SlaPolicy.model_validate({"business_calendar": "business-calendar/1"}, context={CALENDAR_CONTEXT: CALENDAR})
