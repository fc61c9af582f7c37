"""The serviceability rules of DOMAIN.md at their boundaries, with the shipped policy."""

from decimal import Decimal

import pytest

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import (
    Account,
    Address,
    Channel,
    ItemAction,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
    ServiceLocation,
)
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult
from serviceability.domain.inventory import AccessMedium, Location
from serviceability.domain.qualification import (
    CheckItem,
    Outcome,
    SiteDecision,
    SiteRequest,
    SurveyFindings,
    check_result,
    decide_check,
    decide_order,
    decide_site,
    site_requests,
)
from serviceability.rules_in_force import load_seed_rules
from serviceability.settings import Settings

RULES = load_seed_rules(Settings.model_construct())
WACKER = Address(street="233 S WACKER DR", city="CHICAGO", state_or_province="IL", postcode="60606")


def location(*, lit=False, distance=0, medium=AccessMedium.FIBER, max_bandwidth=10000, location_id="LOC-1") -> Location:
    return Location(
        location_id=location_id,
        address=WACKER,
        latitude=Decimal("41.88"),
        longitude=Decimal("-87.63"),
        building_lit=lit,
        distance_to_fiber_ft=distance,
        access_medium=medium,
        max_bandwidth_mbps=max_bandwidth,
        market="CHI",
    )


def request(offering="DIA-FIBER", *, bandwidth=None, mrc="1000.00", item_id="1") -> SiteRequest:
    return SiteRequest(
        item_id=item_id,
        field_path=f"items[{int(item_id) - 1}].location",
        offering_id=offering,
        bandwidth_mbps=bandwidth,
        list_mrc=Decimal(mrc) if mrc else None,
        address=WACKER,
    )


def test_a_lit_building_is_on_net_and_qualified_without_construction():
    site = decide_site(request(), location(lit=True), RULES)
    assert (site.reach, site.result, site.construction_estimate, site.findings) == (
        NetworkReach.ON_NET,
        QualificationResult.QUALIFIED,
        None,
        (),
    )


@pytest.mark.parametrize(("distance", "estimate"), [(0, "15000.00"), (1, "15045.00"), (1000, "60000.00")])
def test_near_net_up_to_1000_ft_is_built_for_15000_plus_45_a_foot_after_a_survey(distance, estimate):
    site = decide_site(request(), location(distance=distance), RULES)
    assert site.reach is NetworkReach.NEAR_NET
    assert site.construction_estimate == Decimal(estimate)
    assert site.survey_required
    assert [finding.reason_code for finding in site.findings] == ["SITE_SURVEY_REQUIRED"]


def test_one_foot_beyond_1000_is_off_net():
    site = decide_site(request(), location(distance=1001), RULES)
    assert (site.reach, site.construction_estimate, site.survey_required) == (NetworkReach.OFF_NET, None, False)


def test_no_access_medium_is_off_net_however_close_the_plant():
    assert decide_site(request(), location(distance=10, medium=AccessMedium.NONE), RULES).reach is NetworkReach.OFF_NET


@pytest.mark.parametrize(
    ("offering", "family", "served"),
    [
        ("DIA-FIBER", "internet", True),
        ("EPL", "ethernet", True),
        ("EVPL", "ethernet", True),
        ("SDWAN-MANAGED", "managed-network", False),
        ("SIP-TRUNK", "voice", False),
        ("HOSTED-VOICE", "voice", False),
        ("BUSINESS-TV", "tv", False),
    ],
)
def test_off_net_rides_type_2_access_for_internet_and_ethernet_only(offering, family, served):
    assert RULES.offerings[offering].family == family
    site = decide_site(request(offering, mrc="1000.00"), location(distance=5000), RULES)
    if served:
        assert (site.result, site.vendor_mrc_cost) == (QualificationResult.QUALIFIED, Decimal("550.00"))
    else:
        assert site.result is QualificationResult.UNQUALIFIED
        [finding] = site.findings
        assert finding.reason_code == "NOT_SERVICEABLE"
        assert "233 S WACKER DR" in finding.message and offering in finding.message


def test_every_offering_family_served_at_a_site_is_covered_above():
    assert {offering.family for offering in RULES.offerings.values()} == {
        "internet",
        "ethernet",
        "managed-network",
        "voice",
        "tv",
    }


def test_the_vendor_cost_is_55_percent_of_the_items_list_mrc_in_cents():
    site = decide_site(request(mrc="1234.57"), location(distance=5000), RULES)
    assert site.vendor_mrc_cost == Decimal("679.01")


def test_an_address_not_in_the_inventory_is_unknown_and_waits_for_a_survey():
    site = decide_site(request(), None, RULES)
    assert (site.reach, site.survey_required) == (NetworkReach.UNKNOWN, True)
    assert site.findings[0].reason_code == "SITE_SURVEY_REQUIRED"


def test_bandwidth_exactly_at_the_locations_maximum_fits():
    site = decide_site(request(bandwidth=1000), location(lit=True, max_bandwidth=1000), RULES)
    assert (site.result, site.alternate_bandwidth_mbps) == (QualificationResult.QUALIFIED, None)


def test_bandwidth_above_the_maximum_gets_the_fastest_tier_that_fits_as_an_alternate():
    site = decide_site(request(bandwidth=10000), location(lit=True, max_bandwidth=750), RULES)
    assert (site.result, site.alternate_bandwidth_mbps) == (QualificationResult.ALTERNATE, 500)
    [finding] = site.findings
    assert finding.reason_code == "BANDWIDTH_ALTERNATE"
    assert "500 Mbps" in finding.fix


def test_a_location_slower_than_every_tier_is_not_serviceable():
    site = decide_site(request("EVPL", bandwidth=100), location(lit=True, max_bandwidth=20), RULES)
    assert site.result is QualificationResult.UNQUALIFIED
    assert site.reason_codes() == ["NOT_SERVICEABLE"]


def test_a_survey_confirming_a_shorter_distance_lowers_the_estimate_and_lifts_the_hold():
    survey = SurveyFindings(survey_id="SRV-1", distance_to_fiber_ft=640)
    site = decide_site(request(), location(distance=950), RULES, survey=survey)
    assert (site.reach, site.construction_estimate, site.survey_required, site.findings) == (
        NetworkReach.NEAR_NET,
        Decimal("43800.00"),
        False,
        (),
    )
    assert site.to_event().site_survey_id == "SRV-1"


def test_a_survey_finding_the_plant_farther_than_1000_ft_makes_the_site_off_net():
    survey = SurveyFindings(survey_id="SRV-1", distance_to_fiber_ft=1200)
    assert decide_site(request("SIP-TRUNK"), location(distance=950), RULES, survey=survey).reason_codes() == [
        "NOT_SERVICEABLE"
    ]


def test_a_surveyed_unknown_site_near_our_plant_becomes_a_near_net_build():
    survey = SurveyFindings(survey_id="SRV-1", distance_to_fiber_ft=200)
    site = decide_site(request(), None, RULES, survey=survey)
    assert (site.reach, site.construction_estimate, site.result) == (
        NetworkReach.NEAR_NET,
        Decimal("24000.00"),
        QualificationResult.QUALIFIED,
    )


def _sites(*decided):
    return {str(n): loc for n, loc in enumerate(decided, start=1) if loc is not None}


def _requests(*offerings):
    return [request(offering, item_id=str(n)) for n, offering in enumerate(offerings, start=1)]


@pytest.mark.parametrize(
    ("locations", "outcome"),
    [
        ((location(lit=True), location(lit=True)), Outcome.QUALIFIED),
        ((location(lit=True), location(distance=300)), Outcome.HELD),
        ((location(lit=True), None), Outcome.HELD),
        ((location(distance=300), location(distance=5000)), Outcome.REJECTED),
    ],
)
def test_an_order_is_qualified_only_when_every_site_is(locations, outcome):
    decision = decide_order(_requests("DIA-FIBER", "SIP-TRUNK"), _sites(*locations), RULES)
    assert decision.outcome is outcome


def test_one_unserviceable_site_rejects_the_order_naming_that_site():
    far = location(distance=5000, location_id="LOC-FAR")
    decision = decide_order(_requests("DIA-FIBER", "SIP-TRUNK"), _sites(location(lit=True), far), RULES)
    assert decision.outcome is Outcome.REJECTED
    [finding] = decision.findings
    assert finding.reason_code == "NOT_SERVICEABLE"
    assert finding.field_path == "items[1].location"
    assert "SIP-TRUNK" in finding.message


def test_only_added_or_changed_items_at_a_site_are_qualified():
    at_wacker = ServiceLocation(address=WACKER)
    order = ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.MOVE,
        account=Account(id="ACC-10001"),
        items=[
            OrderItem(id="1", action=ItemAction.DELETE, product_offering_id="DIA-FIBER", location=at_wacker),
            OrderItem(
                id="2",
                product_offering_id="DIA-FIBER",
                quantity=2,
                characteristics={"bandwidth_mbps": 500},
                location=at_wacker,
                price=ItemPrice(mrc=Decimal("900")),
            ),
            OrderItem(id="3", product_offering_id="CLOUD-IAAS", location=at_wacker),
        ],
    )
    [site] = site_requests(order, RULES)
    assert (site.item_id, site.field_path, site.bandwidth_mbps, site.list_mrc) == (
        "2",
        "items[1].location",
        500,
        Decimal("1800"),
    )


def check_item(offering="DIA-FIBER", *, bandwidth=None, location_id=None, address=WACKER, problems=()) -> CheckItem:
    return CheckItem(
        request=SiteRequest(
            item_id="0",
            field_path="serviceQualificationItem[0].service.place",
            offering_id=offering,
            bandwidth_mbps=bandwidth,
            location_id=location_id,
            address=address,
        ),
        problems=problems,
    )


def test_a_check_item_that_cannot_be_checked_is_unqualified_with_its_problems():
    problem = Finding(reason_code="PLACE_REQUIRED", message="no place")
    [site] = decide_check([check_item(problems=(problem,))], {"0": location(lit=True)}, RULES, alternates_wanted=True)
    assert (site.result, site.reach) == (QualificationResult.UNQUALIFIED, NetworkReach.UNKNOWN)
    assert site.findings == (problem,)


def test_a_location_id_the_inventory_does_not_know_without_an_address_is_an_unknown_place():
    [site] = decide_check([check_item(location_id="LOC-X", address=None)], {}, RULES, alternates_wanted=True)
    assert (site.result, site.reason_codes(), site.survey_required) == (
        QualificationResult.UNQUALIFIED,
        ["UNKNOWN_PLACE"],
        False,
    )
    [surveyed] = decide_check([check_item(location_id="LOC-X")], {}, RULES, alternates_wanted=True)
    assert (surveyed.reason_codes(), surveyed.survey_required) == (["SITE_SURVEY_REQUIRED"], True)


@pytest.mark.parametrize(("wanted", "result"), [(True, QualificationResult.ALTERNATE), (False, "unqualified")])
def test_an_alternate_is_proposed_only_when_the_client_asks_for_alternatives(wanted, result):
    slow = {"0": location(lit=True, max_bandwidth=1000)}
    [site] = decide_check([check_item(bandwidth=10000)], slow, RULES, alternates_wanted=wanted)
    assert (site.result, site.alternate_bandwidth_mbps, site.reason_codes()) == (result, 1000, ["BANDWIDTH_ALTERNATE"])


@pytest.mark.parametrize(
    ("results", "overall"),
    [
        (["qualified", "qualified"], "qualified"),
        (["qualified", "alternate"], "alternate"),
        (["alternate", "unqualified", "qualified"], "unqualified"),
    ],
)
def test_a_checks_result_is_unqualified_if_any_item_is_else_alternate_if_any_is(results, overall):
    sites = [
        SiteDecision(request=request(), reach=NetworkReach.ON_NET, result=QualificationResult(result))
        for result in results
    ]
    assert check_result(sites) == overall
