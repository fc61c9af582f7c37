import tomllib

import pytest
from pydantic import ValidationError

from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar
from pricing_approval.domain.policy import ApprovalPolicy
from pricing_approval.settings import Settings

SHIPPED = tomllib.loads(Settings.model_construct().approval_matrix.read_text())
CALENDAR = {CALENDAR_CONTEXT: load_business_calendar()}


def _with(**changes) -> dict:
    return SHIPPED | changes


def test_the_shipped_policy_holds_domain_md_defaults():
    policy = ApprovalPolicy.model_validate(SHIPPED, context=CALENDAR)
    assert [(tier.above_percent, tier.role) for tier in policy.discount_tiers] == [
        (10, "sales_manager"),
        (20, "sales_director"),
        (30, "vp_sales"),
    ]
    assert (policy.total_contract_value.at_least, policy.capital.reject_payback_above_months) == (250000, 60)
    assert policy.business_calendar.version == "business-calendar/2"  # approval SLAs counted in the shared calendar


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "discount_tiers": [
                    {"above_percent": 10, "up_to_percent": 20, "role": "sales_manager"},
                    {"above_percent": 25, "role": "vp_sales"},
                ]
            },
            "discount tier for vp_sales must start where the one for sales_manager ends",
        ),
        ({"discount_tiers": [{"above_percent": 10, "up_to_percent": 20, "role": "sales_manager"}]}, "no top"),
        ({"sla_business_days": {"sales_manager": 1}}, "no SLA in sla_business_days for finance, legal, sales_director"),
        ({"icb": {"role": "cfo"}}, "icb.role"),
        ({"business_calendar": "business-calendar/1"}, "names 'business-calendar/1', but the business calendar is"),
    ],
)
def test_a_malformed_policy_is_refused_with_the_reason(changes, message):
    with pytest.raises(ValidationError, match=message):
        ApprovalPolicy.model_validate(_with(**changes), context=CALENDAR)
