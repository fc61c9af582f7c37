"""The hand-off rules: markets and the billing-code map, processing paths and engineering notes."""

from datetime import date
from decimal import Decimal

import pytest

from fulfillment_handoff.domain.billing import BillingCode, CodeKey, billing_date, map_billing_codes
from fulfillment_handoff.domain.paths import choose_path, engineering_notes
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.events.fulfillment import ProcessingPath
from orderdesk_shared.events.order import (
    Account,
    Address,
    Channel,
    ItemAction,
    OrderItem,
    OrderType,
    ProductOrder,
    ServiceLocation,
)
from orderdesk_shared.events.pricing_approval import PriceComponent, PricedItem, Pricing
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification

CHICAGO = Address(street="233 S WACKER DR", city="CHICAGO", state_or_province="IL", postcode="60606")
INDIANAPOLIS = Address(street="1 MONUMENT CIR", city="INDIANAPOLIS", state_or_province="IN", postcode="46204")
GARY = Address(street="504 BROADWAY", city="GARY", state_or_province="IN", postcode="46402")
GRAND_RAPIDS = Address(street="50 MONROE AVE NW", city="GRAND RAPIDS", state_or_province="MI", postcode="49503")


def item(
    item_id: str = "1",
    offering: str = "DIA-FIBER",
    *,
    at: Address | None = CHICAGO,
    action: ItemAction = ItemAction.ADD,
    **characteristics: str | int,
) -> OrderItem:
    return OrderItem(
        id=item_id,
        action=action,
        product_offering_id=offering,
        characteristics=characteristics,
        location=ServiceLocation(address=at) if at else None,
    )


def order(*items: OrderItem, billing_address: Address | None = None) -> ProductOrder:
    return ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme", billing_address=billing_address),
        items=list(items),
    )


def pricing(*components: tuple[str, list[str]]) -> Pricing:
    """Pricing whose items carry these price component ids: (item id, [component ids])."""
    return Pricing(
        items=[
            PricedItem(
                item_id=item_id,
                list_mrc=Decimal(100),
                net_mrc=Decimal(100),
                nrc=Decimal(0),
                discount_percent=Decimal(0),
                term_months=36,
                price_components=[PriceComponent(id=c, kind="recurring", amount=Decimal(100)) for c in ids],
            )
            for item_id, ids in components
        ],
        mrc_total=Decimal(100),
        nrc_total=Decimal(0),
        total_contract_value=Decimal(3600),
    )


def site(item_id: str = "1", reach: NetworkReach = NetworkReach.ON_NET, **extra) -> SiteQualification:
    return SiteQualification(item_id=item_id, reach=reach, result=QualificationResult.QUALIFIED, **extra)


# --- markets and the billing-code map -------------------------------------------------------

MARKETS = load_rules(Settings.model_construct()).markets
ON = date(2027, 1, 15)
NO_COMPONENTS = pricing()


def code(component: str, market: str, billing_code: str, start=date(2024, 1, 1), end=None) -> BillingCode:
    system = MARKETS.named(market).billing_system
    return BillingCode(CodeKey(component, system, market), billing_code, start, end)


@pytest.mark.parametrize(
    ("address", "market", "system"),
    [(CHICAGO, "CHI", "CSG"), (INDIANAPOLIS, "IND", "ICOMS"), (GARY, "CHI", "CSG"), (GRAND_RAPIDS, "GRR", "ICOMS")],
    ids=["state", "another state", "ZIP prefix beats state", "ZIP prefix without state"],
)
def test_a_site_is_in_the_market_of_its_zip_prefix_else_of_its_state(address, market, system):
    found = MARKETS.market_for(address)
    assert (found.code, found.billing_system) == (market, system)


def test_each_price_component_gets_the_code_of_its_market_and_billing_system():
    mapping = map_billing_codes(
        order=order(item("1", "DIA-FIBER"), item("2", "EVPL", at=INDIANAPOLIS)),
        pricing=pricing(("1", ["DIA-FIBER-MRC-100M", "DIA-FIBER-NRC-INSTALL"]), ("2", ["EVPL-MRC-50M"])),
        markets=MARKETS,
        codes=[
            code("DIA-FIBER-MRC-100M", "CHI", "R1102"),
            code("DIA-FIBER-NRC-INSTALL", "CHI", "O1107"),
            code("EVPL-MRC-50M", "IND", "INDR125"),
            code("EVPL-MRC-50M", "CHI", "R1125"),
        ],
        on=ON,
    )
    assert mapping.complete
    assert [(line.item_id, line.price_component, line.billing_system, line.billing_code) for line in mapping.lines] == [
        ("1", "DIA-FIBER-MRC-100M", "CSG", "R1102"),
        ("1", "DIA-FIBER-NRC-INSTALL", "CSG", "O1107"),
        ("2", "EVPL-MRC-50M", "ICOMS", "INDR125"),
    ]


def test_the_market_serviceability_found_the_site_in_decides_over_its_address():
    # The address says Chicago; serviceability, which knows the building, places it in IND.
    mapping = map_billing_codes(
        order=order(item("1", "SIP-TRUNK")), pricing=NO_COMPONENTS, markets=MARKETS,
        codes=[code("SIP-TRUNK", "CHI", "B1187"), code("SIP-TRUNK", "IND", "INDB187")], on=ON,
        sites=[site("1", market="IND")],
    )  # fmt: skip
    assert [(line.market, line.billing_code) for line in mapping.lines] == [("IND", "INDB187")]


def test_an_item_priced_without_components_is_billed_by_its_offering_id():
    mapping = map_billing_codes(
        order=order(item("1", "SIP-TRUNK")), pricing=NO_COMPONENTS, markets=MARKETS,
        codes=[code("SIP-TRUNK", "CHI", "B1187")], on=ON,
    )  # fmt: skip
    assert [(line.price_component, line.billing_code) for line in mapping.lines] == [("SIP-TRUNK", "B1187")]


def test_the_code_in_effect_on_the_billing_date_is_chosen():
    codes = [
        code("EPL", "CHI", "OLD01", end=date(2026, 12, 31)),
        code("EPL", "CHI", "NEW01", start=date(2027, 1, 1)),
    ]
    for on, expected in ((date(2026, 12, 31), "OLD01"), (date(2027, 1, 1), "NEW01")):
        mapping = map_billing_codes(
            order=order(item("1", "EPL")), pricing=NO_COMPONENTS, markets=MARKETS, codes=codes, on=on
        )
        assert [line.billing_code for line in mapping.lines] == [expected]


def test_a_code_not_yet_in_effect_is_missing():
    mapping = map_billing_codes(
        order=order(item("1", "EPL")), pricing=NO_COMPONENTS, markets=MARKETS,
        codes=[code("EPL", "CHI", "LATE1", start=date(2027, 6, 1))], on=ON,
    )  # fmt: skip
    assert [missing.key for missing in mapping.missing] == [CodeKey("EPL", "CSG", "CHI")]


def test_every_missing_combination_is_listed_once_with_the_items_needing_it():
    mapping = map_billing_codes(
        order=order(item("1", "SIP-TRUNK", at=GRAND_RAPIDS), item("2", "SIP-TRUNK", at=GRAND_RAPIDS), item("3", "EPL")),
        pricing=NO_COMPONENTS,
        markets=MARKETS,
        codes=[code("EPL", "CHI", "B1120")],
        on=ON,
    )
    assert not mapping.complete
    assert [(m.key, m.item_ids) for m in mapping.missing] == [(CodeKey("SIP-TRUNK", "ICOMS", "GRR"), ("1", "2"))]
    [finding] = mapping.findings()
    assert finding.reason_code == "MISSING_BILLING_CODE"
    assert "SIP-TRUNK in GRR (ICOMS)" in finding.message
    assert [line.item_id for line in mapping.lines] == ["3"]


def test_an_item_without_a_site_is_placed_by_the_account_billing_address():
    mapping = map_billing_codes(
        order=order(item("1", "CLOUD-IAAS", at=None), billing_address=INDIANAPOLIS), pricing=NO_COMPONENTS,
        markets=MARKETS, codes=[code("CLOUD-IAAS", "IND", "INDB190")], on=ON,
    )  # fmt: skip
    assert [line.market for line in mapping.lines] == ["IND"]


def test_a_site_in_no_market_holds_the_order_for_a_corrected_address():
    texas = CHICAGO.model_copy(update={"state_or_province": "TX", "postcode": "75201"})
    mapping = map_billing_codes(
        order=order(item("1", "EPL", at=texas)), pricing=NO_COMPONENTS, markets=MARKETS, codes=[], on=ON
    )
    assert mapping.items_outside_markets == ["1"]
    assert [finding.reason_code for finding in mapping.findings()] == ["INVALID_ADDRESS"]


def test_a_disconnect_naming_no_site_nor_billing_address_is_held_for_the_missing_address():
    removal = item("1", "CLOUD-IAAS", at=None, action=ItemAction.DELETE)
    mapping = map_billing_codes(order=order(removal), pricing=NO_COMPONENTS, markets=MARKETS, codes=[], on=ON)
    [finding] = mapping.findings()
    assert (finding.reason_code, finding.field_path) == ("INCOMPLETE_DATA", "items[1].location.address")
    assert "no service address" in finding.message


def test_a_disconnect_is_billed_in_the_market_of_the_site_it_names():
    removal = item("1", "DIA-FIBER", at=INDIANAPOLIS, action=ItemAction.DELETE)
    mapping = map_billing_codes(
        order=order(removal), pricing=NO_COMPONENTS, markets=MARKETS, codes=[code("DIA-FIBER", "IND", "X9")], on=ON
    )
    assert [(line.market, line.billing_code) for line in mapping.lines] == [("IND", "X9")]


def test_items_left_unchanged_need_no_billing_code():
    mapping = map_billing_codes(
        order=order(item("1", "EPL", action=ItemAction.NO_CHANGE)),
        pricing=NO_COMPONENTS,
        markets=MARKETS,
        codes=[],
        on=ON,
    )
    assert mapping.complete and mapping.lines == []


def test_billing_starts_on_the_requested_completion_date_else_today():
    today = date(2026, 11, 30)
    assert billing_date(order(item()), today=today) == today
    dated = order(item()).model_copy(update={"requested_completion_date": ON})
    assert billing_date(dated, today=today) == ON


@pytest.mark.parametrize(
    ("first_end", "second_start", "overlap"),
    [
        (date(2026, 12, 31), date(2027, 1, 1), False),
        (date(2027, 1, 1), date(2027, 1, 1), True),
        (None, date(2030, 1, 1), True),
    ],
)
def test_two_periods_for_one_combination_may_not_share_a_day(first_end, second_start, overlap):
    first = code("EPL", "CHI", "A", end=first_end)
    assert first.overlaps(code("EPL", "CHI", "B", start=second_start)) is overlap
    assert not first.overlaps(code("EPL", "MKE", "B", start=second_start))


# --- processing paths and engineering notes ------------------------------------------------

POLICY = load_rules(Settings.model_construct()).paths


def path_of(the_order, sites=(), priced=None) -> ProcessingPath:
    return choose_path(order=the_order, sites=list(sites), pricing=priced or pricing(), policy=POLICY)


def test_an_on_net_catalogue_order_at_one_site_is_standard():
    assert path_of(order(item("1", "DIA-FIBER", bandwidth_mbps=500)), [site("1")]) is ProcessingPath.STANDARD


@pytest.mark.parametrize("offering", ["EPL", "EVPL", "SDWAN-MANAGED", "MANAGED-ROUTER", "MANAGED-WIFI"])
def test_ethernet_and_managed_network_need_complex_engineering(offering):
    assert path_of(order(item("1", offering)), [site("1")]) is ProcessingPath.COMPLEX_ENGINEERING


def test_more_than_one_gigabit_needs_complex_engineering():
    assert path_of(order(item("1", "DIA-FIBER", bandwidth_mbps=1000))) is ProcessingPath.STANDARD
    assert path_of(order(item("1", "DIA-FIBER", bandwidth_mbps=10000))) is ProcessingPath.COMPLEX_ENGINEERING


def test_more_than_one_site_needs_complex_engineering():
    one_site = order(item("1", "SIP-TRUNK"), item("2", "BUSINESS-TV"))
    two_sites = order(item("1", "SIP-TRUNK"), item("2", "BUSINESS-TV", at=INDIANAPOLIS))
    assert path_of(one_site) is ProcessingPath.STANDARD
    assert path_of(two_sites) is ProcessingPath.COMPLEX_ENGINEERING


def test_a_near_net_site_takes_the_construction_path_before_complex_engineering():
    built = order(item("1", "EPL"))
    assert path_of(built, [site("1", NetworkReach.NEAR_NET)]) is ProcessingPath.CONSTRUCTION


def test_an_off_net_site_takes_the_off_net_path():
    assert path_of(order(item("1", "DIA-FIBER")), [site("1", NetworkReach.OFF_NET)]) is ProcessingPath.OFF_NET


def test_an_individual_case_basis_price_makes_the_order_custom_before_anything_else():
    icb = pricing(("1", ["EPL-MRC-10000M", "EPL-NRC-INSTALL"]))
    near_net = [site("1", NetworkReach.NEAR_NET)]
    assert path_of(order(item("1", "EPL", bandwidth_mbps=10000)), near_net, icb) is ProcessingPath.CUSTOM


def test_an_evpl_gets_its_endpoints_and_vlan_notes():
    notes = engineering_notes(
        order=order(item("1", "EVPL", bandwidth_mbps=500)), sites=[site("1")], pricing=pricing(), policy=POLICY
    )
    assert [(note.item_id, note.topic) for note in notes] == [("1", "ethernet-endpoints"), ("1", "vlan")]
    assert "A-end at 233 S WACKER DR, CHICAGO, IL 60606, 500 Mbps" in notes[0].note


def test_a_managed_router_note_names_the_router_class_and_site():
    [note] = engineering_notes(
        order=order(item("1", "MANAGED-ROUTER", router_class="hub")), sites=[], pricing=pricing(), policy=POLICY
    )
    assert note.topic == "managed-router-config"
    assert "hub router at 233 S WACKER DR" in note.note


def test_construction_carries_a_job_reference_and_the_estimate():
    near_net = site("1", NetworkReach.NEAR_NET, construction_estimate=Decimal("33000"))
    [note] = engineering_notes(order=order(item("1", "DIA-FIBER")), sites=[near_net], pricing=pricing(), policy=POLICY)
    assert note.topic == "construction-job"
    assert "CJ-PO-1-1" in note.note and "$33,000.00" in note.note


def test_off_net_asks_for_a_vendor_order_with_its_cost():
    off_net = site("1", NetworkReach.OFF_NET, vendor_mrc_cost=Decimal("357.50"))
    [note] = engineering_notes(order=order(item("1", "DIA-FIBER")), sites=[off_net], pricing=pricing(), policy=POLICY)
    assert (note.topic, "$357.50" in note.note) == ("vendor-order", True)


def test_a_standard_order_needs_no_engineering_notes():
    assert (
        engineering_notes(order=order(item("1", "DIA-FIBER")), sites=[site("1")], pricing=pricing(), policy=POLICY)
        == []
    )
