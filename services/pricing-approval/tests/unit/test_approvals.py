from decimal import Decimal

import pytest

from orderdesk_shared.events.order import ItemPrice, OrderItem
from pricing_approval.domain.approvals import (
    Trigger,
    approvals_to_reask,
    required_approvals,
)
from pricing_approval.domain.capital import capital_view

from .conftest import RULES, internet, near_net, quote

LEGAL_TERMS = "Customer may terminate for convenience after 12 months without an early-termination fee."


def _decide(policy, priced, *, terms=None, capital=None, markets=RULES.markets, item_markets=None):
    """The approvals the matrix asks for the quote, its items' sites in Chicago unless told otherwise."""
    item_markets = item_markets or {line.item_id: "CHI" for line in priced.lines}
    return required_approvals(
        quote=priced,
        non_standard_terms=terms,
        capital=capital,
        policy=policy,
        markets=markets,
        item_markets=item_markets,
    )


def _roles(outcome) -> dict[str, int]:
    return {approval.role: approval.sla_business_days for approval in outcome.approvals}


@pytest.mark.parametrize(
    ("net_mrc", "discount", "approvers"),
    [
        ("1498.50", "10.00", {}),
        ("1498.33", "10.01", {"sales_manager": 1}),
        ("1332.00", "20.00", {"sales_manager": 1}),
        ("1331.83", "20.01", {"sales_director": 2}),
        ("1165.50", "30.00", {"sales_director": 2}),
        ("1165.33", "30.01", {"vp_sales": 3}),
    ],
)
def test_the_discount_decides_the_approver(catalogue, policy, net_mrc, discount, approvers):
    priced = quote(catalogue, internet(net_mrc=net_mrc))  # list $1,665.00
    assert priced.lines[0].discount_percent == Decimal(discount)
    assert _roles(_decide(policy, priced)) == approvers


def test_the_largest_item_discount_decides_and_the_reason_names_the_item(catalogue, policy):
    priced = quote(catalogue, internet("1", net_mrc="1581.75"), internet("2", net_mrc="1265.40"))  # 5% and 24%
    [approval] = _decide(policy, priced).approvals
    assert approval.explanation == "discount 24% on item 2 > 20% → sales_director"


@pytest.mark.parametrize(
    ("net_mrc", "discount", "chicago", "detroit", "detroit_above"),
    [
        ("1415.25", "15.00", "sales_manager", "sales_manager", "10"),
        ("1415.08", "15.01", "sales_manager", "sales_director", "15"),
        ("1332.00", "20.00", "sales_manager", "sales_director", "15"),
        ("1165.33", "30.01", "vp_sales", "vp_sales", "30"),
    ],
)
def test_a_market_policy_moves_the_discount_thresholds_and_the_reason_names_it(
    catalogue, policy, net_mrc, discount, chicago, detroit, detroit_above
):
    priced = quote(catalogue, internet(net_mrc=net_mrc))
    assert priced.lines[0].discount_percent == Decimal(discount)
    [in_chicago] = _decide(policy, priced, item_markets={"1": "CHI"}).approvals
    [in_detroit] = _decide(policy, priced, item_markets={"1": "DET"}).approvals
    assert (in_chicago.role, in_detroit.role) == (chicago, detroit)
    assert "market policy" not in in_chicago.explanation
    assert in_detroit.explanation == (
        f"discount {discount.rstrip('0').rstrip('.')}% on item 1"
        f" > {detroit_above}%"
        " (market policy DET-DISCOUNT-2026, Detroit: discounts above 15% go to a sales director while Detroit's"
        f" price book is under review) → {detroit}"
    )


def test_the_most_senior_approver_any_item_needs_decides_across_markets(catalogue, policy):
    # 16% off in Detroit needs a director; 19% off in Chicago only a manager.
    priced = quote(catalogue, internet("1", net_mrc="1398.60"), internet("2", net_mrc="1348.65"))
    [approval] = _decide(policy, priced, item_markets={"1": "DET", "2": "CHI"}).approvals
    assert approval.role == "sales_director"
    assert approval.explanation.startswith("discount 16% on item 1 > 15% (market policy DET-DISCOUNT-2026")


def _five_ethernet_circuits(net_mrc: str) -> list[OrderItem]:
    """Five 1 Gbps EPLs on 24 months, $2,000 NRC each: TCV = 24 × 5 × net MRC + $10,000."""
    return [
        OrderItem(
            id=item_id,
            product_offering_id="EPL",
            quantity=quantity,
            characteristics={"bandwidth_mbps": 1000},
            price=ItemPrice(mrc=Decimal(net_mrc)),
        )
        for item_id, quantity in (("1", 3), ("2", 2))
    ]


def test_a_total_contract_value_of_exactly_250_000_needs_finance(catalogue, policy):
    priced = quote(catalogue, *_five_ethernet_circuits("2000.00"), term=24)
    assert priced.total_contract_value == Decimal("250000.00")
    [approval] = _decide(policy, priced).approvals
    assert (approval.role, approval.sla_business_days) == ("finance", 2)
    assert approval.explanation == "total contract value $250,000.00 ≥ $250,000.00 → finance"


def test_a_total_contract_value_a_cent_a_month_lower_needs_no_one(catalogue, policy):
    priced = quote(catalogue, *_five_ethernet_circuits("1999.99"), term=24)
    assert priced.total_contract_value == Decimal("249998.80")
    assert _decide(policy, priced).approvals == ()


def test_non_standard_legal_terms_need_legal(catalogue, policy):
    [approval] = _decide(policy, quote(catalogue, internet()), terms=LEGAL_TERMS).approvals
    assert (approval.role, approval.sla_business_days) == ("legal", 3)
    assert approval.explanation == f"non-standard legal terms “{LEGAL_TERMS}” → legal"


def test_one_role_asked_for_two_reasons_is_asked_once_with_both(catalogue, policy):
    ten_gig = OrderItem(
        id="2", product_offering_id="EPL", characteristics={"bandwidth_mbps": 10000}, price=ItemPrice(mrc=Decimal(4000))
    )
    [approval] = _decide(policy, quote(catalogue, internet("1"), ten_gig)).approvals
    assert approval.role == "vp_sales"
    assert [reason.trigger for reason in approval.reasons] == [Trigger.DISCOUNT, Trigger.ICB]
    assert approval.explanation == (
        "discount 34.64% on item 2 > 30% → vp_sales; "
        "item 2: Ethernet private line 10 Gbps is priced case by case (ICB pricing) → vp_sales"
    )


# Capital: 1 Gbps at $1,665.00 (36 months) contributes $999.00 a month; 500 ft of build is $37,500.


def _capital(catalogue, policy, *, ciac: str, feet: int = 500, term: int = 36):
    priced = quote(catalogue, internet(), term=term)
    view = capital_view(quote=priced, sites=[near_net(feet=feet)], ciac=Decimal(ciac), rules=policy.capital)
    return view, _decide(policy, priced, capital=view)


@pytest.mark.parametrize(
    ("ciac", "feet", "payback", "approvers"),
    [
        ("25512.00", 500, "12", {}),
        ("25502.01", 500, "12.01", {"finance": 2}),
        ("1536.00", 500, "36", {"finance": 2}),
        ("1526.01", 500, "36.01", {"finance": 2, "vp_sales": 3}),
        ("60.00", 1000, "60", {"finance": 2, "vp_sales": 3}),
    ],
)
def test_the_payback_decides_the_capital_approvers(catalogue, policy, ciac, feet, payback, approvers):
    view, outcome = _capital(catalogue, policy, ciac=ciac, feet=feet)
    assert view.payback_months == Decimal(payback)
    assert (_roles(outcome), outcome.rejection) == (approvers, None)


def test_capital_approval_explains_the_figures(catalogue, policy):
    _, outcome = _capital(catalogue, policy, ciac="1526.01")
    assert outcome.approvals[0].explanation == (
        "payback 36.01 months (net capex $35,973.99 = construction $37,500.00 − CIAC $1,526.01,"
        " monthly contribution $999.00) > 36 → finance + vp_sales"
    )


def test_a_payback_over_60_months_is_rejected_with_the_figures(catalogue, policy):
    view, outcome = _capital(catalogue, policy, ciac="50.01", feet=1000)
    assert view.payback_months == Decimal("60.01")
    assert outcome.approvals == ()
    assert outcome.rejection.reason_code == "CAPITAL_POLICY"
    assert outcome.rejection.explanation == (
        "construction pays back in 60.01 months > 60 (net capex $59,949.99 = construction $60,000.00"
        " − CIAC $50.01, monthly contribution $999.00) → rejected CAPITAL_POLICY;"
        " the rep may return with a customer contribution (CIAC) or a longer term"
    )


@pytest.mark.parametrize(
    ("ciac", "payback", "approvers"),
    [("12192.00", "24", {"finance": 2}), ("12181.46", "24.01", {"finance": 2, "vp_sales": 3})],
)
def test_a_term_shorter_than_36_months_is_the_payback_limit_for_finance_alone(
    catalogue, policy, ciac, payback, approvers
):
    # 24 months: $1,757.50 a month contributes $1,054.50.
    view, outcome = _capital(catalogue, policy, ciac=ciac, term=24)
    assert view.payback_months == Decimal(payback)
    assert _roles(outcome) == approvers


@pytest.mark.parametrize(("ciac", "approvers"), [("20000.00", {"finance"}), ("19999.99", {"finance", "vp_sales"})])
def test_a_net_capex_above_100_000_needs_finance_and_vp_sales(catalogue, policy, ciac, approvers):
    priced = quote(catalogue, *_five_ethernet_circuits("2000.00"), term=24)  # contributes $6,000.00 a month
    sites = [near_net("1", feet=1000), near_net("2", feet=1000)]
    view = capital_view(quote=priced, sites=sites, ciac=Decimal(ciac), rules=policy.capital)
    assert view.payback_months == Decimal("16.67")
    assert set(_roles(_decide(policy, priced, capital=view))) == approvers


def test_a_revision_re_asks_only_the_approvals_whose_inputs_changed(catalogue, policy):
    first = _decide(policy, quote(catalogue, internet(net_mrc="1415.25")), terms=LEGAL_TERMS).approvals  # 15% off
    new_terms = _decide(policy, quote(catalogue, internet(net_mrc="1415.25")), terms=LEGAL_TERMS + " Net 45.")
    assert [a.role for a in approvals_to_reask(required=new_terms.approvals, granted=first)] == ["legal"]
    new_price = _decide(policy, quote(catalogue, internet(net_mrc="1465.20")), terms=LEGAL_TERMS)  # 12% off
    assert [a.role for a in approvals_to_reask(required=new_price.approvals, granted=first)] == ["sales_manager"]
    unchanged = _decide(policy, quote(catalogue, internet(net_mrc="1415.25")), terms=LEGAL_TERMS)
    assert approvals_to_reask(required=unchanged.approvals, granted=first) == ()


def test_an_approval_denied_or_never_given_is_asked_again(catalogue, policy):
    required = _decide(policy, quote(catalogue, internet(net_mrc="1415.25")), terms=LEGAL_TERMS).approvals
    legal_only = [approval for approval in required if approval.role == "legal"]
    assert [a.role for a in approvals_to_reask(required=required, granted=legal_only)] == ["sales_manager"]
