"""The policy and offerings files: shipped defaults, and a bad file stops the service with the reason."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderdesk_shared.calendar import load_business_calendar
from serviceability.rules_in_force import RulesError, load_seed_rules
from serviceability.settings import POLICY_FILE, Settings

CALENDAR = load_business_calendar()
SHIPPED = load_seed_rules(Settings.model_construct())


def test_the_shipped_policy_holds_domain_defaults():
    policy = SHIPPED.policy
    assert policy.near_net.max_distance_to_fiber_ft == 1000
    assert (policy.construction.base, policy.construction.per_foot) == (Decimal("15000.00"), Decimal("45.00"))
    assert policy.off_net.offering_families == {"internet", "ethernet"}
    assert policy.off_net.vendor_cost_share == Decimal("0.55")
    assert policy.site_survey.sla_business_days == 5


def test_a_survey_opened_on_friday_is_due_five_weekdays_later():
    friday = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    assert SHIPPED.policy.site_survey.due(friday) == datetime(2026, 12, 11, 16, 30, tzinfo=UTC)


def test_a_survey_opened_before_a_holiday_is_due_one_business_day_later_than_five_weekdays():
    monday_before_christmas = datetime(2026, 12, 21, 16, 30, tzinfo=UTC)
    five_weekdays_later = datetime(2026, 12, 28, 16, 30, tzinfo=UTC)  # what the survey SLA said before
    due = SHIPPED.policy.site_survey.due(monday_before_christmas)
    assert due == datetime(2026, 12, 29, 16, 30, tzinfo=UTC)  # Christmas Day, a Friday, is skipped
    assert CALENDAR.day_of(due) == CALENDAR.day_of(five_weekdays_later) + timedelta(days=1)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('per_foot = "45.00"', "per_foot = 45.0"), "write per_foot as a string"),
        (('vendor_cost_share = "0.55"', 'vendor_cost_share = "1.55"'), "off_net.vendor_cost_share"),
        (("sla_business_days = 5", "sla_business_days = 0"), "site_survey.sla_business_days"),
        (('["internet", "ethernet"]', '["internet", "ethernett"]'), "'ethernett' is not a family of any offering"),
        (('"business-calendar/2"', '"business-calendar/1"'), "names 'business-calendar/1', but the business calendar"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(tmp_path, change, problem):
    bad = tmp_path / "serviceability.v1.toml"
    bad.write_text(POLICY_FILE.read_text().replace(*change))
    with pytest.raises(RulesError, match=problem.replace("(", r"\(")):
        load_seed_rules(Settings.model_construct(policy=bad))
