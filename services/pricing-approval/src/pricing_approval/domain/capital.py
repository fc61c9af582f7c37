"""The capital view of an order that needs construction (DOMAIN.md, "Capital policy").

NPV convention: the net capex is spent at month 0 and the monthly contribution arrives at the end of
each month of the term, discounted at a twelfth of the yearly rate per month (nominal rate,
compounded monthly).

The sites that drive the capital (a near-net build, or an off-net vendor's cost) each get a line with the same
formulas over the order's term, on the site's own build and contribution, before CIAC (the order's, not a site's).
So the order's construction estimate is the sum of its sites'; its monthly contribution is theirs plus the on-net
items'; and, while the CIAC leaves some capex, its NPV is the sum of the sites' NPVs, plus the on-net items'
discounted contribution, plus the CIAC.
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
class SiteCapitalLine:
    """One site driving the capital: its build or vendor cost, its items' net MRC and contribution, payback, NPV."""

    item_id: str
    location_id: str | None
    access_medium: str | None
    distance_to_fiber_ft: int | None
    construction_estimate: Decimal
    vendor_mrc_cost: Decimal | None
    net_mrc: Decimal
    mrc_share_percent: Decimal
    monthly_contribution: Decimal
    payback_months: Decimal | None  # None: the site's contribution never pays its build back
    npv: Decimal


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
    sites: tuple[SiteCapitalLine, ...]


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
    roi = None
    if net_capex:
        roi = round_half_up((contribution * term - net_capex) / net_capex * HUNDRED, ROI_STEP)
    return CapitalView(
        construction_estimate=estimate,
        ciac=ciac,
        net_capex=net_capex,
        monthly_contribution=contribution,
        term_months=term,
        payback_months=_payback(net_capex, contribution),
        simple_roi_percent=roi,
        npv=_npv(net_capex, contribution, term=term, rules=rules),
        sites=tuple(
            _site_line(site, quote=quote, term=term, rules=rules)
            for site in sites
            if site.construction_estimate or site.reach is NetworkReach.OFF_NET
        ),
    )


def _site_line(site: SiteQualification, *, quote: Quote, term: int, rules: CapitalRules) -> SiteCapitalLine:
    net_mrc = sum((line.net_mrc for line in quote.lines if line.item_id == site.item_id), Decimal("0.00"))
    reach = {site.item_id: site}
    contribution = to_cents(_contribution(site.item_id, net_mrc, reach, rules)) if net_mrc else Decimal("0.00")
    build = site.construction_estimate or Decimal("0.00")
    share = round_half_up(net_mrc / quote.mrc_total * HUNDRED, ROI_STEP) if quote.mrc_total else Decimal("0.0")
    return SiteCapitalLine(
        item_id=site.item_id,
        location_id=site.location_id,
        access_medium=site.access_medium,
        distance_to_fiber_ft=site.distance_to_fiber_ft,
        construction_estimate=build,
        vendor_mrc_cost=site.vendor_mrc_cost,
        net_mrc=net_mrc,
        mrc_share_percent=share,
        monthly_contribution=contribution,
        payback_months=_payback(build, contribution),
        npv=_npv(build, contribution, term=term, rules=rules),
    )


def _payback(capex: Decimal, contribution: Decimal) -> Decimal | None:
    """Months of contribution that pay the capex back; None when the contribution never does."""
    return round_half_up(capex / contribution, PAYBACK_STEP) if contribution > 0 else None


def _npv(capex: Decimal, contribution: Decimal, *, term: int, rules: CapitalRules) -> Decimal:
    return to_cents(contribution * _annuity_factor(rules.npv_annual_rate_percent, term) - capex)


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
