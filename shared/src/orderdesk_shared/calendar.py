"""The one business calendar every SLA is counted in (policies/business_calendar.v2.toml).

An office time zone, its weekend, its office hours, the public holidays of a country (and subdivision)
as the `holidays` library computes them year by year, and the policy's own closures and openings.
Each SLA policy names the calendar version it is counted in (`CalendarReference`), so a new calendar
is taken on deliberately: a policy naming another version stops its service at start.
"""

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CALENDAR = Path(__file__).resolve().parents[2] / "policies" / "business_calendar.v2.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# The validation context key under which a service hands its SLA policy the calendar it loaded.
CALENDAR_CONTEXT = "business_calendar"


class Holidays(BaseModel):
    """The days the office is closed besides its weekend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    subdivision: str | None = None
    closed_on: frozenset[date] = frozenset()
    open_on: frozenset[date] = frozenset()

    @cached_property
    def public(self) -> holidays.HolidayBase:
        """The country's public holidays, each year computed when first asked (a weekend one observed on a weekday)."""
        return holidays.country_holidays(self.country, subdiv=self.subdivision)

    @model_validator(mode="after")
    def _known_place_and_open_on_its_holidays(self) -> "Holidays":
        try:
            public = self.public
        except NotImplementedError as error:
            raise ValueError(f"the holidays library knows no {self._place()}") from error
        if not_holidays := sorted(day for day in self.open_on if day not in public):
            listed = ", ".join(str(day) for day in not_holidays)
            raise ValueError(f"open_on lists days that are no public holiday of {self._place()}: {listed}")
        return self

    def _place(self) -> str:
        return f"country {self.country!r}" + (f" subdivision {self.subdivision!r}" if self.subdivision else "")

    def closes(self, day: date) -> bool:
        return day in self.closed_on or (day in self.public and day not in self.open_on)


class BusinessCalendar(BaseModel):
    """Business days and office hours in one time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    timezone: str
    weekend: frozenset[Weekday]
    opens: time
    closes: time
    holidays: Holidays

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name

    @model_validator(mode="after")
    def _open_some_hours_some_days(self) -> "BusinessCalendar":
        if self.opens >= self.closes:
            raise ValueError("the office must open before it closes")
        if len(self.weekend) == len(WEEKDAYS):
            raise ValueError("every day is a weekend day")
        if on_weekend := sorted(day for day in self.holidays.closed_on if not self._is_weekday(day)):
            listed = ", ".join(str(day) for day in on_weekend)
            raise ValueError(f"closed_on days on a weekend ({listed}): list the weekday each is observed on instead")
        return self

    def day_of(self, moment: datetime) -> date:
        """The office's date at that moment."""
        return moment.astimezone(self.zone).date()

    def is_business_day(self, day: date) -> bool:
        return self._is_weekday(day) and not self.holidays.closes(day)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day `days` business days after `start`.

        A start on a weekend or holiday counts from midnight opening the next business day, so a Saturday
        start is due when a Monday-midnight one would be.
        """
        if start.tzinfo is None:
            raise ValueError("the start needs a time zone")
        local = start.astimezone(self.zone)
        day, time_of_day = local.date(), local.time().replace(tzinfo=None)
        if not self.is_business_day(day):
            day, time_of_day = self._next_business_day(day), time.min
        for _ in range(days):
            day = self._next_business_day(day)
        return datetime.combine(day, time_of_day, tzinfo=self.zone)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed from `start` to `end`."""
        if end <= start:
            return 0.0
        total = timedelta()
        day, last = self.day_of(start), self.day_of(end)
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._office_hours(day)
                total += max(timedelta(), min(closes, end) - max(opens, start))
            day += timedelta(days=1)
        return total / timedelta(hours=1)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` office hours after `start` (a start outside them counts from the next opening)."""
        left = timedelta(hours=hours)
        day = self.day_of(start)
        while True:
            if self.is_business_day(day):
                opens, closes = self._office_hours(day)
                begin = max(opens, start)
                if begin < closes:
                    if begin + left <= closes:
                        return (begin + left).astimezone(self.zone)
                    left -= closes - begin
            day += timedelta(days=1)

    def _is_weekday(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] not in self.weekend

    def _next_business_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def _office_hours(self, day: date) -> tuple[datetime, datetime]:
        # In UTC, so arithmetic across a change of daylight saving time counts the hours that really pass.
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone).astimezone(UTC),
            datetime.combine(day, self.closes, tzinfo=self.zone).astimezone(UTC),
        )


def _calendar_named(reference: object, info: ValidationInfo) -> object:
    if not isinstance(reference, str):
        return reference
    calendar = (info.context or {}).get(CALENDAR_CONTEXT)
    if calendar is None:
        raise ValueError(f"no business calendar was loaded to count {reference!r} in")
    if reference != calendar.version:
        raise ValueError(f"names {reference!r}, but the business calendar is {calendar.version!r}")
    return calendar


# An SLA policy's field naming the calendar version it is counted in; validated with the loaded calendar in the
# context (`{CALENDAR_CONTEXT: calendar}`), it holds that calendar.
CalendarReference = Annotated[BusinessCalendar, BeforeValidator(_calendar_named)]


class CalendarSettings(BaseSettings):
    """Where the business calendar is: ORDERDESK_BUSINESS_CALENDAR (default: the shipped file), the same for every
    service."""

    model_config = SettingsConfigDict(env_prefix="ORDERDESK_", extra="ignore")

    business_calendar: Path = DEFAULT_CALENDAR


def load_business_calendar(path: Path | None = None) -> BusinessCalendar:
    """Read and check the calendar file (by default where CalendarSettings says); a bad one stops a service at start."""
    with (path or CalendarSettings().business_calendar).open("rb") as file:
        return BusinessCalendar.model_validate(tomllib.load(file))
