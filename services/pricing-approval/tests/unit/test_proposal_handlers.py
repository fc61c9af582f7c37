"""The proposal actions driven with pricing-approval's unit of work in memory: sent, accepted, declined, expired, as
the desk and the services downstream would see them."""

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.pricing_approval import OrderApproved
from pricing_approval.domain.proposals import ProposalState
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.handlers import CONFLICT, MISSING, Refused
from pricing_approval.proposal_lifecycle import accept_proposal, decline_proposal, expire_proposals, send_proposal

from ..builders import internet_order, qualified
from .fakes import FakePricingUnitOfWork
from .test_handlers import CONTEXT, NOW, price

REP = Principal(subject="rep-007", roles=frozenset({Role.SALES_REP}))
RULES = CONTEXT.rules
TODAY = RULES.calendar.day_of(NOW)


async def _unsigned_order_sent(order_id: str) -> FakePricingUnitOfWork:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order(order_id, signed_date=None)))
    await send_proposal(uow, order_id=order_id, actor=REP, now=NOW, rules=RULES)
    return uow


async def test_a_sent_proposal_is_open_for_the_policys_days() -> None:
    uow = await _unsigned_order_sent("PO-SEND")

    sent = uow.proposals.by_order["PO-SEND"]
    assert (sent.state, sent.sent_by, sent.expires_on) == (ProposalState.SENT, "rep-007", TODAY + timedelta(30))


async def test_the_signature_approves_an_order_waiting_only_for_it_carrying_who_signed_and_when() -> None:
    uow = await _unsigned_order_sent("PO-SIGN")
    before = len(uow.events)

    accepted = await accept_proposal(
        uow, order_id="PO-SIGN", actor=REP, signed_by="priya raman", signed_on=TODAY, now=NOW, rules=RULES
    )

    assert (accepted.state, accepted.signed_by) == (ProposalState.ACCEPTED, "Priya Raman")
    approved, released = uow.events[before:]
    assert isinstance(approved, OrderApproved)
    assert (approved.order.agreement.signed_date, approved.order.agreement.signed_by) == (TODAY, "Priya Raman")
    assert released.kind is FalloutKind.RELEASED
    assert [finding.reason_code for finding in released.findings] == ["AGREEMENT_UNSIGNED"]
    assert uow.quotes.by_order["PO-SIGN"].status is QuoteStatus.APPROVED


async def test_a_declined_proposal_rejects_the_order_and_nothing_more_is_done_on_it() -> None:
    uow = await _unsigned_order_sent("PO-DECL")
    before = len(uow.events)

    await decline_proposal(uow, order_id="PO-DECL", actor=REP, reason="went with a rival", now=NOW)

    [rejected] = uow.events[before:]
    assert rejected.kind is FalloutKind.REJECTED
    assert [(f.reason_code, f.message) for f in rejected.findings] == [
        ("PROPOSAL_DECLINED", "the customer declined the proposal: went with a rival")
    ]
    assert uow.quotes.by_order["PO-DECL"].status is QuoteStatus.REJECTED
    with pytest.raises(Refused, match="order PO-DECL was rejected: the customer declined") as refused:
        await send_proposal(uow, order_id="PO-DECL", actor=REP, now=NOW, rules=RULES)
    assert refused.value.reason == CONFLICT


async def test_an_approved_order_is_cancelled_not_declined() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-DONE")))

    with pytest.raises(Refused, match="was approved and handed on: cancel the order instead"):
        await decline_proposal(uow, order_id="PO-DONE", actor=REP, reason="changed their mind", now=NOW)
    assert uow.proposals.by_order["PO-DONE"].state is ProposalState.DRAFT


async def test_a_rep_not_on_the_order_may_not_act_on_its_proposal() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-ELSE", signed_date=None)))
    stranger = Principal(subject="rep-999", roles=frozenset({Role.SALES_REP}))

    # An order the rep may not see is told as not priced, so that its existence does not leak.
    with pytest.raises(Refused, match="order PO-ELSE has not been priced") as refused:
        await send_proposal(uow, order_id="PO-ELSE", actor=stranger, now=NOW, rules=RULES)
    assert refused.value.reason == MISSING
    assert uow.proposals.by_order["PO-ELSE"].state is ProposalState.DRAFT


async def test_a_proposal_unsigned_past_its_last_day_expires_once_and_the_order_waits_for_it_again() -> None:
    uow = await _unsigned_order_sent("PO-EXP")
    last_day = uow.proposals.by_order["PO-EXP"].expires_on
    before = len(uow.events)
    later = datetime.combine(last_day + timedelta(days=1), NOW.timetz()).astimezone(UTC)

    assert await expire_proposals(uow, now=later, today=last_day) == 0
    assert await expire_proposals(uow, now=later, today=last_day + timedelta(days=1)) == 1
    assert await expire_proposals(uow, now=later, today=last_day + timedelta(days=2)) == 0

    [pending] = uow.events[before:]
    assert pending.kind is FalloutKind.PENDING
    assert [finding.reason_code for finding in pending.findings] == ["PROPOSAL_EXPIRED"]
    assert uow.proposals.by_order["PO-EXP"].state is ProposalState.EXPIRED
