"""Pricing's decisions, pure: a qualified version priced (with the grants a revision carries), an order ready to go
on or still waiting, a request that can no longer be decided."""

from dataclasses import replace
from datetime import UTC, datetime
from itertools import count

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from pricing_approval.domain.decisions import price_version, readiness, undecidable
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings

from ..builders import internet_order, qualified

RULES = load_rules(Settings.model_construct())
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
TERMS = "net 60 payment terms"


def _price(order, *, version: int = 1, earlier=()):
    numbers = count(1)
    return price_version(
        qualified(order, version=version),
        rules=RULES,
        now=NOW,
        earlier=earlier,
        request_id=lambda: f"APR-{next(numbers)}",
    )


def test_a_version_needing_approvals_is_stored_pending_with_one_request_per_approval() -> None:
    priced = _price(internet_order("PO-D", discount="25", non_standard_terms=TERMS))

    assert priced.quote.status is QuoteStatus.PENDING_APPROVAL and priced.quote.decided_at is None
    assert {(r.id, r.role, r.status) for r in priced.requests} == {
        ("APR-1", Role.SALES_DIRECTOR, RequestStatus.PENDING),
        ("APR-2", Role.LEGAL, RequestStatus.PENDING),
    }
    announced, waiting = priced.events
    assert isinstance(announced, OrderPriced) and isinstance(waiting, OrderFallout)
    assert {r["requestId"] for r in priced.quote.required_approvals} == {"APR-1", "APR-2"}
    assert priced.proposal is not None and priced.proposal.order_version == 1


def test_a_version_within_every_limit_is_approved_as_it_is_priced() -> None:
    priced = _price(internet_order("PO-OK"))

    assert priced.quote.status is QuoteStatus.APPROVED and priced.quote.decided_at == NOW
    assert [type(event) for event in priced.events] == [OrderPriced, OrderApproved]
    assert priced.requests == []


def test_a_revision_carries_a_grant_whose_inputs_did_not_change_and_asks_again_one_whose_did() -> None:
    first = _price(internet_order("PO-R", discount="25", non_standard_terms=TERMS))
    granted = [
        replace(r, status=RequestStatus.GRANTED, decided_by=f"{r.role}-approver", decided_at=NOW)
        for r in first.requests
    ]

    revised = _price(internet_order("PO-R", discount="30", non_standard_terms=TERMS), version=2, earlier=granted)

    by_role = {request.role: request for request in revised.requests}
    legal = next(r for r in granted if r.role is Role.LEGAL)
    assert (by_role[Role.LEGAL].status, by_role[Role.LEGAL].carried_from) == (RequestStatus.GRANTED, legal.id)
    assert by_role[Role.SALES_DIRECTOR].status is RequestStatus.PENDING


def test_an_order_goes_on_once_every_approval_is_granted_and_waits_while_one_is_pending() -> None:
    priced = _price(internet_order("PO-G", discount="25"))
    [request] = priced.requests
    grant = replace(request, status=RequestStatus.GRANTED, decided_by="dana-director", decided_at=NOW)

    waiting = readiness(priced.quote, requests=[request], proposal=priced.proposal)
    ready = readiness(priced.quote, requests=[grant], proposal=priced.proposal)

    assert waiting.status is QuoteStatus.PENDING_APPROVAL
    assert [event.kind for event in waiting.events] == [FalloutKind.PENDING]
    assert ready.status is QuoteStatus.APPROVED
    approved, released = ready.events
    assert [g.approver for g in approved.approvals] == ["dana-director"]
    assert released.kind is FalloutKind.RELEASED


def test_a_request_withdrawn_decided_or_of_a_dead_version_can_no_longer_be_decided() -> None:
    [request] = _price(internet_order("PO-U", discount="25")).requests

    assert undecidable(request, dead=None) is None
    assert undecidable(request, dead="order PO-U was cancelled: gone") == (
        "request APR-1 can no longer be decided: order PO-U was cancelled: gone"
    )
    withdrawn = replace(request, status=RequestStatus.WITHDRAWN, withdrawn_because="denied")
    assert undecidable(withdrawn, dead=None) == "request APR-1 was withdrawn: denied"
    denied = replace(request, status=RequestStatus.DENIED, decided_by="dana")
    assert undecidable(denied, dead=None) == "request APR-1 is denied by dana: nothing left to decide"
