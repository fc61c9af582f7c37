"""The catalogue, approval matrix, business calendar and proposal policy pricing-approval runs with, loaded once at
start."""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk_shared.calendar import BusinessCalendar, CalendarSettings, load_business_calendar
from orderdesk_shared.product_catalogue import Catalogue, load_catalogue
from pricing_approval.domain.policy import DEFAULT_POLICY, ApprovalPolicy, load_approval_policy
from pricing_approval.domain.proposals import DEFAULT_PROPOSAL_POLICY, ProposalPolicy, load_proposal_policy

T = TypeVar("T")
CATALOGUE_DIRECTORY = Path(__file__).resolve().parents[2] / "catalogue"


class RulesError(ValueError):
    """A policy file is missing or malformed; the message names the file and what is wrong."""


class RulesSettings(BaseSettings):
    """Where the rules are: PRICING_APPROVAL_CATALOGUE_DIR, _APPROVAL_MATRIX, _PROPOSAL_POLICY (default: shipped);
    the business calendar is every service's (orderdesk_shared.calendar.CalendarSettings)."""

    model_config = SettingsConfigDict(env_prefix="PRICING_APPROVAL_", extra="ignore")

    catalogue_dir: Path = CATALOGUE_DIRECTORY
    approval_matrix: Path = DEFAULT_POLICY
    proposal_policy: Path = DEFAULT_PROPOSAL_POLICY


@dataclass(frozen=True)
class PricingRules:
    catalogue: Catalogue
    policy: ApprovalPolicy
    proposals: ProposalPolicy

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar approval SLAs are counted in, and the office's dates and time zone."""
        return self.policy.business_calendar

    @classmethod
    def load(cls, settings: RulesSettings) -> "PricingRules":
        calendar = _read(load_business_calendar, CalendarSettings().business_calendar)
        return cls(
            catalogue=load_catalogue(settings.catalogue_dir),
            policy=_read(lambda path: load_approval_policy(path, calendar), settings.approval_matrix),
            proposals=_read(load_proposal_policy, settings.proposal_policy),
        )


@cache
def pricing_rules() -> PricingRules:
    """The rules, loaded once; the app loads them at start so a bad file stops pricing-approval there."""
    return PricingRules.load(RulesSettings())


def _read(load: Callable[[Path], T], path: Path) -> T:
    try:
        return load(path)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise RulesError(f"{path.name}: {error}") from error
