"""The approval matrix and capital policy, held as data (policies/approval_matrix.v1.toml, read by rules_in_force)."""

from decimal import Decimal
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderdesk_shared.auth import Role
from orderdesk_shared.calendar import CalendarReference

Percent = Annotated[Decimal, Field(ge=0, le=100)]
Months = Annotated[Decimal, Field(gt=0)]
Amount = Annotated[Decimal, Field(gt=0)]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiscountTier(_Rule):
    """Discounts above `above_percent`, up to and including `up_to_percent`, need `role`."""

    above_percent: Percent
    up_to_percent: Percent | None = None
    role: Role


def check_discount_tiers(tiers: tuple[DiscountTier, ...]) -> None:
    """Tiers follow each other without a gap, each ends after it starts, and the last has no top."""
    for lower, upper in pairwise(tiers):
        if lower.up_to_percent is None or lower.up_to_percent != upper.above_percent:
            raise ValueError(f"discount tier for {upper.role} must start where the one for {lower.role} ends")
    for tier in tiers:
        if tier.up_to_percent is not None and tier.up_to_percent <= tier.above_percent:
            raise ValueError(f"discount tier for {tier.role} ends before it starts")
    if tiers[-1].up_to_percent is not None:
        raise ValueError("the last discount tier must have no top (up_to_percent)")


class RoleRule(_Rule):
    role: Role


class TotalContractValueRule(_Rule):
    at_least: Amount
    role: Role


class CapitalRules(_Rule):
    contribution_margin_percent: Percent
    npv_annual_rate_percent: Percent
    no_approval_payback_up_to_months: Months
    finance_payback_up_to_months: Months
    finance_roles: tuple[Role, ...]
    escalation_roles: tuple[Role, ...]
    escalation_net_capex_above: Amount
    reject_payback_above_months: Months

    @model_validator(mode="after")
    def _paybacks_ascend(self) -> "CapitalRules":
        if not (
            self.no_approval_payback_up_to_months < self.finance_payback_up_to_months < self.reject_payback_above_months
        ):
            raise ValueError("payback limits must ascend: no approval < finance < rejected")
        return self


class ApprovalPolicy(_Rule):
    version: str
    business_calendar: CalendarReference
    sla_business_days: dict[Role, Annotated[int, Field(ge=1)]]
    discount_tiers: Annotated[tuple[DiscountTier, ...], Field(min_length=1)]
    icb: RoleRule
    total_contract_value: TotalContractValueRule
    non_standard_terms: RoleRule
    capital: CapitalRules

    @model_validator(mode="after")
    def _tiers_contiguous_and_roles_timed(self) -> "ApprovalPolicy":
        check_discount_tiers(self.discount_tiers)
        roles = {
            *(tier.role for tier in self.discount_tiers),
            self.icb.role,
            self.total_contract_value.role,
            self.non_standard_terms.role,
            *self.capital.finance_roles,
            *self.capital.escalation_roles,
        }
        if untimed := sorted(roles - set(self.sla_business_days)):
            raise ValueError(f"no SLA in sla_business_days for {', '.join(untimed)}")
        return self
