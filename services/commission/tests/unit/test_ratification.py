"""Each ratification rule of DOMAIN.md ("Commission"), pinned with the shipped plan and roster."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from commission.domain.ratification import EarlierSale, ratify
from commission.rules_in_force import load_rules
from commission.settings import Settings
from orderdesk_shared.events.order import OrderType
from services.commission.tests.builders import catalogue_components, handed_off

RULES = load_rules(Settings.model_construct())
TODAY = date(2026, 11, 28)
PLAN = RULES.plans.in_effect(TODAY)


def decide(event, *, previous=None, earlier=(), today=TODAY, plan=PLAN):
    return ratify(
        event=event,
        plan=plan,
        roster=RULES.roster,
        order_date=today,
        previous_mrc=previous or {},
        earlier_sales=list(earlier),
    )


@pytest.mark.parametrize(
    ("order_type", "previous", "total"),
    [
        (OrderType.NEW, None, "2000.00"),  # new logo 2.0x the full MRC
        (OrderType.ADD, "400.00", "1000.00"),  # existing account 1.0x the full MRC of the added service
        (OrderType.CHANGE, "600.00", "400.00"),  # the rise only, 1.0x
        (OrderType.RENEWAL, "800.00", "100.00"),  # renewal uplift 200 x 0.5
        (OrderType.MOVE, "1000.00", "0.00"),  # neutral when the MRC does not rise
        (OrderType.MOVE, "900.00", "100.00"),  # ... counts the rise when it does
        (OrderType.TRANSFER, "1000.00", "0.00"),
    ],
)
def test_commission_is_incremental_mrr_times_the_multiplier_of_the_sale(order_type, previous, total):
    previous_mrc = {"DIA-FIBER": Decimal(previous)} if previous else {}
    decision = decide(handed_off("PO-1", order_type, mrc="1000.00"), previous=previous_mrc)
    assert decision.eligible, decision.reasons
    assert decision.commission_total == Decimal(total)


def test_a_disconnect_earns_nothing_and_is_not_commissionable():
    decision = decide(handed_off("PO-1", OrderType.DISCONNECT), previous={"DIA-FIBER": Decimal("1000.00")})
    assert (decision.eligible, decision.commission_total) == (False, Decimal("0.00"))
    assert decision.reasons == ["order type disconnect is not commissionable"]
    assert decision.offerings[0].mrc_after == Decimal("0.00")


def test_a_change_that_lowers_the_mrc_earns_nothing_and_is_a_downgrade():
    decision = decide(handed_off("PO-1", OrderType.CHANGE, mrc="700.00"), previous={"DIA-FIBER": Decimal("1000.00")})
    assert decision.commission_total == Decimal("0.00")
    assert decision.offerings[0].downgraded_mrr == Decimal("300.00")


def test_a_change_without_a_known_earlier_mrc_shows_no_rise_and_says_so():
    decision = decide(handed_off("PO-1", OrderType.CHANGE, mrc="700.00"))
    assert decision.commission_total == Decimal("0.00")
    assert any("no earlier MRC of ACC-10001 is known" in line for line in decision.explanation)


def test_one_order_earns_at_most_the_cap():
    decision = decide(handed_off("PO-1", OrderType.NEW, mrc="20000.00"))
    assert decision.commission_total == Decimal("25000.00")
    assert "capped at 25000.00 per order" in decision.explanation


def test_the_split_loses_no_cent_and_is_explained():
    event = handed_off("PO-1", OrderType.ADD, mrc="100.00", reps=(("rep-001", "33.33"), ("rep-002", "66.67")))
    decision = decide(event)
    assert [rep.amount for rep in decision.reps] == [Decimal("33.33"), Decimal("66.67")]
    assert sum(rep.amount for rep in decision.reps) == decision.commission_total
    assert "rep-002 66.67% = 66.67" in decision.explanation


def test_each_decision_is_explained_line_by_line():
    decision = decide(handed_off("PO-1", OrderType.NEW, mrc="1234.56"))
    assert decision.explanation == [
        "rep-001 (Angela Moretti, chicago-enterprise) is active on 2026-11-28",
        "agreement MSA-1 signed on 2026-11-02",
        "no duplicate within 90 days",
        "DIA-FIBER: new MRC 1234.56 counts in full (new order)",
        "incremental MRR 1234.56 x 2.0 (new logo) = 2469.12",
        "rep-001 100% = 2469.12",
    ]


@pytest.mark.parametrize(
    ("rep", "reason"),
    [
        ("rep-090", "rep-090 is not active on 2026-11-28 (active 2017-01-09 to 2025-06-30)"),
        ("rep-999", "rep-999 is not on the sales roster"),
    ],
)
def test_a_rep_not_active_on_the_order_date_makes_the_order_ineligible(rep, reason):
    decision = decide(handed_off("PO-1", reps=((rep, "100"),)))
    assert (decision.eligible, decision.reasons, decision.commission_total) == (False, [reason], Decimal("0.00"))


def test_a_rep_is_active_through_their_last_day():
    last_day = date(2025, 6, 30)
    assert decide(handed_off("PO-1", reps=(("rep-090", "100"),), signed=last_day), today=last_day).eligible


def test_an_unsigned_agreement_makes_the_order_ineligible():
    assert decide(handed_off("PO-1", signed=None)).reasons == ["the agreement is not signed"]


@pytest.mark.parametrize(("days_before", "duplicate"), [(0, True), (90, True), (91, False)])
def test_the_same_sale_within_90_days_is_a_duplicate(days_before, duplicate):
    earlier = EarlierSale(
        order_id="PO-0",
        order_type=OrderType.NEW,
        order_date=TODAY - timedelta(days=days_before),
        offering_id="DIA-FIBER",
        location_keys=frozenset({"LOC-CHI-0001"}),
    )
    decision = decide(handed_off("PO-1", OrderType.NEW), earlier=[earlier])
    assert decision.eligible is not duplicate
    if duplicate:
        assert decision.reasons[0].startswith("duplicate of PO-0")


def test_another_location_or_order_type_is_not_a_duplicate():
    earlier = [
        EarlierSale("PO-0", OrderType.NEW, TODAY, "DIA-FIBER", frozenset({"LOC-CHI-0002"})),
        EarlierSale("PO-9", OrderType.CHANGE, TODAY, "DIA-FIBER", frozenset({"LOC-CHI-0001"})),
    ]
    assert decide(handed_off("PO-1", OrderType.NEW), earlier=earlier).eligible


TWO_SERVICES = {"DIA-FIBER": "1000.00", "SIP-TRUNK": "333.33"}


def test_the_mrc_billed_is_that_of_the_items_whose_monthly_catalogue_price_has_a_billing_code():
    decision = decide(handed_off("PO-1", mrc=TWO_SERVICES))
    assert (decision.basis_mrc, decision.billed_mrc) == (Decimal("1333.33"), Decimal("1333.33"))
    sip_monthly, sip_one_time = catalogue_components("SIP-TRUNK")  # as the catalogue names them: SIP-TRUNK-MRC-10-CH
    # Only the one-time charge has no code: the monthly one is still billed.
    assert decide(handed_off("PO-1", mrc=TWO_SERVICES, unbilled=frozenset({sip_one_time}))).billed_mrc == Decimal(
        "1333.33"
    )
    unbilled = decide(handed_off("PO-1", mrc=TWO_SERVICES, unbilled=frozenset({sip_monthly})))
    assert (unbilled.basis_mrc, unbilled.billed_mrc) == (Decimal("1333.33"), Decimal("1000.00"))
    assert decide(handed_off("PO-1", billed=False)).billed_mrc == Decimal("0")
