"""The desk's capital review driven with pricing's unit of work in memory: a flag holds an order that would
otherwise go on, resolving it lets the order go on, and a correction or a cancel ends the flags."""

from datetime import UTC, datetime

import pytest

from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import OrderApproved
from pricing_approval.capital_reviews import resolve_capital_flag, review_capital
from pricing_approval.domain.capital_review import CapitalInput, FlagStatus, Team, Verdict
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.handlers import (
    CONFLICT,
    FORBIDDEN,
    Refused,
    decide_approval,
    withdraw_approvals_of_cancelled_order,
    withdraw_superseded_approvals,
)

from ..builders import internet_order, qualified
from .fakes import FakePricingUnitOfWork
from .test_handlers import CONTEXT, price

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SPECIALIST = Principal(subject="kim-specialist", roles=frozenset({Role.SPECIALIST}))
FINANCE = Principal(subject="fay-finance", roles=frozenset({Role.FINANCE}))
VP = Principal(subject="val-vp", roles=frozenset({Role.VP_SALES}))
APPROVERS = {Role.FINANCE: FINANCE, Role.VP_SALES: VP}


async def _a_build_waiting_for_its_approvals(order_id: str) -> FakePricingUnitOfWork:
    """A 500 ft build paying back in 39.5 months: it waits for finance and the VP of sales."""
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order(order_id), near_net_feet=500))
    assert {r.role for r in uow.approvals.by_id.values()} == {Role.FINANCE, Role.VP_SALES}
    return uow


async def _flag(uow, order_id: str, *, team: Team = Team.ENGINEERING, item_id: str = "1", by=SPECIALIST):
    return await review_capital(
        uow,
        order_id=order_id,
        reviewer=by,
        item_id=item_id,
        doubted=CapitalInput.DISTANCE,
        reason="the design routes 900 ft, not 500",
        team=team,
        now=NOW,
    )


async def _grant_every_request(uow) -> None:
    for request in list(uow.approvals.by_id.values()):
        if request.status is RequestStatus.PENDING:
            approver = APPROVERS[request.role]
            await decide_approval(uow, request_id=request.id, approver=approver, grant=True, comment=None, now=NOW)


async def test_a_flag_holds_the_order_past_its_last_grant_until_it_is_resolved() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-CAP")
    before = len(uow.events)

    flagged = await _flag(uow, "PO-CAP")
    [held] = uow.events[before:]
    assert (held.kind, held.findings[0].reason_code) == (FalloutKind.HELD, "CAPITAL_REVIEW_FLAGGED")
    assert held.findings[0].message == (
        f"kim-specialist flagged the distance of item 1 for engineering: the design routes 900 ft, not 500"
        f" (flag {flagged.id})"
    )

    await _grant_every_request(uow)
    assert not [event for event in uow.events[before:] if isinstance(event, OrderApproved)]
    assert uow.events[-1].kind is FalloutKind.HELD  # the last grant leaves it held, not approved
    assert uow.quotes.by_order["PO-CAP"].status is QuoteStatus.PENDING_APPROVAL
    before = len(uow.events)

    resolved = await resolve_capital_flag(
        uow, order_id="PO-CAP", flag_id=flagged.id, resolver=SPECIALIST, resolution="survey: 500 ft holds", now=NOW
    )

    assert (resolved.status, resolved.resolved_by) == (FlagStatus.RESOLVED, "kim-specialist")
    released, approved, approvals_released = uow.events[before:]
    assert released.kind is FalloutKind.RELEASED
    assert released.findings[0].message.endswith("(engineering): survey: 500 ft holds")
    assert isinstance(approved, OrderApproved) and approvals_released.kind is FalloutKind.RELEASED
    assert uow.quotes.by_order["PO-CAP"].status is QuoteStatus.APPROVED


async def test_of_two_flags_resolving_one_leaves_the_order_held_by_the_other() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-TWO-FLAGS")
    first = await _flag(uow, "PO-TWO-FLAGS")
    await _flag(uow, "PO-TWO-FLAGS", team=Team.FINANCE)
    await _grant_every_request(uow)
    before = len(uow.events)

    await resolve_capital_flag(
        uow, order_id="PO-TWO-FLAGS", flag_id=first.id, resolver=SPECIALIST, resolution="ok", now=NOW
    )

    released, still_held = uow.events[before:]
    assert (released.kind, still_held.kind) == (FalloutKind.RELEASED, FalloutKind.HELD)
    assert [f.reason_code for f in still_held.findings] == ["CAPITAL_REVIEW_FLAGGED"]


async def test_only_a_site_driving_the_capital_is_flagged_and_nothing_is_confirmed_while_a_flag_is_open() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-WHICH")

    with pytest.raises(Refused, match="item 9 is not among the sites driving the capital of order PO-WHICH: 1"):
        await _flag(uow, "PO-WHICH", item_id="9")
    await _flag(uow, "PO-WHICH")
    with pytest.raises(Refused, match="has open capital flags") as refused:
        await review_capital(
            uow, order_id="PO-WHICH", reviewer=SPECIALIST, item_id=None, doubted=None, reason=None, team=None, now=NOW
        )
    assert refused.value.reason == CONFLICT


async def test_a_confirmation_is_kept_and_holds_nothing() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-FINE")
    before = len(uow.events)

    confirmed = await review_capital(
        uow, order_id="PO-FINE", reviewer=SPECIALIST, item_id=None, doubted=None, reason=None, team=None, now=NOW
    )

    assert (confirmed.verdict, confirmed.status) == (Verdict.CONFIRMED, None)
    assert uow.events[before:] == []


async def test_an_order_without_a_build_has_no_capital_to_review() -> None:
    uow = FakePricingUnitOfWork()
    await price(uow, qualified(internet_order("PO-LIT", discount="25")))

    with pytest.raises(Refused, match="needs no construction"):
        await _flag(uow, "PO-LIT")


async def test_the_orders_own_people_do_not_review_it_and_finance_resolves_only_what_was_sent_to_finance() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-ROLES")
    submitter = Principal(subject="sam-specialist", roles=frozenset({Role.SPECIALIST}))
    with pytest.raises(Refused, match="sam-specialist submitted order PO-ROLES") as refused:
        await _flag(uow, "PO-ROLES", by=submitter)
    assert refused.value.reason == FORBIDDEN

    to_engineering = await _flag(uow, "PO-ROLES")
    to_finance = await _flag(uow, "PO-ROLES", team=Team.FINANCE)
    with pytest.raises(Refused, match="a flag sent to engineering is resolved by specialist") as refused:
        await resolve_capital_flag(
            uow, order_id="PO-ROLES", flag_id=to_engineering.id, resolver=FINANCE, resolution="fine", now=NOW
        )
    assert refused.value.reason == FORBIDDEN
    resolved = await resolve_capital_flag(
        uow, order_id="PO-ROLES", flag_id=to_finance.id, resolver=FINANCE, resolution="margin holds", now=NOW
    )
    assert resolved.resolved_by == "fay-finance"
    with pytest.raises(Refused, match="is resolved: nothing to resolve") as again:
        await resolve_capital_flag(
            uow, order_id="PO-ROLES", flag_id=to_finance.id, resolver=FINANCE, resolution="again", now=NOW
        )
    assert again.value.reason == CONFLICT


async def test_a_correction_drops_the_old_versions_flags_and_a_cancel_closes_the_rest() -> None:
    uow = await _a_build_waiting_for_its_approvals("PO-END")
    old = await _flag(uow, "PO-END")

    corrected = OrderCorrected(order_id="PO-END", order_version=2, corrected_by="rep-007")
    await withdraw_superseded_approvals(corrected, uow, CONTEXT)
    assert uow.capital_reviews.by_id[old.id].status is FlagStatus.CLOSED
    assert "version 2" in uow.capital_reviews.by_id[old.id].closed_because

    await price(uow, qualified(internet_order("PO-END"), version=2, near_net_feet=500))
    new = await _flag(uow, "PO-END")
    assert new.order_version == 2
    cancel = OrderFallout(
        order_id="PO-END",
        order_version=2,
        stage=Stage.PRICED,
        kind=FalloutKind.CANCELLED,
        findings=[Finding(reason_code="CANCELLED", message="customer left")],
    )
    await withdraw_approvals_of_cancelled_order(cancel, uow, CONTEXT)

    closed = uow.capital_reviews.by_id[new.id]
    assert (closed.status, closed.closed_because) == (FlagStatus.CLOSED, "order PO-END was cancelled: customer left")
    with pytest.raises(Refused) as refused:
        await resolve_capital_flag(
            uow, order_id="PO-END", flag_id=new.id, resolver=SPECIALIST, resolution="late", now=NOW
        )
    assert refused.value.reason == CONFLICT
