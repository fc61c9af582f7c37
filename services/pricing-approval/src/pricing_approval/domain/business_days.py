"""Approval due times in business days (policies/business_calendar.v1.toml)."""

import tomllib
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

DEFAULT_CALENDAR = Path(__file__).resolve().parents[3] / "policies" / "business_calendar.v1.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class BusinessCalendar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    timezone: str
    weekend: frozenset[Weekday]
    holidays: frozenset[date]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day_of(self, moment: datetime) -> date:
        """The office's date at that moment."""
        return moment.astimezone(self.zone).date()

    def is_business_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] not in self.weekend and day not in self.holidays

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name

    @model_validator(mode="after")
    def _holidays_on_weekdays(self) -> "BusinessCalendar":
        if len(self.weekend) == len(WEEKDAYS):
            raise ValueError("every day is a weekend day")
        if on_weekend := sorted(day for day in self.holidays if WEEKDAYS[day.weekday()] in self.weekend):
            listed = ", ".join(str(day) for day in on_weekend)
            raise ValueError(f"holidays on a weekend ({listed}): list the weekday each is observed on instead")
        return self


def load_business_calendar(path: Path = DEFAULT_CALENDAR) -> BusinessCalendar:
    """Read and check the calendar file; a bad file stops pricing-approval at start with the reason."""
    with path.open("rb") as file:
        return BusinessCalendar.model_validate(tomllib.load(file))


def due_at(submitted: datetime, *, business_days: int, calendar: BusinessCalendar) -> datetime:
    """The same local time of day `business_days` business days after submission.

    A submission on a weekend or holiday starts its clock at midnight opening the next business day,
    so a Saturday submission is due when a Monday-midnight one would be.
    """
    if submitted.tzinfo is None:
        raise ValueError("the submission time needs a time zone")
    local = submitted.astimezone(calendar.zone)
    day, time_of_day = local.date(), local.time().replace(tzinfo=None)
    if not calendar.is_business_day(day):
        day, time_of_day = _next_business_day(day, calendar), time.min
    for _ in range(business_days):
        day = _next_business_day(day, calendar)
    return datetime.combine(day, time_of_day, tzinfo=calendar.zone)


def _next_business_day(day: date, calendar: BusinessCalendar) -> date:
    day += timedelta(days=1)
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    return day
