"""What commission decides by: the commission plan (with effective dates) and the sales roster.

Both are data files, versioned by name and loaded once; a malformed file stops the service at start
with the file, the line or field, and the reason.
"""

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk_shared.csv_rows import UnreadableCsv
from orderdesk_shared.events.commission import RosterRep
from orderdesk_shared.events.order import OrderType
from orderdesk_shared.field_problems import described, field_problems
from orderdesk_shared.roster import read_roster

SERVICE_DIRECTORY = Path(__file__).resolve().parents[3]
DEFAULT_PLAN = SERVICE_DIRECTORY / "policies" / "plan.v1.toml"
REFERENCE_DIRECTORY = SERVICE_DIRECTORY / "reference"


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

    @classmethod
    def load(cls, *, plan_path: Path = DEFAULT_PLAN, roster_directory: Path = REFERENCE_DIRECTORY) -> "Rules":
        return cls(plans=load_plan(plan_path), roster=load_roster(roster_directory))


def load_plan(path: Path) -> PlanBook:
    try:
        with path.open("rb") as file:
            return PlanBook.model_validate(tomllib.load(file))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RulesError(f"{path.name}: {error}") from error
    except ValidationError as error:
        raise RulesError(f"{path.name}: {described(field_problems(error, quoting=True))}") from error


def load_roster(directory: Path) -> Roster:
    """The highest version of `roster.vN.csv` in `directory`, every row and manager checked."""
    versions = {
        int(m[1]): p for p in directory.glob("roster.v*.csv") if (m := re.fullmatch(r"roster\.v(\d+)\.csv", p.name))
    }
    if not versions:
        raise RulesError(f"no roster.vN.csv in {directory.name}/")
    version = max(versions)
    path = versions[version]
    try:
        reps, problems = read_roster(path.read_text(encoding="utf-8"))
    except UnreadableCsv as error:
        raise RulesError(f"{path.name} {error}") from error
    if problems:
        raise RulesError(f"{path.name} {described(problems)}")
    return Roster(version=f"v{version}", reps=reps)


class RulesSettings(BaseSettings):
    """Where the rules are: COMMISSION_PLAN and COMMISSION_REFERENCE (default: the shipped files)."""

    model_config = SettingsConfigDict(env_prefix="COMMISSION_", extra="ignore")

    plan: Path = DEFAULT_PLAN
    reference: Path = REFERENCE_DIRECTORY


@cache
def commission_rules() -> Rules:
    """The rules commission runs with, loaded once; the app loads them at start so a bad file stops it there."""
    settings = RulesSettings()
    return Rules.load(plan_path=settings.plan, roster_directory=settings.reference)
