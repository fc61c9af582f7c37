"""Stage SLAs in business hours, jeopardy levels and the escalation ladder (policies/stage_slas.v1.toml)."""

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orderdesk_shared.events.order import OrderState

DEFAULT_POLICY = Path(__file__).resolve().parents[3] / "policies" / "stage_slas.v1.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Level = Literal["medium", "high", "critical"]


class BusinessCalendar(BaseModel):
    """Office hours on business days, in one time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str
    opens: time
    closes: time
    weekend: frozenset[Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]]
    holidays: frozenset[date]

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
        return self

    def _is_business_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] not in self.weekend and day not in self.holidays

    def _open_hours(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed from `start` to `end`."""
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            if self._is_business_day(day):
                opens, closes = self._open_hours(day)
                total += max(timedelta(), min(closes, end) - max(opens, start))
            day += timedelta(days=1)
        return total / timedelta(hours=1)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` office hours after `start` (a start outside them counts from the next opening)."""
        left = timedelta(hours=hours)
        day = start.astimezone(self.zone).date()
        while True:
            if self._is_business_day(day):
                opens, closes = self._open_hours(day)
                begin = max(opens, start)
                if begin < closes:
                    if begin + left <= closes:
                        return begin + left
                    left -= closes - begin
            day += timedelta(days=1)


class Escalation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(gt=0)
    to: str


class StageSlaPolicy(BaseModel):
    """How long each step may take, and what happens as its time runs out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    calendar: BusinessCalendar
    stages: dict[str, float]
    approvals: dict[str, float]
    holds: dict[str, float]
    jeopardy: dict[Level, float]
    escalation: tuple[Escalation, ...]

    @model_validator(mode="after")
    def _levels_rise(self) -> "StageSlaPolicy":
        shares = [self.jeopardy.get(level) for level in ("medium", "high", "critical")]
        if None in shares or shares != sorted(shares):
            raise ValueError("jeopardy needs medium, high and critical shares, rising in that order")
        return self

    def sla_hours(self, *, stage: str, state: str, awaiting: str | None, hold_reasons: list[str]) -> float | None:
        """The business hours the order's current step may take, or None when no clock runs."""
        if state == OrderState.HELD:
            return max((self.holds[reason] for reason in hold_reasons if reason in self.holds), default=None)
        roles = [role.strip() for role in (awaiting or "").split(",")]
        approvals = [self.approvals[role] for role in roles if role in self.approvals]
        if stage == "priced" and approvals and state in (OrderState.IN_PROGRESS, OrderState.PENDING):
            return max(approvals)
        if state not in (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS):
            return None
        return self.stages.get(stage)

    def top_rung(self, reached: Iterable[str]) -> str | None:
        """The highest of the escalation ladder's rungs reached (one since taken off the ladder ranks lowest)."""
        ladder = [rung.to for rung in self.escalation]
        return max(reached, key=lambda name: ladder.index(name) if name in ladder else -1, default=None)


@dataclass(frozen=True)
class Clock:
    """Where an order's step stands against its SLA at a moment."""

    share_used: float
    jeopardy: Level | None
    escalate_to: tuple[str, ...]


def standing(policy: StageSlaPolicy, *, started: datetime, sla_hours: float, now: datetime) -> Clock:
    """The share of the SLA used by `now`, the jeopardy level it means and every rung of the ladder reached."""
    used = policy.calendar.business_hours_between(started, now) / sla_hours
    level = None
    for name, share in sorted(policy.jeopardy.items(), key=lambda item: item[1]):
        if used >= share:
            level = name
    return Clock(
        share_used=used,
        jeopardy=level,
        escalate_to=tuple(rung.to for rung in policy.escalation if used >= rung.share),
    )


def load_stage_slas(path: Path = DEFAULT_POLICY) -> StageSlaPolicy:
    """Read and check the policy; a bad file stops the console at start with the reason."""
    with path.open("rb") as file:
        return StageSlaPolicy.model_validate(tomllib.load(file))
