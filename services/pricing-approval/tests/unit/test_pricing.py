from datetime import date
from decimal import Decimal

import pytest

from orderdesk_shared.events.order import (
    Account,
    Agreement,
    Channel,
    ItemAction,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
)
from orderdesk_shared.product_catalogue import load_catalogue
from pricing_approval.domain.pricing import PricingError, quote_order
from pricing_approval.settings import CATALOGUE_DIRECTORY

CATALOGUE = load_catalogue(CATALOGUE_DIRECTORY)
TODAY = date(2026, 11, 30)


def _order(*items: OrderItem, term: int | None = 36, order_type: OrderType = OrderType.NEW) -> ProductOrder:
    return ProductOrder(
        id="PO-1",
        channel=Channel.CRM,
        order_type=order_type,
        account=Account(legal_name="Lakeshore Logistics LLC"),
        agreement=Agreement(term_months=term),
        items=list(items),
    )


def _dia(item_id: str = "1", *, mbps: int = 1000, **fields) -> OrderItem:
    return OrderItem(id=item_id, product_offering_id="DIA-FIBER", characteristics={"bandwidth_mbps": mbps}, **fields)


def _sip(item_id: str = "1", *, channels: int = 23, **fields) -> OrderItem:
    return OrderItem(id=item_id, product_offering_id="SIP-TRUNK", characteristics={"channels": channels}, **fields)


def _line(*items: OrderItem, day: date = TODAY, **order):
    [line] = quote_order(_order(*items, **order), catalogue=CATALOGUE, order_date=day).lines
    return line


def test_the_bandwidth_tier_sets_the_list_price_less_the_term_discount():
    assert _line(_dia(mbps=1000), term=12).list_mrc == Decimal("1850.00")
    assert _line(_dia(mbps=1000), term=36).list_mrc == Decimal("1665.00")  # 10% for 36 months
    assert _line(_dia(mbps=250), term=60).list_mrc == Decimal("760.75")  # 895 less 15%


def test_with_no_requested_price_the_item_is_sold_at_list_without_discount():
    line = _line(_dia())
    assert (line.net_mrc, line.net_nrc, line.discount_percent) == (Decimal("1665.00"), Decimal("1500.00"), 0)


def test_per_unit_components_count_the_units_and_the_quantity():
    line = _line(
        OrderItem(
            id="1",
            product_offering_id="MANAGED-M365",
            quantity=2,
            characteristics={"seats": 50, "plan": "business-premium"},
        ),
        term=12,
    )
    licences, management, onboarding = line.components
    assert (licences.price_id, licences.list_amount) == ("MANAGED-M365-MRC-BUSINESS-PREMIUM", Decimal("2650.00"))
    assert (management.price_id, management.list_amount) == ("MANAGED-M365-MRC-50-MGMT-SEATS", Decimal("800.00"))
    assert line.list_mrc == Decimal("3450.00")
    assert (onboarding.price_type, line.net_nrc) == ("oneTime", Decimal("1000.00"))


def test_a_characteristic_the_item_leaves_out_takes_the_catalogue_default():
    line = _line(OrderItem(id="1", product_offering_id="MANAGED-ROUTER", characteristics={"routers": 4}))
    assert line.characteristics == {"router_class": "branch", "routers": "4"}
    assert line.list_mrc == Decimal("533.60")  # 4 branch routers at $145, less 8% for 36 months


def test_a_requested_net_mrc_is_per_unit_and_sets_the_discount():
    line = _line(_dia(quantity=2, price=ItemPrice(mrc=Decimal("1498.50"))))
    assert (line.promoted_mrc, line.net_mrc) == (Decimal("3330.00"), Decimal("2997.00"))
    assert line.discount_percent == Decimal("10.00")


def test_a_requested_discount_percent_is_taken_off_the_price_after_promotion():
    line = _line(_dia(price=ItemPrice(mrc_discount_percent=Decimal(15))))
    assert (line.net_mrc, line.discount_percent) == (Decimal("1415.25"), Decimal("15.00"))


def test_a_requested_net_amount_wins_over_a_discount_percent_given_with_it():
    line = _line(_dia(price=ItemPrice(mrc=Decimal("1600.00"), mrc_discount_percent=Decimal(30))))
    assert (line.net_mrc, line.discount_percent) == (Decimal("1600.00"), Decimal("3.90"))


def test_each_component_is_rounded_to_the_cent_after_its_term_discount():
    business_tv = _line(OrderItem(id="1", product_offering_id="BUSINESS-TV", characteristics={"outlets": 2}), term=60)
    assert business_tv.list_mrc == Decimal("114.31")  # 129.90 less 12% = 114.312


def test_a_half_cent_rounds_up():
    # SIP trunk, 10 channels, 36 months: 225 less 8% = 207.00; 2.5% off = 201.825 → 201.83.
    line = _line(_sip(channels=10, price=ItemPrice(mrc_discount_percent=Decimal("2.5"))))
    assert line.net_mrc == Decimal("201.83")
    assert line.discount_percent == Decimal("2.50")  # 1 − 201.83 / 207 = 2.4976% → 2.50%


def test_totals_and_tcv_count_each_item_for_its_own_term():
    quote = quote_order(
        _order(
            _dia("1", price=ItemPrice(mrc=Decimal("1498.50"))),
            _sip("2", item_term_months=24),
        ),
        catalogue=CATALOGUE,
        order_date=TODAY,
    )
    sip = quote.lines[1]
    assert sip.net_mrc == Decimal("441.60")  # 460 less 4%
    assert quote.mrc_total == Decimal("1940.10")
    assert quote.nrc_total == Decimal("1850.00")
    assert quote.total_contract_value == Decimal("1498.50") * 36 + Decimal("441.60") * 24 + Decimal("1850.00")
    assert quote.total_contract_value == Decimal("66394.40")


def test_an_item_being_disconnected_is_not_charged():
    quote = quote_order(
        _order(
            _dia("1", action=ItemAction.DELETE, existing_product_id="PRD-100200"),
            _dia("2", mbps=500),
            order_type=OrderType.MOVE,
        ),
        catalogue=CATALOGUE,
        order_date=TODAY,
    )
    assert [line.item_id for line in quote.lines] == ["2"]


@pytest.mark.parametrize(
    ("day", "applied"),
    [(date(2026, 6, 30), False), (date(2026, 7, 1), True), (date(2026, 12, 31), True), (date(2027, 1, 1), False)],
)
def test_a_promotion_applies_from_its_first_to_its_last_day(day, applied):
    line = _line(_dia(promotion_code="FREEINSTALL26"), day=day)
    assert (line.promotion_code is not None, line.net_nrc) == (applied, Decimal("0.00") if applied else 1500)


def test_a_promotion_outside_its_dates_says_why():
    assert _line(_dia(promotion_code="FREEINSTALL26"), day=date(2027, 1, 4)).promotion_note == (
        "promotion FREEINSTALL26 ended on 2026-12-31"
    )
    assert _line(_dia(promotion_code="FREEINSTALL26"), day=date(2026, 6, 1)).promotion_note == (
        "promotion FREEINSTALL26 starts on 2026-07-01"
    )


@pytest.mark.parametrize(
    ("item", "order", "note"),
    [
        (_dia(promotion_code="FREEINSTALL26"), {"term": 24}, "needs a term of at least 36 months, not 24"),
        (_dia(promotion_code="FREEINSTALL26"), {"order_type": OrderType.RENEWAL}, "is not for renewal orders"),
        (
            OrderItem(id="1", product_offering_id="MANAGED-WIFI", promotion_code="FREEINSTALL26"),
            {},
            "does not cover Managed Wi-Fi",
        ),
    ],
)
def test_an_ineligible_item_is_priced_without_the_promotion_and_told_why(item, order, note):
    line = _line(item, **order)
    assert line.promotion_code is None
    assert line.promotion_note == f"promotion FREEINSTALL26 {note}"
    assert line.promoted_nrc == sum(c.list_amount for c in line.components if c.price_type == "oneTime")


def test_an_unknown_promotion_code_is_reported():
    assert _line(_dia(promotion_code="BLACKFRIDAY")).promotion_note == "promotion code BLACKFRIDAY does not exist"


def test_the_discount_is_measured_against_the_price_after_promotion():
    # New voice customer, 10% off SIP for switching: 460 less 8% = 423.20, less 10% = 380.88.
    line = _line(_sip(promotion_code="VOICESWITCH", price=ItemPrice(mrc=Decimal("380.88"))))
    assert (line.list_mrc, line.promoted_mrc, line.discount_percent) == (
        Decimal("423.20"),
        Decimal("380.88"),
        Decimal("0.00"),
    )


def test_an_icb_tier_and_a_reduced_one_time_charge_are_flagged():
    epl_10g = _line(OrderItem(id="1", product_offering_id="EPL", characteristics={"bandwidth_mbps": 10000}))
    assert epl_10g.icb_reasons == ("Ethernet private line 10 Gbps is priced case by case",)
    waived = _line(_dia(price=ItemPrice(nrc=Decimal(0))))
    assert waived.icb_reasons == ("one-time charge $0.00 is below the catalogue's $1,500.00",)
    assert _line(_dia()).icb_reasons == ()


@pytest.mark.parametrize(
    ("item", "term", "message"),
    [
        (OrderItem(id="7", product_offering_id="DIA-DSL"), 36, "item 7: offering DIA-DSL is not in the catalogue"),
        (_dia("7", mbps=2000), 36, "item 7: DIA-FIBER is not sold with bandwidth_mbps 2000"),
        (_dia("7"), 48, "item 7: DIA-FIBER is not sold on a 48-month term"),
        (_dia("7"), None, "item 7: no term on the item or the agreement"),
        (_dia("7", price=ItemPrice(mrc=Decimal(-1))), 36, "item 7: the requested mrc -1 is negative"),
    ],
)
def test_an_item_that_cannot_be_priced_says_which_and_why(item, term, message):
    with pytest.raises(PricingError) as raised:
        quote_order(_order(item, term=term), catalogue=CATALOGUE, order_date=TODAY)
    assert str(raised.value) == message


def test_asking_for_exactly_ten_percent_off_stays_ten_percent_after_the_cents_are_rounded():
    # Hosted voice, 10 seats: 299.50 less 8% = 275.54; 10% off = 247.986 → 247.99, which is 9.9986% off.
    line = _line(
        OrderItem(
            id="1",
            product_offering_id="HOSTED-VOICE",
            characteristics={"seats": 10},
            price=ItemPrice(mrc_discount_percent=Decimal(10)),
        )
    )
    assert (line.net_mrc, line.discount_percent) == (Decimal("247.99"), Decimal("10.00"))


@pytest.mark.parametrize("order_type", [OrderType.CHANGE, OrderType.TRANSFER])
def test_a_change_or_transfer_without_a_term_is_priced_on_the_shortest_term_sold(order_type):
    line = _line(_dia(action=ItemAction.MODIFY, existing_product_id="PRD-1"), term=None, order_type=order_type)
    assert (line.term_months, line.list_mrc) == (12, Decimal("1850.00"))
