"""The proposal's lifecycle with the customer, and the gate that holds an unsigned order's hand-off."""

import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from orderdesk_shared.events.order import Agreement, Contact, OrderType, SalesRep
from pricing_approval.domain.proposals import (
    InvalidAcceptance,
    ProposalConflict,
    ProposalPolicy,
    ProposalState,
    accept,
    decline,
    draft,
    expire,
    quote_status,
    send,
    signature_finding,
    signed_order,
)
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.settings import Settings

from .conftest import RULES, internet, new_order

CHICAGO = ZoneInfo("America/Chicago")
# Monday November 30, 2026, 10:00 in Chicago.
SENT_AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
POLICY = RULES.proposals


def _order(order_type=OrderType.NEW, signed_date=None):
    order = new_order(
        internet(),
        contacts=[Contact(name="Priya Raman", role="primary"), Contact(name="Tom Okafor", role="billing")],
        sales_reps=[SalesRep(rep_id="rep-007")],
        submitted_by="sam-specialist",
    )
    agreement = Agreement(term_months=36, signed_date=signed_date)
    return order.model_copy(update={"order_type": order_type, "agreement": agreement})


def _sent(order=None):
    proposal = draft(order or _order(), version=1, policy=POLICY)
    return send(proposal, by="rep-007", at=SENT_AT, today=date(2026, 11, 30), policy=POLICY)


def _accept(proposal, *, signed_by="Priya Raman", signed_on=date(2026, 12, 2), today=date(2026, 12, 3)):
    return accept(
        proposal,
        order=_order(),
        signed_by=signed_by,
        signed_on=signed_on,
        by="rep-007",
        at=SENT_AT,
        today=today,
        zone=CHICAGO,
    )


def test_the_shipped_policy_waits_for_a_signature_on_every_commissionable_type_for_30_days():
    assert POLICY.signature_required_for == set(OrderType) - {OrderType.DISCONNECT}
    assert POLICY.valid_days == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"valid_days": 0}, "valid_days"), ({"signature_required_for": ["new", "upgrade"]}, "signature_required_for")],
)
def test_a_malformed_proposal_policy_is_refused_with_the_reason(changes, message):
    with pytest.raises(ValidationError, match=message):
        ProposalPolicy.model_validate(tomllib.loads(Settings.model_construct().proposal_policy.read_text()) | changes)


@pytest.mark.parametrize(
    ("order_type", "signed_date", "required"),
    [
        (OrderType.NEW, None, True),
        (OrderType.TRANSFER, None, True),
        (OrderType.NEW, date(2026, 11, 2), False),
        (OrderType.DISCONNECT, None, False),
    ],
)
def test_a_draft_holds_the_hand_off_only_when_the_policy_asks_for_a_signature_the_order_lacks(
    order_type, signed_date, required
):
    proposal = draft(_order(order_type, signed_date), version=2, policy=POLICY)
    assert (proposal.state, proposal.order_version, proposal.signature_required) == (ProposalState.DRAFT, 2, required)


def test_a_sent_proposal_is_open_for_the_policys_days_and_expires_the_day_after_the_last():
    proposal = _sent()
    assert (proposal.state, proposal.expires_on) == (ProposalState.SENT, date(2026, 12, 30))
    assert expire(proposal, today=date(2026, 12, 30)) is None
    expired = expire(proposal, today=date(2026, 12, 31))
    assert expired.state is ProposalState.EXPIRED
    assert expire(expired, today=date(2027, 3, 1)) is None, "an expired proposal expires once"
    again = send(expired, by="sam-specialist", at=SENT_AT, today=date(2027, 1, 4), policy=POLICY)
    assert (again.state, again.sent_by, again.expires_on) == (ProposalState.SENT, "sam-specialist", date(2027, 2, 3))


def test_an_acceptance_records_the_contact_as_the_order_spells_the_name():
    accepted = _accept(_sent(), signed_by="  priya   RAMAN ")
    assert (accepted.state, accepted.signed_by, accepted.signed_on) == (
        ProposalState.ACCEPTED,
        "Priya Raman",
        date(2026, 12, 2),
    )
    assert not accepted.signature_outstanding


@pytest.mark.parametrize(
    ("signed_by", "signed_on", "problems"),
    [
        (
            "Dana Smith",
            date(2026, 12, 2),
            [("signedBy", "Dana Smith is not a contact named on order PO-1; its contacts are Priya Raman, Tom Okafor")],
        ),
        ("Priya Raman", date(2026, 12, 4), [("signedOn", "2026-12-04 is in the future (today is 2026-12-03)")]),
        (
            "Priya Raman",
            date(2026, 11, 29),
            [("signedOn", "2026-11-29 is before the proposal was sent, on 2026-11-30")],
        ),
    ],
)
def test_an_acceptance_by_someone_not_on_the_order_or_on_an_impossible_day_is_refused(signed_by, signed_on, problems):
    with pytest.raises(InvalidAcceptance) as refused:
        _accept(_sent(), signed_by=signed_by, signed_on=signed_on)
    assert refused.value.problems == problems


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ProposalState.DRAFT, "the proposal of order PO-1 is a draft: send it to the customer first"),
        (ProposalState.EXPIRED, "the proposal of order PO-1 expired unsigned after 2026-12-30: send it again"),
        (ProposalState.DECLINED, "the proposal of order PO-1 was declined: budget frozen"),
    ],
)
def test_only_a_sent_proposal_can_be_accepted(state, message):
    proposal = replace(_sent(), state=state, declined_reason="budget frozen")
    with pytest.raises(ProposalConflict, match=message):
        _accept(proposal)


def test_an_answered_proposal_is_not_sent_again_nor_declined_after_its_acceptance():
    accepted = _accept(_sent())
    with pytest.raises(ProposalConflict, match="accepted already: Priya Raman signed it on 2026-12-02"):
        send(accepted, by="rep-007", at=SENT_AT, today=date(2026, 12, 5), policy=POLICY)
    with pytest.raises(ProposalConflict):
        decline(accepted, reason="changed our mind", by="rep-007", at=SENT_AT)
    declined = decline(_sent(), reason="went with a competitor", by="rep-007", at=SENT_AT)
    assert (declined.state, declined.declined_reason) == (ProposalState.DECLINED, "went with a competitor")


@pytest.mark.parametrize(
    ("approvals_pending", "signed_date", "accepted", "status"),
    [
        (True, None, True, QuoteStatus.PENDING_APPROVAL),
        (False, None, False, QuoteStatus.AWAITING_SIGNATURE),
        (False, None, True, QuoteStatus.APPROVED),
        (False, date(2026, 11, 2), False, QuoteStatus.APPROVED),
    ],
)
def test_the_gate_approves_once_every_approval_is_granted_and_a_required_signature_given(
    approvals_pending, signed_date, accepted, status
):
    proposal = _sent(_order(signed_date=signed_date))
    if accepted:
        proposal = _accept(proposal)
    assert quote_status(approvals_pending=approvals_pending, proposal=proposal) is status


def test_the_order_waits_for_the_signature_until_accepted_and_is_told_to_resend_an_expired_proposal():
    proposal = _sent()
    assert signature_finding(proposal).reason_code == "AGREEMENT_UNSIGNED"
    expired = signature_finding(expire(proposal, today=date(2027, 1, 1)))
    assert (expired.reason_code, expired.message) == (
        "PROPOSAL_EXPIRED",
        "the proposal sent by rep-007 expired unsigned after 2026-12-30",
    )
    assert expired.fix.startswith("Re-send the proposal")
    assert signature_finding(_accept(proposal)) is None
    assert signature_finding(_sent(_order(OrderType.DISCONNECT))) is None


def test_the_approved_order_carries_the_signer_and_the_day_of_the_acceptance():
    order = signed_order(_order(), _accept(_sent()))
    assert (order.agreement.signed_by, order.agreement.signed_date, order.agreement.term_months) == (
        "Priya Raman",
        date(2026, 12, 2),
        36,
    )
    assert signed_order(_order(), _sent()) == _order()
