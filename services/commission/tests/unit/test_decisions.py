"""The decisions commission's handlers store and announce: an order version's accrual, and a dispute's ruling."""

from datetime import date
from decimal import Decimal

import pytest

from commission.domain.accrual import accrual
from commission.domain.disputes import DisputeRefused, NotYoursToDecide, rule_on_dispute
from commission.domain.ledger import Holding
from commission.domain.ratification import ratify
from commission.rules_in_force import load_rules
from commission.settings import Settings
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.auth import Principal, Role
from services.commission.tests.builders import handed_off

RULES = load_rules(Settings.model_construct())
DAY = date(2026, 11, 2)
ANALYST = Principal(subject="carla", roles=frozenset({Role.COMMISSION_ANALYST}))


def _accrual(*, holdings=None, installed=False, mrc="1000.00", version=1):
    event = handed_off("PO-1", mrc=mrc, version=version, reps=(("rep-001", "60"), ("rep-002", "40")))
    decision = ratify(
        event=event,
        plan=RULES.plans.in_effect(DAY),
        roster=RULES.roster,
        order_date=DAY,
        previous_mrc={},
        earlier_sales=[],
    )
    return accrual(event, decision, order_date=DAY, holdings=holdings or {}, installed=installed)


def test_an_accrual_announces_the_order_ratified_and_accrues_each_reps_part():
    accrued = _accrual()
    assert [(p.entry_key, p.entry.accrued_change) for p in accrued.postings] == [
        ("PO-1/v1/accrued/rep-001", Decimal("600.00")),
        ("PO-1/v1/accrued/rep-002", Decimal("400.00")),
    ]
    ratified = accrued.ratified
    assert (ratified.order_version, ratified.commission_total, ratified.order_date) == (1, Decimal("1000.00"), DAY)
    assert [(rep.rep_id, rep.amount) for rep in ratified.reps] == [
        ("rep-001", Decimal("600.00")),
        ("rep-002", Decimal("400.00")),
    ]


def test_an_accrual_of_an_order_installed_before_is_payable_and_a_revision_moves_the_difference():
    assert {p.entry.payable_change for p in _accrual(installed=True).postings} == {Decimal("600.00"), Decimal("400.00")}
    held = {"rep-001": Holding(accrued=Decimal("600.00")), "rep-002": Holding(accrued=Decimal("400.00"))}
    revised = _accrual(holdings=held, mrc="1500.00", version=2)
    assert [(p.entry_key, p.entry.accrued_change) for p in revised.postings] == [
        ("PO-1/v2/revised/rep-001", Decimal("300.00")),
        ("PO-1/v2/revised/rep-002", Decimal("200.00")),
    ]


class _Dispute:
    dispute_id, rep_id, state = "DSP-1", "rep-001", "open"


PEOPLE = OrderPeople(order_id="PO-1", submitted_by="sam", reps=frozenset({"rep-001"}))


def test_an_approval_adjusts_the_reps_commission_and_a_rejection_nothing():
    approved = rule_on_dispute(_Dispute(), PEOPLE, ANALYST, approve=True, reason="ok", adjustment=Decimal("150.00"))
    assert (approved.state, approved.adjustment) == ("approved", Decimal("150.00"))
    [entry] = approved.entries
    assert (entry.rep_id, entry.kind, entry.payable_change, entry.reason) == (
        "rep-001",
        "dispute",
        Decimal("150.00"),
        "dispute DSP-1 approved: ok",
    )
    rejected = rule_on_dispute(_Dispute(), PEOPLE, ANALYST, approve=False, reason="no", adjustment=None)
    assert (rejected.state, rejected.reason, rejected.entries) == ("rejected", "no", ())


def test_a_ruling_is_refused_to_the_orders_people_on_a_decided_dispute_and_without_an_adjustment():
    submitter = Principal(subject="sam", roles=frozenset({Role.COMMISSION_ANALYST}))
    with pytest.raises(NotYoursToDecide):
        rule_on_dispute(_Dispute(), PEOPLE, submitter, approve=False, reason="no", adjustment=None)
    decided = type("Decided", (_Dispute,), {"state": "rejected"})()
    with pytest.raises(DisputeRefused, match="DSP-1 was rejected already"):
        rule_on_dispute(decided, PEOPLE, ANALYST, approve=False, reason="no", adjustment=None)
    with pytest.raises(DisputeRefused, match="non-zero adjustment"):
        rule_on_dispute(_Dispute(), PEOPLE, ANALYST, approve=True, reason="ok", adjustment=None)
