"""What commission decides by: the commission plan (with effective dates) and the sales roster.

Both are data files, versioned by name, that rules_in_force reads once at start.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orderdesk_shared.events.commission import RosterRep
from orderdesk_shared.events.order import OrderType


class RulesError(ValueError):
    """The plan or the roster is missing or malformed; the message names the file and the field."""


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Multipliers(_Rule):
    new_logo: Decimal = Field(ge=0)
    existing_account: Decimal = Field(ge=0)
    renewal_uplift: Decimal = Field(ge=0)

    def of(self, order_type: OrderType) -> tuple[Decimal, str]:
        """The multiplier of a sale of this type, and its name."""
        if order_type is OrderType.NEW:
            return self.new_logo, "new logo"
        if order_type is OrderType.RENEWAL:
            return self.renewal_uplift, "renewal uplift"
        return self.existing_account, "existing account"


class Plan(_Rule):
    effective_from: date
    commissionable_order_types: frozenset[OrderType]
    cap_per_order: Decimal = Field(gt=0)
    duplicate_window_days: int = Field(ge=0)
    clawback_window_days: int = Field(gt=0)
    dispute_window_days: int = Field(ge=0)
    multipliers: Multipliers

    @field_validator("cap_per_order", mode="before")
    @classmethod
    def _written_exactly(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError('write the amount as a string (e.g. "25000.00"), so it stays exact')
        return value

    @field_validator("multipliers", mode="before")
    @classmethod
    def _multipliers_written_exactly(cls, value: Any) -> Any:
        if isinstance(value, dict) and (floats := [name for name, v in value.items() if isinstance(v, float)]):
            raise ValueError(f'write {", ".join(floats)} as a string (e.g. "2.0"), so it stays exact')
        return value


class PlanBook(_Rule):
    version: str
    plans: Annotated[tuple[Plan, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _dates_ascend(self) -> "PlanBook":
        dates = [plan.effective_from for plan in self.plans]
        if dates != sorted(set(dates)):
            raise ValueError("plans must be listed by effective_from, each date once")
        return self

    def in_effect(self, day: date) -> Plan:
        """The plan that applies on `day`: the latest one effective on or before it."""
        applicable = [plan for plan in self.plans if plan.effective_from <= day]
        if not applicable:
            raise RulesError(
                f"no commission plan is in effect on {day} (the first starts {self.plans[0].effective_from})"
            )
        return applicable[-1]


@dataclass(frozen=True)
class Roster:
    version: str
    reps: dict[str, RosterRep]


@dataclass(frozen=True)
class Rules:
    plans: PlanBook
    roster: Roster
