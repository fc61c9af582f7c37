"""Stage SLAs counted in business hours, and the jeopardy level and escalations a share of them means."""

import tomllib
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from console.domain.sla import StageSlaPolicy, alarms, standing
from console.rules_in_force import load_rules
from console.settings import STAGE_SLAS, Settings
from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar
from orderdesk_shared.events.fallout import FalloutKind

POLICY = load_rules(Settings.model_construct()).slas
MONDAY_OPENING = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 08:00 in Chicago


def test_validation_received_before_thanksgiving_is_due_monday_in_the_shared_business_calendar():
    wednesday_afternoon = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 16:00 in Chicago
    due = POLICY.business_calendar.add_business_hours(wednesday_afternoon, 4)
    assert due == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 h Wednesday, Thanksgiving weekend, 3 h Monday
    assert POLICY.business_calendar == load_business_calendar()


def test_stage_slas_naming_another_business_calendar_are_refused():
    document = tomllib.loads(STAGE_SLAS.read_text()) | {"business_calendar": "business-calendar/1"}
    with pytest.raises(ValidationError, match="names 'business-calendar/1', but the business calendar is"):
        StageSlaPolicy.model_validate(document, context={CALENDAR_CONTEXT: load_business_calendar()})


@pytest.mark.parametrize(
    ("hours_later", "level", "escalated"),
    [
        (1, None, ()),
        (2, "medium", ()),
        (3, "high", ()),
        (4, "critical", ("team lead",)),
        (8.5, "critical", ("team lead", "sales-ops manager", "account executive")),
    ],
)
def test_validation_jeopardy_rises_with_the_share_of_its_four_hours_used(hours_later, level, escalated):
    hours = POLICY.sla_hours(stage="received", state="acknowledged", hold_reasons=[], started=MONDAY_OPENING)
    assert hours == 4
    now = POLICY.business_calendar.add_business_hours(MONDAY_OPENING, hours_later)
    clock = standing(POLICY, started=MONDAY_OPENING, sla_hours=hours, now=now)
    assert (clock.jeopardy, clock.escalate_to) == (level, escalated)


def test_the_step_sets_the_clock_and_orders_waiting_for_the_rep_run_none():
    step = {"started": MONDAY_OPENING, "hold_reasons": []}
    assert POLICY.sla_hours(stage="validated", state="held", **step | {"hold_reasons": ["SITE_SURVEY_REQUIRED"]}) == 45
    assert POLICY.sla_hours(stage="received", state="rejected", **step | {"hold_reasons": ["INVALID_VALUE"]}) is None
    assert POLICY.sla_hours(stage="handed-off", state="inProgress", **step) is None


def test_an_order_waiting_for_approvals_has_until_pricing_approval_said_they_are_due():
    # Pricing-approval gives finance two business days (its approval matrix): due Wednesday at the same hour.
    due = POLICY.business_calendar.add_business_days(MONDAY_OPENING, 2)
    waiting = {"stage": "priced", "started": MONDAY_OPENING, "hold_reasons": [], "approvals_due_at": due}
    assert POLICY.sla_hours(state="inProgress", **waiting) == 18
    assert POLICY.sla_hours(state="pending", **waiting) == 18
    assert POLICY.sla_hours(state="rejected", **waiting) is None
    assert POLICY.sla_hours(stage="priced", state="inProgress", hold_reasons=[], started=MONDAY_OPENING) is None


def test_an_order_is_escalated_to_the_highest_rung_it_reached_whatever_order_they_are_listed_in():
    assert POLICY.top_rung(["sales-ops manager", "team lead"]) == "sales-ops manager"
    assert POLICY.top_rung(["account executive", "team lead", "sales-ops manager"]) == "account executive"
    assert POLICY.top_rung(["team lead", "regional director"]) == "team lead"  # a rung since taken off the ladder
    assert POLICY.top_rung([]) is None


def test_a_step_past_its_sla_alarms_at_the_critical_level_and_every_rung_reached_named_as_the_watchdog_claims_them():
    calendar = POLICY.business_calendar
    order = {
        "id": "PO-1",
        "order_version": 2,
        "stage": "received",
        "state": "acknowledged",
        "findings": [],
        "stage_entered_at": MONDAY_OPENING,
        "awaiting_due_at": None,
        "sla_due_at": calendar.add_business_hours(MONDAY_OPENING, 4),
    }
    raised = alarms(POLICY, order, now=calendar.add_business_hours(MONDAY_OPENING, 4))
    assert [(alarm.level, alarm.fallout.kind) for alarm in raised] == [
        ("critical", FalloutKind.JEOPARDY),
        ("escalated to team lead", FalloutKind.ESCALATED),
    ]
    assert {(alarm.fallout.order_id, alarm.fallout.order_version) for alarm in raised} == {("PO-1", 2)}
    assert alarms(POLICY, order | {"state": "completed"}, now=calendar.add_business_hours(MONDAY_OPENING, 40)) == []
