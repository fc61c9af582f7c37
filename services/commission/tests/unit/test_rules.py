"""The commission plan and roster as data: effective dates, and bad files stop commission with the reason."""

from datetime import date
from decimal import Decimal

import pytest

from commission.domain.rules import RulesError
from commission.rules_in_force import load_plan, load_roster, load_rules
from commission.settings import Settings

SHIPPED = Settings.model_construct()

PLAN_CHANGE = """
[[plans]]
effective_from = "2027-01-01"
commissionable_order_types = ["new", "add", "change", "renewal", "move", "transfer"]
cap_per_order = "30000.00"
duplicate_window_days = 90
clawback_window_days = 180
dispute_window_days = 180

[plans.multipliers]
new_logo = "2.5"
existing_account = "1.0"
renewal_uplift = "0.5"
"""


def test_a_plan_change_applies_from_its_date_only(tmp_path):
    path = tmp_path / "plan.v2.toml"
    path.write_text(SHIPPED.plan.read_text() + PLAN_CHANGE)
    plans = load_plan(path)
    assert plans.in_effect(date(2026, 12, 31)).multipliers.new_logo == Decimal("2.0")
    assert plans.in_effect(date(2027, 1, 1)).multipliers.new_logo == Decimal("2.5")
    assert plans.in_effect(date(2027, 1, 1)).cap_per_order == Decimal("30000.00")


def test_the_shipped_plan_holds_the_domain_defaults():
    plan = load_rules(SHIPPED).plans.in_effect(date(2026, 11, 28))
    assert (plan.cap_per_order, plan.duplicate_window_days, plan.clawback_window_days, plan.dispute_window_days) == (
        Decimal("25000.00"),
        90,
        180,
        180,
    )


def test_an_amount_written_as_a_float_stops_commission_with_the_field(tmp_path):
    path = tmp_path / "plan.v1.toml"
    path.write_text(SHIPPED.plan.read_text().replace('"25000.00"', "25000.00"))
    with pytest.raises(RulesError, match=r"plan.v1.toml: field 'plans.0.cap_per_order': .*as a string"):
        load_plan(path)


def test_the_roster_names_team_manager_and_active_dates():
    roster = load_roster(SHIPPED.reference)
    rep = roster.reps["rep-090"]
    assert (rep.team, rep.manager_id, rep.active_from, rep.active_to) == (
        "chicago-enterprise",
        "rep-101",
        date(2017, 1, 9),
        date(2025, 6, 30),
    )


def test_a_roster_row_naming_an_unknown_manager_is_refused_with_its_line(tmp_path):
    text = (SHIPPED.reference / "roster.v1.csv").read_text().replace(",rep-101,2019-02-04", ",rep-555,2019-02-04")
    (tmp_path / "roster.v1.csv").write_text(text)
    with pytest.raises(RulesError, match=r"roster.v1.csv line 6, field 'manager_id': rep-555 is not in the roster"):
        load_roster(tmp_path)
