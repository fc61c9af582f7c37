"""The reports' numbers from the facts kept of real events: bookings to the cent by market and by rep split, capital
by market, fallout and rejection rates, cycle-time percentiles against the SLA, commission per rep; and a request
no report answers named by the part of it that is wrong."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from console.domain.report_facts import ReportFact, report_fact
from console.domain.report_tables import bookings, capital, commission, cycle_times, fallout
from console.domain.reports import ReportRequest, ReportRequestError, checked_request, percentile
from console.report_files import as_csv, as_xlsx, filename
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified, RepCommission
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.fulfillment import OrderHandedOff, ProcessingPath
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import CapitalFigures, OrderApproved, OrderPriced, PricedItem, Pricing
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification

NOVEMBER = ReportRequest("bookings", date(2026, 11, 1), date(2026, 12, 1))
AT = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def fact(event: Event, *, at: datetime = AT, message_id: str | None = None) -> ReportFact:
    kept = report_fact(event, message_id=message_id or f"{event.order_id}-{event.event_type}", occurred_at=at)
    assert kept is not None
    return kept


def priced_item(item_id: str, offering: str, mrr: str, nrc: str, term: int) -> PricedItem:
    return PricedItem(
        item_id=item_id,
        offering_id=offering,
        list_mrc=Decimal(mrr),
        net_mrc=Decimal(mrr),
        nrc=Decimal(nrc),
        discount_percent=Decimal(0),
        term_months=term,
    )


def site(item_id: str, market: str) -> SiteQualification:
    return SiteQualification(
        item_id=item_id, reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED, market=market
    )


def handed_off(journeys, order_id: str, items: list[PricedItem], markets: dict[str, str], **pricing) -> OrderHandedOff:
    order = journeys.order(order_id)
    return OrderHandedOff(
        order_id=order_id,
        order_version=1,
        order=order,
        sites=[site(item_id, market) for item_id, market in markets.items()],
        pricing=Pricing(
            items=items, mrc_total=Decimal(0), nrc_total=Decimal(0), total_contract_value=Decimal(0), **pricing
        ),
        approvals=[],
        processing_path=ProcessingPath.STANDARD,
        billing_lines=[],
    )


@pytest.fixture
def two_bookings(journeys) -> list[ReportFact]:
    """PO-1: fiber in Chicago (100.10 a month for 36 months, 50.05 once) and SIP in Dallas; PO-2: fiber in Chicago."""
    return [
        fact(
            handed_off(
                journeys,
                "PO-1",
                [
                    priced_item("1", "fiber-internet", "100.10", "50.05", 36),
                    priced_item("2", "sip-trunk", "20.00", "0", 12),
                ],
                {"1": "chicago", "2": "dallas"},
            )
        ),
        fact(handed_off(journeys, "PO-2", [priced_item("1", "fiber-internet", "0.33", "0.01", 24)], {"1": "chicago"})),
    ]


def test_bookings_by_market_add_each_items_mrr_nrc_and_tcv_to_the_cent(two_bookings):
    report = bookings(NOVEMBER, two_bookings, teams={})

    assert [column.title for column in report.columns] == ["Market", "Orders", "MRR", "NRC", "TCV"]
    assert report.rows == (
        ("chicago", 2, Decimal("100.43"), Decimal("50.06"), Decimal("3661.58")),
        ("dallas", 1, Decimal("20.00"), Decimal("0.00"), Decimal("240.00")),
        ("Total", 2, Decimal("120.43"), Decimal("50.06"), Decimal("3901.58")),
    )


def test_bookings_by_rep_credit_each_rep_their_split_and_by_team_the_rosters_team(two_bookings):
    by_rep = bookings(ReportRequest("bookings", NOVEMBER.start, NOVEMBER.end, {"by": "rep"}), two_bookings, teams={})
    by_team = bookings(
        ReportRequest("bookings", NOVEMBER.start, NOVEMBER.end, {"by": "team", "market": "dallas"}),
        two_bookings,
        teams={"rep-001": "central", "rep-017": "south"},
    )

    # 60% and 40% of 120.43 MRR.
    assert [row[:3] for row in by_rep.rows] == [
        ("rep-001", 2, Decimal("72.26")),
        ("rep-017", 2, Decimal("48.17")),
        ("Total", 2, Decimal("120.43")),
    ]
    assert [row[:3] for row in by_team.rows] == [
        ("central", 1, Decimal("12.00")),
        ("south", 1, Decimal("8.00")),
        ("Total", 1, Decimal("20.00")),
    ]
    assert any("split" in note for note in by_rep.notes)


def test_a_change_to_an_order_handed_off_before_is_not_booked_again(journeys, two_bookings):
    change = handed_off(journeys, "PO-2", [priced_item("1", "fiber-internet", "9.00", "0", 24)], {"1": "chicago"})
    changed = fact(change.model_copy(update={"order_version": 2, "replaces_version": 1}))

    assert bookings(NOVEMBER, [*two_bookings, changed], teams={}).rows[-1][1:3] == (2, Decimal("120.43"))


def capital_figures(net_capex: str, npv: str, payback: str | None) -> CapitalFigures:
    return CapitalFigures(
        construction_estimate=Decimal(net_capex),
        ciac=Decimal(0),
        net_capex=Decimal(net_capex),
        monthly_contribution=Decimal(100),
        term_months=36,
        payback_months=Decimal(payback) if payback else None,
        npv=Decimal(npv),
    )


def test_capital_counts_estimates_of_priced_orders_and_the_approved_capex_payback_and_npv_by_market(journeys):
    def shipped(order_id: str, market: str, figures: CapitalFigures) -> dict:
        return {
            "order_id": order_id,
            "order_version": 1,
            "order": journeys.order(order_id),
            "sites": [site("1", market)],
            "pricing": Pricing(
                items=[], mrc_total=Decimal(0), nrc_total=Decimal(0), total_contract_value=Decimal(0), capital=figures
            ),
        }

    po1 = shipped("PO-1", "chicago", capital_figures("12000.50", "3000.25", "14"))
    po2 = shipped("PO-2", "chicago", capital_figures("8000", "-50", None))
    priced = [fact(OrderPriced(**po, required_approvals=[])) for po in (po1, po2)]
    approved = [fact(OrderApproved(**po1, approvals=[]))]

    report = capital(ReportRequest("capital", NOVEMBER.start, NOVEMBER.end), priced, approved)

    assert report.rows == (
        ("chicago", 2, Decimal("20000.50"), 1, Decimal("12000.50"), Decimal("14.00"), Decimal("3000.25")),
        ("Total", 2, Decimal("20000.50"), 1, Decimal("12000.50"), Decimal("14.00"), Decimal("3000.25")),
    )


def test_fallout_rates_are_of_the_orders_received_in_the_period(journeys):
    received = [fact(journeys.every_stage(order_id)[0]) for order_id in ("PO-1", "PO-2", "PO-3", "PO-4")]
    fallouts = [
        fact(journeys.rejection("PO-1")),
        fact(journeys.fallout(FalloutKind.HELD, Stage.QUALIFIED, "SITE_SURVEY_REQUIRED", "survey", order_id="PO-2")),
        # Jeopardy is the clock running out, not the order falling out.
        fact(journeys.fallout(FalloutKind.JEOPARDY, Stage.VALIDATED, "SLA", "late", order_id="PO-3")),
    ]

    by_reason = fallout(ReportRequest("fallout", NOVEMBER.start, NOVEMBER.end), received, fallouts)
    by_channel = fallout(ReportRequest("fallout", NOVEMBER.start, NOVEMBER.end, {"by": "channel"}), received, fallouts)

    assert by_reason.rows == (
        ("INVALID_VALUE", 4, 1, Decimal("0.25"), 1, Decimal("0.25")),
        ("SITE_SURVEY_REQUIRED", 4, 1, Decimal("0.25"), 0, Decimal("0")),
        ("Total", 4, 2, Decimal("0.5"), 1, Decimal("0.25")),
    )
    assert by_channel.rows[0] == ("crm", 4, 2, Decimal("0.5"), 1, Decimal("0.25"))


def test_cycle_times_give_the_nearest_rank_p50_and_p90_of_the_steps_ended_in_the_period_against_the_sla(journeys):
    facts = []
    # Ten orders received on 9 November, validated 1 to 10 hours later; the tenth on 1 December, after the period.
    for hours in range(1, 11):
        received, validated, *_ = journeys.every_stage(f"PO-{hours}")
        start = AT - timedelta(days=1)
        end = start + timedelta(hours=hours) + (timedelta(days=30) if hours == 10 else timedelta())
        facts += [fact(received, at=start), fact(validated, at=end)]

    report = cycle_times(
        ReportRequest("cycle-times", NOVEMBER.start, NOVEMBER.end),
        facts,
        sla_hours={"received": 4},
        business_hours=lambda start, end: (end - start).total_seconds() / 3600,
    )

    assert report.rows[0] == ("received", 9, Decimal("5.00"), Decimal("9.00"), Decimal("4.00"), Decimal("0.4444"))
    assert report.rows[1] == ("validated", 0, None, None, None, None)


def test_percentile_is_the_nearest_rank():
    assert (percentile([3.0], 90), percentile([4.0, 1.0, 3.0, 2.0], 50), percentile([], 50)) == (3.0, 2.0, None)


def test_commission_per_rep_adds_the_ratified_the_payable_the_clawbacks_and_the_disputes():
    ratified = OrderRatified(
        order_id="PO-1",
        order_version=1,
        eligible=True,
        reasons=[],
        commissionable_mrr=Decimal(900),
        commission_total=Decimal("1800.00"),
        reps=[
            RepCommission(rep_id="rep-001", split_percent=Decimal(60), amount=Decimal("1080.00")),
            RepCommission(rep_id="rep-017", split_percent=Decimal(40), amount=Decimal("720.00")),
        ],
    )

    def adjusted(kind: str, amount: str, payable: str | None) -> ReportFact:
        change = CommissionAdjusted(
            order_id="PO-1",
            order_version=1,
            rep_id="rep-001",
            amount=Decimal(amount),
            reason=kind,
            kind=kind,
            payable_change=Decimal(payable) if payable else None,
        )
        return fact(change, message_id=f"adjusted-{kind}")

    adjustments = [adjusted("payable", "540.00", "540.00"), adjusted("clawback", "-270.50", "-270.50")]
    adjustments.append(adjusted("dispute", "100.00", None))

    report = commission(
        ReportRequest("commission", NOVEMBER.start, NOVEMBER.end, {"team": "central"}),
        [fact(ratified)],
        adjustments,
        teams={"rep-001": "central", "rep-017": "south"},
    )

    assert report.rows == (
        ("rep-001", "central", Decimal("1080.00"), Decimal("269.50"), Decimal("-270.50"), Decimal("100.00")),
        ("Total", None, Decimal("1080.00"), Decimal("269.50"), Decimal("-270.50"), Decimal("100.00")),
    )


@pytest.mark.parametrize(
    ("name", "start", "end", "filters", "field"),
    [
        ("revenue", date(2026, 11, 1), date(2026, 12, 1), {}, "name"),
        ("bookings", date(2026, 12, 1), date(2026, 11, 1), {}, "end"),
        ("bookings", date(2026, 11, 1), date(2026, 12, 1), {"channel": "crm"}, "channel"),
        ("bookings", date(2026, 11, 1), date(2026, 12, 1), {"by": "account"}, "by"),
    ],
)
def test_a_request_no_report_answers_names_the_wrong_part(name, start, end, filters, field):
    with pytest.raises(ReportRequestError) as refused:
        checked_request(name, start, end, filters)
    assert refused.value.field == field


def test_the_files_say_what_report_period_and_filters_they_hold_and_keep_money_to_the_cent(two_bookings):
    request = ReportRequest("bookings", NOVEMBER.start, NOVEMBER.end, {"market": "chicago"})
    report = bookings(request, two_bookings, teams={})

    sheet = load_workbook(io.BytesIO(as_xlsx(report))).active
    rows = list(sheet.iter_rows(values_only=True))
    lines = list(csv.reader(io.StringIO(as_csv(report).decode())))

    assert filename(report, "xlsx") == "bookings_2026-11-01_2026-12-01.xlsx"
    for table in (rows, lines):
        assert list(table[0][:2]) == ["Report", "Bookings"]
        assert list(table[1][:2]) == ["Period", "2026-11-01 to 2026-12-01 (end excluded)"]
        assert list(table[2][:2]) == ["Filters", "market=chicago"]
    assert rows[-2] == ("chicago", 2, 100.43, 50.06, 3661.58)
    assert sheet.cell(row=len(rows), column=5).number_format == "#,##0.00"
    assert lines[-2] == ["chicago", "2", "100.43", "50.06", "3661.58"]
