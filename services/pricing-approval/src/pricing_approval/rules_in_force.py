"""The rules pricing-approval runs with: the catalogue, approval matrix and proposal policy its settings name, and the
business calendar approval SLAs are counted in; loaded by its bootstrap once at start, so a bad file stops the
service there with the reason."""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from orderdesk_shared.calendar import CALENDAR_CONTEXT, BusinessCalendar, CalendarSettings, load_business_calendar
from orderdesk_shared.product_catalogue import Catalogue, load_catalogue
from pricing_approval.domain.markets import MarketPolicies
from pricing_approval.domain.policy import ApprovalPolicy
from pricing_approval.domain.proposals import ProposalPolicy
from pricing_approval.settings import Settings

T = TypeVar("T")


class RulesError(ValueError):
    """A policy file is missing or malformed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class PricingRules:
    catalogue: Catalogue
    policy: ApprovalPolicy
    proposals: ProposalPolicy
    markets: MarketPolicies

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar approval SLAs are counted in, and the office's dates and time zone."""
        return self.policy.business_calendar


def load_rules(settings: Settings) -> PricingRules:
    calendar = _read(load_business_calendar, CalendarSettings().business_calendar)
    catalogue = load_catalogue(settings.catalogue_dir)
    policy = _read(lambda path: _approval_policy(path, calendar), settings.approval_matrix)
    return PricingRules(
        catalogue=catalogue,
        policy=policy,
        proposals=_read(_proposal_policy, settings.proposal_policy),
        markets=_read(lambda path: _market_policies(path, catalogue, policy), settings.market_policies),
    )


def _approval_policy(path: Path, calendar: BusinessCalendar) -> ApprovalPolicy:
    """The approval matrix, its SLAs counted in `calendar`."""
    with path.open("rb") as file:
        return ApprovalPolicy.model_validate(
            tomllib.load(file, parse_float=Decimal), context={CALENDAR_CONTEXT: calendar}
        )


def _proposal_policy(path: Path) -> ProposalPolicy:
    with path.open("rb") as file:
        return ProposalPolicy.model_validate(tomllib.load(file))


def _market_policies(path: Path, catalogue: Catalogue, policy: ApprovalPolicy) -> MarketPolicies:
    """The market policies, each naming only offerings the catalogue has, and approvers the matrix ranks."""
    with path.open("rb") as file:
        markets = MarketPolicies.model_validate(tomllib.load(file, parse_float=Decimal))
    if unknown := sorted(markets.offerings_named() - set(catalogue.offerings)):
        raise RulesError(f"{path.name}: offerings not in catalogue {catalogue.version}: {', '.join(unknown)}")
    ranked = {tier.role for tier in policy.discount_tiers}
    for rule in markets.discount_thresholds:
        if unranked := sorted({tier.role for tier in rule.discount_tiers} - ranked):
            raise RulesError(
                f"{path.name}: {rule.policy} names {', '.join(unranked)}, who approve no discount tier of"
                f" {policy.version}; a market may move the thresholds, not add approvers"
            )
    return markets


def _read(load: Callable[[Path], T], path: Path) -> T:
    try:
        return load(path)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise RulesError(f"{path.name}: {error}") from error
