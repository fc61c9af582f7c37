"""Pricing-approval's handlers driven with its unit of work in memory, the shipped catalogue and policies, and a
fixed clock: what the desk, the approvers and the services downstream would see."""

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import OrderItem, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.handlers import (
    CONFLICT,
    FORBIDDEN,
    MISSING,
    Refused,
    decide_approval,
    price_order,
    raise_jeopardy_past_due,
    withdraw_approvals_of_cancelled_order,
    withdraw_superseded_approvals,
)
from pricing_approval.publication import publish_catalogue
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings

from ..builders import internet_order, qualified
from .fakes import FakePricingUnitOfWork

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday
CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()), clock=lambda: NOW)
DIRECTOR = Principal(subject="dana-director", roles=frozenset({Role.SALES_DIRECTOR}))
LAWYER = Principal(subject="lee-legal", roles=frozenset({Role.LEGAL}))


async def price(uow: FakePricingUnitOfWork, *events) -> list:
    """Price the qualified orders in one transaction, as the consumer does; the events it emitted."""
    emitted_before = len(uow.events)
    for event in events:
        await price_order(event, uow, CONTEXT)
    await uow.commit()
    return uow.events[emitted_before:]


def pending_request(uow: FakePricingUnitOfWork, role: Role, version: int = 1):
    [request] = [
        r for r in uow.approvals.by_id.values() if (r.role, r.order_version, r.status) == (role, version, "pending")
    ]
    return request


async def test_an_order_within_every_limit_is_priced_and_approved_at_once() -> None:
    uow = FakePricingUnitOfWork()
    priced, approved = await price(uow, qualified(internet_order("PO-5")))

    assert isinstance(priced, OrderPriced) and isinstance(approved, OrderApproved)
    assert priced.required_approvals == [] and approved.approvals == []
    assert [item.discount_percent for item in approved.pricing.items] == [5]
    assert uow.quotes.by_order["PO-5"].status is QuoteStatus.APPROVED
    assert uow.proposals.by_order["PO-5"].state == "draft"
    assert await price(uow, qualified(internet_order("PO-5"))) == [], "a repeated version changes nothing"


async def test_a_twenty_five_percent_discount_waits_for_the_sales_director_two_business_days() -> None:
    uow = FakePricingUnitOfWork()
    priced, pending = await price(uow, qualified(internet_order("PO-25", discount="25")))

    [requirement] = priced.required_approvals
    assert (requirement.role, requirement.status) == (Role.SALES_DIRECTOR, "pending")
    assert requirement.due_at == datetime(2026, 12, 3, 15, 0, tzinfo=UTC).astimezone(requirement.due_at.tzinfo)
    assert isinstance(pending, OrderFallout) and pending.kind is FalloutKind.PENDING
    assert [finding.message for finding in pending.findings] == [
        "waiting for sales_director: discount 25% on item 1 > 20% → sales_director"
    ]
    assert uow.quotes.by_order["PO-25"].status is QuoteStatus.PENDING_APPROVAL
    assert pending_request(uow, Role.SALES_DIRECTOR).id == requirement.request_id


async def test_an_order_with_no_signed_agreement_waits_for_the_customer_to_sign_its_proposal() -> None:
    uow = FakePricingUnitOfWork()
    _, pending = await price(uow, qualified(internet_order("PO-NEW", signed_date=None)))

    assert pending.kind is FalloutKind.PENDING
    assert [finding.reason_code for finding in pending.findings] == ["AGREEMENT_UNSIGNED"]
    assert uow.quotes.by_order["PO-NEW"].status is QuoteStatus.AWAITING_SIGNATURE


async def test_an_item_the_catalogue_does_not_sell_rejects_the_order_with_what_to_correct() -> None:
    order = internet_order("PO-BAD")
    order = order.model_copy(
        update={"items": [OrderItem(id="1", product_offering_id="DIA-FIBER", characteristics={"bandwidth_mbps": 7})]}
    )
    uow = FakePricingUnitOfWork()
    [rejected] = await price(uow, qualified(order))

    assert rejected.kind is FalloutKind.REJECTED and rejected.stage is Stage.PRICED
    assert [finding.reason_code for finding in rejected.findings] == ["INVALID_VALUE"]
    quote = uow.quotes.by_order["PO-BAD"]
    assert quote.status is QuoteStatus.REJECTED and quote.rejection["reasonCode"] == "INVALID_VALUE"
    assert "PO-BAD" not in uow.proposals.by_order


async def test_a_cancelled_order_is_not_priced() -> None:
    uow = FakePricingUnitOfWork()
    await uow.orders.note_cancelled("PO-GONE", version=1, reason="customer left")

    assert await price(uow, qualified(internet_order("PO-GONE"))) == []
    assert "PO-GONE" not in uow.quotes.by_order


async def test_of_two_versions_qualified_together_only_the_later_is_priced() -> None:
    uow = FakePricingUnitOfWork()
    events = await price(
        uow,
        qualified(internet_order("PO-2V", discount="25"), version=2),
        qualified(internet_order("PO-2V"), version=1),
    )

    assert [(type(event), event.order_version) for event in events] == [(OrderPriced, 2), (OrderFallout, 2)]
    assert uow.quotes.by_order["PO-2V"].order_version == 2


async def test_a_revision_carries_the_grants_whose_inputs_did_not_change_and_asks_again_the_rest() -> None:
    uow = FakePricingUnitOfWork()
    terms = "net 60 payment terms"
    await price(uow, qualified(internet_order("PO-REV", discount="25", non_standard_terms=terms)))
    legal = pending_request(uow, Role.LEGAL)
    await decide_approval(uow, request_id=legal.id, approver=LAWYER, grant=True, comment="fine", now=NOW)
    corrected = OrderCorrected(order_id="PO-REV", order_version=2, corrected_by="sam-specialist")
    await withdraw_superseded_approvals(corrected, uow, CONTEXT)
    assert uow.quotes.by_order["PO-REV"].status is QuoteStatus.SUPERSEDED
    [director] = [r for r in uow.approvals.by_id.values() if r.role is Role.SALES_DIRECTOR]
    assert (director.status, director.withdrawn_because) == (
        RequestStatus.WITHDRAWN,
        "order PO-REV was corrected: version 2 replaces version 1",
    )

    priced, pending = await price(
        uow, qualified(internet_order("PO-REV", discount="22", non_standard_terms=terms), version=2)
    )

    statuses = {requirement.role: requirement.status for requirement in priced.required_approvals}
    assert statuses == {Role.SALES_DIRECTOR: "pending", Role.LEGAL: "granted"}
    assert [finding.message.split(":")[0] for finding in pending.findings] == ["waiting for sales_director"]
    carried = next(r for r in uow.approvals.by_id.values() if r.order_version == 2 and r.role is Role.LEGAL)
    assert (carried.carried_from, carried.decided_by) == (legal.id, "lee-legal")


async def test_a_revision_priced_before_its_correction_is_heard_of_ends_the_requests_of_earlier_versions() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-EARLY", discount="25")))
    earlier = pending_request(uow, Role.SALES_DIRECTOR)

    await price(uow, qualified(internet_order("PO-EARLY", discount="25"), version=2))

    withdrawn = uow.approvals.by_id[earlier.id]
    assert (withdrawn.status, withdrawn.withdrawn_because) == (
        RequestStatus.WITHDRAWN,
        "order PO-EARLY was corrected: version 2 replaces version 1",
    )
    assert pending_request(uow, Role.SALES_DIRECTOR, version=2).order_version == 2


async def test_a_cancel_withdraws_every_pending_request_and_cancels_the_quote() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-C", discount="25")))
    await withdraw_approvals_of_cancelled_order(_cancel("PO-C", FalloutKind.CANCELLED), uow, CONTEXT)

    [request] = uow.approvals.by_id.values()
    assert (request.status, request.withdrawn_because) == (
        RequestStatus.WITHDRAWN,
        "order PO-C was cancelled: customer left",
    )
    assert uow.quotes.by_order["PO-C"].status is QuoteStatus.CANCELLED
    with pytest.raises(Refused) as refused:
        await decide_approval(uow, request_id=request.id, approver=DIRECTOR, grant=True, comment=None, now=NOW)
    assert refused.value.reason == CONFLICT


async def test_a_cancel_requested_after_the_hand_off_leaves_the_approved_quote_and_other_fallout_changes_nothing():
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-LIVE")))
    await withdraw_approvals_of_cancelled_order(_cancel("PO-LIVE", FalloutKind.HELD), uow, CONTEXT)
    assert await uow.orders.standing("PO-LIVE") is None
    await withdraw_approvals_of_cancelled_order(_cancel("PO-LIVE", FalloutKind.CANCELLATION_REQUESTED), uow, CONTEXT)

    assert uow.quotes.by_order["PO-LIVE"].status is QuoteStatus.APPROVED
    assert (await uow.orders.standing("PO-LIVE")).cancel_reason == "customer left"


def _cancel(order_id: str, kind: FalloutKind) -> OrderFallout:
    finding = Finding(reason_code="CANCELLED", message="customer left")
    return OrderFallout(order_id=order_id, order_version=1, stage=Stage.PRICED, kind=kind, findings=[finding])


async def test_the_last_grant_approves_the_order_with_every_approval_and_releases_it() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-OK", discount="25")))
    request = pending_request(uow, Role.SALES_DIRECTOR)
    before = len(uow.events)

    decided = await decide_approval(uow, request_id=request.id, approver=DIRECTOR, grant=True, comment="ok", now=NOW)

    assert (decided.status, decided.decided_by, decided.comment) == (RequestStatus.GRANTED, "dana-director", "ok")
    approved, released = uow.events[before:]
    assert isinstance(approved, OrderApproved)
    assert [(grant.role, grant.approver) for grant in approved.approvals] == [(Role.SALES_DIRECTOR, "dana-director")]
    assert released.kind is FalloutKind.RELEASED
    assert [f.message for f in released.findings] == ["every approval was granted (sales_director dana-director)"]
    assert uow.quotes.by_order["PO-OK"].status is QuoteStatus.APPROVED
    assert uow.approvals.decisions == [
        {"request_id": request.id, "decision": RequestStatus.GRANTED, "actor": "dana-director", "comment": "ok"}
    ]


async def test_one_grant_of_two_leaves_the_order_waiting_for_the_other() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-TWO", discount="25", non_standard_terms="net 60")))
    before = len(uow.events)
    legal = pending_request(uow, Role.LEGAL)
    await decide_approval(uow, request_id=legal.id, approver=LAWYER, grant=True, comment=None, now=NOW)

    [waiting] = uow.events[before:]
    assert waiting.kind is FalloutKind.PENDING
    assert [finding.message.split(":")[0] for finding in waiting.findings] == ["waiting for sales_director"]
    assert uow.quotes.by_order["PO-TWO"].status is QuoteStatus.PENDING_APPROVAL


async def test_a_denial_rejects_the_order_and_withdraws_what_else_was_asked() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-NO", discount="25", non_standard_terms="net 60")))
    director, legal = pending_request(uow, Role.SALES_DIRECTOR), pending_request(uow, Role.LEGAL)
    before = len(uow.events)

    await decide_approval(uow, request_id=director.id, approver=DIRECTOR, grant=False, comment="too deep", now=NOW)

    [rejected] = uow.events[before:]
    assert rejected.kind is FalloutKind.REJECTED
    [finding] = rejected.findings
    assert (finding.reason_code, finding.message) == (
        "PRICING_UNAPPROVED",
        "sales_director dana-director denied the order: too deep",
    )
    assert uow.quotes.by_order["PO-NO"].rejection["message"] == finding.message
    withdrawn = uow.approvals.by_id[legal.id]
    assert (withdrawn.status, withdrawn.withdrawn_because) == (RequestStatus.WITHDRAWN, finding.message)
    with pytest.raises(Refused, match=f"request {legal.id} was withdrawn: {finding.message}"):
        await decide_approval(uow, request_id=legal.id, approver=LAWYER, grant=True, comment=None, now=NOW)


@pytest.mark.parametrize(
    ("approver", "reason", "message"),
    [
        (LAWYER, FORBIDDEN, "is for sales_director, a role lee-legal lacks"),
        (
            Principal(subject="sam-specialist", roles=frozenset({Role.SALES_DIRECTOR})),
            FORBIDDEN,
            "sam-specialist submitted order PO-WHO: another person must decide",
        ),
    ],
)
async def test_only_a_holder_of_the_role_who_is_not_on_the_order_decides(approver, reason, message) -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-WHO", discount="25")))
    request = pending_request(uow, Role.SALES_DIRECTOR)
    before = len(uow.events)

    with pytest.raises(Refused, match=message) as refused:
        await decide_approval(uow, request_id=request.id, approver=approver, grant=True, comment=None, now=NOW)

    assert refused.value.reason == reason
    assert uow.events[before:] == [] and uow.approvals.by_id[request.id].status is RequestStatus.PENDING


async def test_whoever_corrected_the_order_may_not_decide_on_it() -> None:
    uow = FakePricingUnitOfWork()
    corrected = OrderCorrected(order_id="PO-FIX", order_version=2, corrected_by="dana-director")
    await withdraw_superseded_approvals(corrected, uow, CONTEXT)
    await price(uow, qualified(internet_order("PO-FIX", discount="25"), version=2))
    request = pending_request(uow, Role.SALES_DIRECTOR, version=2)

    with pytest.raises(Refused, match="dana-director corrected order PO-FIX: another person must decide"):
        await decide_approval(uow, request_id=request.id, approver=DIRECTOR, grant=True, comment=None, now=NOW)


async def test_a_request_decided_or_unknown_is_not_decided_again() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-TWICE", discount="25")))
    request = pending_request(uow, Role.SALES_DIRECTOR)
    await decide_approval(uow, request_id=request.id, approver=DIRECTOR, grant=True, comment=None, now=NOW)

    with pytest.raises(Refused, match="is granted by dana-director: nothing left to decide") as again:
        await decide_approval(uow, request_id=request.id, approver=DIRECTOR, grant=False, comment="no", now=NOW)
    assert again.value.reason == CONFLICT
    with pytest.raises(Refused) as unknown:
        await decide_approval(uow, request_id="APR-NONE", approver=DIRECTOR, grant=True, comment=None, now=NOW)
    assert unknown.value.reason == MISSING


async def test_an_approval_past_due_puts_its_order_in_jeopardy_once() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-LATE", discount="25")))
    request = pending_request(uow, Role.SALES_DIRECTOR)
    before = len(uow.events)

    assert await raise_jeopardy_past_due(uow, now=request.due_at - timedelta(minutes=1)) == 0
    assert await raise_jeopardy_past_due(uow, now=request.due_at) == 1
    assert await raise_jeopardy_past_due(uow, now=request.due_at + timedelta(days=1)) == 0

    [jeopardy] = uow.events[before:]
    assert jeopardy.kind is FalloutKind.JEOPARDY and jeopardy.order_id == "PO-LATE"
    assert [finding.reason_code for finding in jeopardy.findings] == ["TIMEOUT"]


async def test_the_catalogue_in_force_is_announced_once() -> None:
    uow = FakePricingUnitOfWork()
    database = _DatabaseOf(uow)

    await publish_catalogue(database, CONTEXT)
    await publish_catalogue(database, CONTEXT)

    [announced] = uow.events
    assert isinstance(announced, CataloguePublished)
    assert announced.version == CONTEXT.rules.catalogue.version
    assert "DIA-FIBER" in {offering.id for offering in announced.offerings}


class _DatabaseOf:
    """A database whose every unit of work is the one in memory."""

    def __init__(self, uow: FakePricingUnitOfWork) -> None:
        self._uow = uow

    @asynccontextmanager
    async def unit_of_work(self):
        yield self._uow
