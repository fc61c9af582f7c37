"""Stage SLAs in business hours, jeopardy levels and the escalation ladder (policies/stage_slas.v1.toml)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderdesk_shared.calendar import CalendarReference
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.order import OrderState, Stage

Level = Literal["medium", "high", "critical"]
# How the watchdog names each rung of the escalation ladder it claims in jeopardy_raised: "escalated to <rung>".
ESCALATED_TO = "escalated to "


class Escalation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(gt=0)
    to: str


class StageSlaPolicy(BaseModel):
    """How long each step may take, and what happens as its time runs out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    business_calendar: CalendarReference
    stages: dict[str, float]
    holds: dict[str, float]
    jeopardy: dict[Level, float]
    escalation: tuple[Escalation, ...]

    @model_validator(mode="after")
    def _levels_rise(self) -> "StageSlaPolicy":
        shares = [self.jeopardy.get(level) for level in ("medium", "high", "critical")]
        if None in shares or shares != sorted(shares):
            raise ValueError("jeopardy needs medium, high and critical shares, rising in that order")
        return self

    def sla_hours(
        self,
        *,
        stage: str,
        state: str,
        hold_reasons: list[str],
        started: datetime,
        approvals_due_at: datetime | None = None,
    ) -> float | None:
        """The business hours the order's current step may take, or None when no clock runs.

        A priced order waiting for approvals has until they are due, as pricing-approval set it from its approval
        matrix (the one place approvers' SLAs are written): the business hours from `started` to then.
        """
        if state == OrderState.HELD:
            return max((self.holds[reason] for reason in hold_reasons if reason in self.holds), default=None)
        if stage == "priced" and approvals_due_at and state in (OrderState.IN_PROGRESS, OrderState.PENDING):
            return self.business_calendar.business_hours_between(started, approvals_due_at)
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
    used = policy.business_calendar.business_hours_between(started, now) / sla_hours
    level = None
    for name, share in sorted(policy.jeopardy.items(), key=lambda item: item[1]):
        if used >= share:
            level = name
    return Clock(
        share_used=used,
        jeopardy=level,
        escalate_to=tuple(rung.to for rung in policy.escalation if used >= rung.share),
    )


def order_sla_hours(policy: StageSlaPolicy, order: Mapping[str, Any]) -> float | None:
    """The business hours an order row's current step may take, or None when no clock runs."""
    return policy.sla_hours(
        stage=order["stage"],
        state=order["state"],
        hold_reasons=[finding.get("reasonCode", "") for finding in order["findings"]],
        started=order["stage_entered_at"],
        approvals_due_at=order["awaiting_due_at"],
    )


def sla_due_at(policy: StageSlaPolicy, order: Mapping[str, Any]) -> datetime | None:
    """When an order row's current step is due, or None when no clock runs."""
    hours = order_sla_hours(policy, order)
    return None if hours is None else policy.business_calendar.add_business_hours(order["stage_entered_at"], hours)


@dataclass(frozen=True)
class Alarm:
    """A jeopardy level or escalation rung an order's step reached, named as jeopardy_raised keeps it, with the
    fallout that tells it."""

    level: str
    fallout: OrderFallout


@dataclass(frozen=True)
class RaisedLevel:
    """A jeopardy level or escalation rung of an order version's stage: each is raised once."""

    order_id: str
    order_version: int
    stage: str
    level: str

    @classmethod
    def of(cls, order: Mapping[str, Any], alarm: Alarm) -> "RaisedLevel":
        return cls(order["id"], order["order_version"], order["stage"], alarm.level)


def alarms(policy: StageSlaPolicy, order: Mapping[str, Any], *, now: datetime) -> list[Alarm]:
    """The jeopardy level and every escalation rung an open order's step has reached by `now` (none when no clock
    runs); the watchdog raises each once per order version and stage."""
    hours = order_sla_hours(policy, order)
    if hours is None:
        return []
    clock = standing(policy, started=order["stage_entered_at"], sla_hours=hours, now=now)
    due = order["sla_due_at"].astimezone(policy.business_calendar.zone).isoformat(timespec="minutes")
    used = f"{clock.share_used:.0%} of the {order['stage']} SLA ({hours:g} business hours, due {due}) is used"

    def fallout(kind: FalloutKind, finding: Finding) -> OrderFallout:
        return OrderFallout(
            order_id=order["id"],
            order_version=order["order_version"],
            stage=Stage(order["stage"]),
            kind=kind,
            findings=[finding],
        )

    escalations = [
        Alarm(
            f"{ESCALATED_TO}{rung}",
            fallout(
                FalloutKind.ESCALATED,
                Finding(reason_code="TIMEOUT", field_path="sla.escalation", message=f"escalated to the {rung}: {used}"),
            ),
        )
        for rung in clock.escalate_to
    ]
    if clock.jeopardy is None:
        return escalations
    finding = Finding(
        reason_code="TIMEOUT",
        field_path=f"sla.{clock.jeopardy}",
        message=used,
        fix="Move the order on, or escalate what blocks it.",
    )
    return [Alarm(clock.jeopardy, fallout(FalloutKind.JEOPARDY, finding)), *escalations]
