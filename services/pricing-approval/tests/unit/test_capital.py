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


def test_each_site_driving_the_capital_has_its_own_line_and_the_order_adds_them_up(catalogue, policy):
    # Two builds (500 ft: $37,500; 200 ft: $24,000) and an off-net Ethernet item; $10,000 of CIAC.
    ethernet = OrderItem(id="3", product_offering_id="EPL", characteristics={"bandwidth_mbps": 1000})
    sites = [near_net("1", feet=500), near_net("2", feet=200), off_net("3", vendor_mrc_cost="1064.25")]
    view = capital_view(
        quote=quote(catalogue, internet("1"), internet("2"), ethernet),
        sites=sites,
        ciac=Decimal(10000),
        rules=policy.capital,
    )

    first, second, vendor = view.sites
    assert [line.item_id for line in view.sites] == ["1", "2", "3"]
    assert (first.construction_estimate, first.net_mrc, first.monthly_contribution) == (
        Decimal("37500.00"),
        Decimal("1665.00"),
        Decimal("999.00"),
    )
    assert (first.payback_months, first.npv) == (Decimal("37.54"), Decimal("-5620.11"))  # as the one-site order's
    assert (second.construction_estimate, second.payback_months) == (Decimal("24000.00"), Decimal("24.02"))
    assert (vendor.construction_estimate, vendor.vendor_mrc_cost, vendor.monthly_contribution) == (
        Decimal("0.00"),
        Decimal("1064.25"),
        Decimal("870.75"),
    )
    assert [line.mrc_share_percent for line in view.sites] == [Decimal("31.6"), Decimal("31.6"), Decimal("36.8")]
    assert view.construction_estimate == first.construction_estimate + second.construction_estimate
    assert view.monthly_contribution == sum(line.monthly_contribution for line in view.sites)
    assert abs(view.npv - (sum(line.npv for line in view.sites) + view.ciac)) <= Decimal("0.02")


def test_an_on_net_site_has_no_capital_line_but_its_contribution_counts_for_the_order(catalogue, policy):
    on_net = SiteQualification(item_id="2", reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED)
    view = capital_view(
        quote=quote(catalogue, internet("1"), internet("2")),
        sites=[near_net("1", feet=500), on_net],
        ciac=Decimal(0),
        rules=policy.capital,
    )

    [line] = view.sites
    assert line.item_id == "1" and line.mrc_share_percent == Decimal("50.0")
    assert view.monthly_contribution == 2 * line.monthly_contribution
    assert view.payback_months == Decimal("18.77")  # the on-net item helps pay the build back
