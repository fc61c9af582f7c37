from decimal import Decimal

from orderdesk_shared.events.order import OrderItem
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification
from pricing_approval.domain.capital import capital_view

from .conftest import internet, near_net, off_net, quote


def test_an_order_needing_no_construction_has_no_capital_view(catalogue, policy):
    on_net = SiteQualification(item_id="1", reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED)
    assert (
        capital_view(quote=quote(catalogue, internet()), sites=[on_net], ciac=Decimal(0), rules=policy.capital) is None
    )


def test_a_near_net_build_shows_payback_roi_and_npv(catalogue, policy):
    # 1 Gbps at $1,665.00 a month for 36 months; 500 ft of new fiber: $15,000 + $22,500.
    view = capital_view(
        quote=quote(catalogue, internet()), sites=[near_net(feet=500)], ciac=Decimal(0), rules=policy.capital
    )
    assert view.net_capex == Decimal("37500.00")
    assert view.monthly_contribution == Decimal("999.00")  # 60% of the MRC
    assert view.payback_months == Decimal("37.54")
    assert view.simple_roi_percent == Decimal("-4.1")  # (999 × 36 − 37,500) / 37,500
    assert view.npv == Decimal("-5620.11")  # 999 a month for 36 months at 8%/12 a month, less 37,500


def test_the_customer_contribution_reduces_the_capex_but_never_below_zero(catalogue, policy):
    sites = [near_net(feet=500)]
    view = capital_view(quote=quote(catalogue, internet()), sites=sites, ciac=Decimal("12500"), rules=policy.capital)
    assert (view.net_capex, view.payback_months) == (Decimal("25000.00"), Decimal("25.03"))
    paid_in_full = capital_view(
        quote=quote(catalogue, internet()), sites=sites, ciac=Decimal(40000), rules=policy.capital
    )
    assert (paid_in_full.net_capex, paid_in_full.payback_months, paid_in_full.simple_roi_percent) == (0, 0, None)


def test_an_off_net_item_contributes_its_mrc_less_the_vendor_cost(catalogue, policy):
    ethernet = OrderItem(id="2", product_offering_id="EPL", characteristics={"bandwidth_mbps": 1000})
    view = capital_view(
        quote=quote(catalogue, internet("1"), ethernet),
        sites=[near_net("1", feet=500), off_net("2", vendor_mrc_cost="1064.25")],
        ciac=Decimal(0),
        rules=policy.capital,
    )
    assert view.monthly_contribution == Decimal("1869.75")  # 999.00 + (1,935.00 − 1,064.25)


def test_a_contribution_that_never_pays_back_has_no_payback(catalogue, policy):
    view = capital_view(
        quote=quote(catalogue, internet("1")),
        sites=[off_net("1", vendor_mrc_cost="1700.00"), near_net("2", feet=100)],
        ciac=Decimal(0),
        rules=policy.capital,
    )
    assert view.monthly_contribution == Decimal("-35.00")
    assert view.payback_months is None


def test_the_term_is_the_shortest_item_term(catalogue, policy):
    items = internet("1", item_term_months=60), internet("2", mbps=100, item_term_months=24)
    view = capital_view(
        quote=quote(catalogue, *items), sites=[near_net(feet=200)], ciac=Decimal(0), rules=policy.capital
    )
    assert view.term_months == 24
