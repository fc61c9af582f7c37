"""The policy and offerings files: shipped defaults, and a bad file stops the service with the reason."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from serviceability.domain.rules import DEFAULT_POLICY, Rules, RulesError


def test_the_shipped_policy_holds_domain_defaults():
    policy = Rules.load().policy
    assert policy.near_net.max_distance_to_fiber_ft == 1000
    assert (policy.construction.base, policy.construction.per_foot) == (Decimal("15000.00"), Decimal("45.00"))
    assert policy.off_net.offering_families == {"internet", "ethernet"}
    assert policy.off_net.vendor_cost_share == Decimal("0.55")
    assert policy.site_survey.sla_business_days == 5


def test_a_survey_opened_on_friday_is_due_five_weekdays_later():
    friday = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
    assert Rules.load().policy.site_survey.due(friday) == datetime(2026, 11, 13, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('per_foot = "45.00"', "per_foot = 45.0"), "write per_foot as a string"),
        (('vendor_cost_share = "0.55"', 'vendor_cost_share = "1.55"'), "off_net.vendor_cost_share"),
        (("sla_business_days = 5", "sla_business_days = 0"), "site_survey.sla_business_days"),
        (('["internet", "ethernet"]', '["internet", "ethernett"]'), "'ethernett' is not a family of any offering"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(tmp_path, change, problem):
    bad = tmp_path / "serviceability.v1.toml"
    bad.write_text(DEFAULT_POLICY.read_text().replace(*change))
    with pytest.raises(RulesError, match=problem.replace("(", r"\(")):
        Rules.load(policy_path=bad)
