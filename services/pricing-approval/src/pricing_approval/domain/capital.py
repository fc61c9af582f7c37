"""The capital view of an order that needs construction (DOMAIN.md, "Capital policy").

NPV convention: the net capex is spent at month 0 and the monthly contribution arrives at the end of
each month of the term, discounted at a twelfth of the yearly rate per month (nominal rate,
compounded monthly).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from orderdesk_shared.events.serviceability import NetworkReach, SiteQualification
from orderdesk_shared.money import CENT, HUNDRED, round_half_up, to_cents
from pricing_approval.domain.policy import CapitalRules
from pricing_approval.domain.pricing import PricingError, Quote

PAYBACK_STEP = CENT
ROI_STEP = Decimal("0.1")


@dataclass(frozen=True)
class CapitalView:
    construction_estimate: Decimal
    ciac: Decimal
    net_capex: Decimal
    monthly_contribution: Decimal
    term_months: int
    payback_months: Decimal | None  # None: the contribution never pays the capex back
    simple_roi_percent: Decimal | None  # None: nothing is invested
    npv: Decimal


def capital_view(
    *, quote: Quote, sites: Sequence[SiteQualification], ciac: Decimal, rules: CapitalRules
) -> CapitalView | None:
    """Payback, ROI and NPV of the construction the order's sites need; None when none needs any.

    Net capex = Σ construction estimates − the customer's contribution (CIAC), never below zero.
    Monthly contribution = Σ net MRC × the contribution margin, but MRC − vendor cost for an off-net
    item. The term is the shortest item term: the months of revenue the contract commits to.
    """
    estimate = sum((site.construction_estimate for site in sites if site.construction_estimate), Decimal("0.00"))
    if not estimate:
        return None
    net_capex = max(estimate - ciac, Decimal("0.00"))
    reach = {site.item_id: site for site in sites}
    contribution = to_cents(
        sum((_contribution(line.item_id, line.net_mrc, reach, rules) for line in quote.lines), Decimal(0))
    )
    term = min((line.term_months for line in quote.lines), default=0)
    payback = None
    if contribution > 0:
        payback = round_half_up(net_capex / contribution, PAYBACK_STEP)
    roi = None
    if net_capex:
        roi = round_half_up((contribution * term - net_capex) / net_capex * HUNDRED, ROI_STEP)
    return CapitalView(
        construction_estimate=estimate,
        ciac=ciac,
        net_capex=net_capex,
        monthly_contribution=contribution,
        term_months=term,
        payback_months=payback,
        simple_roi_percent=roi,
        npv=to_cents(contribution * _annuity_factor(rules.npv_annual_rate_percent, term) - net_capex),
    )


def _contribution(item_id: str, net_mrc: Decimal, sites: dict[str, SiteQualification], rules: CapitalRules) -> Decimal:
    site = sites.get(item_id)
    if site is None or site.reach is not NetworkReach.OFF_NET:
        return net_mrc * rules.contribution_margin_percent / HUNDRED
    if site.vendor_mrc_cost is None:
        raise PricingError(f"item {item_id}: an off-net site without the vendor's cost")
    return net_mrc - site.vendor_mrc_cost


def _annuity_factor(annual_rate_percent: Decimal, months: int) -> Decimal:
    """Today's value of 1 paid at the end of each of `months` months."""
    monthly_rate = annual_rate_percent / HUNDRED / 12
    if not monthly_rate:
        return Decimal(months)
    return (1 - (1 + monthly_rate) ** -months) / monthly_rate
