"""Pricing-approval's handlers: price a qualified order, end the work on a cancelled or corrected one, take an
approver's decision, approve an order once nothing holds it, flag approvals past due.

Each fetches what it needs from the unit of work, has the domain decide, stores the decision and emits its events."""

from collections.abc import Sequence
from datetime import datetime

from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.order_versions import Standing
from orderdesk_shared.telemetry import Traced, order_step
from pricing_approval.domain.capital_review import FlagStatus
from pricing_approval.domain.decisions import (
    PricedVersion,
    denial,
    fallout,
    past_due,
    price_version,
    readiness,
    undecidable,
)
from pricing_approval.domain.records import ApprovalRequest, StoredQuote
from pricing_approval.domain.withdrawals import quote_status_after, work_to_end
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.rules_in_force import PricingRules
from pricing_approval.unit_of_work import PricingUnitOfWork

log = get_logger(__name__)


async def price_order(
    event: ServiceabilityQualified, uow: PricingUnitOfWork, context: ServiceContext[PricingRules]
) -> None:
    """Price a qualified order and ask for the approvals it needs; approve it at once when it needs none.

    A revised order (a later version) asks again only the approvals whose inputs changed; a repeated or
    older version, a version corrected since or a cancelled order changes nothing. Done with the other qualified
    orders of the transaction, before it commits (price_orders).
    """
    uow.before_commit(with_context(price_orders, context), event)


async def price_orders(
    uow: PricingUnitOfWork, qualified: Sequence[Traced[ServiceabilityQualified]], context: ServiceContext[PricingRules]
) -> None:
    """Price qualified orders with one statement each for their quotes, their approval requests and their
    proposals. A version corrected since or a cancelled order is refused as its quote is stored; a version that a
    later one of the same transaction replaces is left, as when it comes late."""
    rules, now = context.rules, context.clock()
    latest = _latest_versions(qualified)
    priced = [
        price_version(traced.item, rules=rules, now=now, earlier=await _earlier_requests(uow, traced.item))
        for traced in latest
    ]
    stored = await uow.quotes.record([version.quote for version in priced])
    kept: list[PricedVersion] = []
    for traced, version in zip(latest, priced, strict=True):
        if version.key not in stored:
            log.info("not priced: priced before, corrected since or cancelled", order_id=version.quote.order_id)
            continue
        await _withdraw_earlier_versions(uow, traced.item, now=now)
        for event in version.events:
            uow.emit(event, trace_context=traced.trace_context)
        kept.append(version)
    await uow.approvals.insert([request for version in kept for request in version.requests])
    await uow.proposals.keep([version.proposal for version in kept if version.proposal])


def _latest_versions(
    qualified: Sequence[Traced[ServiceabilityQualified]],
) -> list[Traced[ServiceabilityQualified]]:
    """The latest version of each order among those qualified together."""
    latest: dict[str, Traced[ServiceabilityQualified]] = {}
    for traced in qualified:
        known = latest.get(traced.item.order_id)
        if known is None or known.item.order_version < traced.item.order_version:
            latest[traced.item.order_id] = traced
    return list(latest.values())


async def _earlier_requests(uow: PricingUnitOfWork, event: ServiceabilityQualified) -> list[ApprovalRequest]:
    """The requests of the order's latest earlier version that had any, whose grants a revision may carry."""
    if event.order_version == 1:
        return []  # nothing came before it
    return await uow.approvals.latest_earlier(event.order_id, before=event.order_version)


async def _withdraw_earlier_versions(uow: PricingUnitOfWork, event: ServiceabilityQualified, *, now: datetime) -> None:
    """A version priced ends the requests still pending on earlier ones (if its correction's notice is late)."""
    if event.order_version == 1:
        return  # nothing came before it
    live = Standing(order_id=event.order_id, live_version=event.order_version, cancel_reason=None)
    await _withdraw(uow, live, now=now)


async def _withdraw(uow: PricingUnitOfWork, known: Standing, *, now: datetime) -> None:
    """End the requests and capital flags of the order's dead versions: a corrected version's capital is recomputed
    when its correction is priced, and a cancelled order's is no longer reviewed."""
    pending = await uow.approvals.pending_versions(known.order_id)
    await uow.approvals.withdraw(work_to_end(known, pending), at=now)
    flagged = await uow.capital_reviews.open_versions(known.order_id)
    await uow.capital_reviews.close(work_to_end(known, flagged), at=now)


async def withdraw_superseded_approvals(event: OrderCorrected, uow: PricingUnitOfWork, context: ServiceContext) -> None:
    """A correction ends what was asked on earlier versions: their pending approval requests are withdrawn and their
    quote is superseded until the new version is priced. The corrector may never approve the order."""
    await uow.orders.note_corrector(event.order_id, event.corrected_by)
    await uow.orders.note_version(event.order_id, event.order_version)
    await _end_dead_work(uow, event.order_id, now=context.clock())


async def withdraw_approvals_of_cancelled_order(
    event: OrderFallout, uow: PricingUnitOfWork, context: ServiceContext
) -> None:
    """A cancel (or a cancel requested after hand-off) withdraws every pending approval request and cancels a quote
    not yet approved; other fallout changes nothing."""
    if event.kind in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        reason = "; ".join(finding.message for finding in event.findings) or "no reason given"
        await uow.orders.note_cancelled(event.order_id, version=event.order_version, reason=reason)
        await _end_dead_work(uow, event.order_id, now=context.clock())


async def _end_dead_work(uow: PricingUnitOfWork, order_id: str, *, now: datetime) -> None:
    known = await uow.orders.standing(order_id)
    # Locked first, as a decision locks it, so a decision taken meanwhile sees the withdrawal.
    quote = await uow.quotes.get(order_id, for_update=True)
    await _withdraw(uow, known, now=now)
    if quote and (status := quote_status_after(known, version=quote.order_version, status=quote.status)):
        await uow.quotes.settle(order_id, status=status, at=now)


class Refused(Exception):
    """An action a person asked for that cannot be taken; `reason` says whether it is forbidden, stale or unknown."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


FORBIDDEN, CONFLICT, MISSING = "forbidden", "conflict", "missing"


def not_priced(order_id: str) -> str:
    """What an unpriced order is told as, and an order the caller may not see (so its existence does not leak)."""
    return f"order {order_id} has not been priced"


async def ensure_may(uow: PricingUnitOfWork, person: Principal, quote: StoredQuote, action: access.OrderAction) -> None:
    """Refuse the person's action on the order unless orderdesk_shared.access allows it."""
    people = await uow.orders.people_of(quote)
    if refused := access.refusal(person, people, action):
        raise Refused(MISSING, not_priced(quote.order_id)) if refused.hidden else Refused(FORBIDDEN, refused.reason)


async def decide_approval(
    uow: PricingUnitOfWork, *, request_id: str, approver: Principal, grant: bool, comment: str | None, now: datetime
) -> ApprovalRequest:
    """Grant or deny one approval request: every request granted approves the order; one denial rejects it.

    Only a holder of the request's role may decide, and never on an order they submitted, corrected or are named on;
    nobody decides a request withdrawn, or one on a version corrected since or an order cancelled.
    """
    found = await uow.approvals.get(request_id)
    if found is None:
        raise Refused(MISSING, f"no approval request {request_id}")
    step = "grant approval" if grant else "deny approval"
    async with order_step(uow, found.order_id, step, version=found.order_version):
        return await _decide_approval(uow, found, approver=approver, grant=grant, comment=comment, now=now)


async def _decide_approval(
    uow: PricingUnitOfWork,
    found: ApprovalRequest,
    *,
    approver: Principal,
    grant: bool,
    comment: str | None,
    now: datetime,
) -> ApprovalRequest:
    # Decisions on one order are taken one at a time, so exactly one of them sees the last grant.
    quote = await uow.quotes.get(found.order_id, for_update=True)
    request = await uow.approvals.get(found.id, for_update=True)
    if request.role not in approver.roles:
        raise Refused(FORBIDDEN, f"request {request.id} is for {request.role}, a role {approver.subject} lacks")
    await ensure_may(uow, approver, quote, access.OrderAction.DECIDE)
    dead = await uow.orders.refusal(request.order_id, version=request.order_version)
    if conflict := undecidable(request, dead=dead):
        raise Refused(CONFLICT, conflict)
    status = RequestStatus.GRANTED if grant else RequestStatus.DENIED
    await uow.approvals.decide(request, status=status, actor=approver.subject, comment=comment, at=now)
    if grant:
        await go_on_when_ready(uow, quote, now=now)
    else:
        await reject(uow, quote, denial(request, approver=approver.subject, comment=comment), now=now)
    return await uow.approvals.get(found.id)


async def go_on_when_ready(uow: PricingUnitOfWork, quote: StoredQuote, *, now: datetime) -> None:
    """Approve the order once every approval is granted, no capital flag is open and the customer signed where the
    hand-off waits for it; until then the order is pending (held while a flag is open) with what it still waits for."""
    requests = await uow.approvals.of_version(quote.order_id, quote.order_version)
    proposal = await uow.proposals.get(quote.order_id, version=quote.order_version)
    reviews = await uow.capital_reviews.of_version(quote.order_id, quote.order_version)
    open_flags = [review for review in reviews if review.status is FlagStatus.OPEN]
    decided = readiness(quote, requests=requests, proposal=proposal, open_flags=open_flags)
    if decided.status is not quote.status:
        await uow.quotes.settle(quote.order_id, status=decided.status, at=now)
    for event in decided.events:
        uow.emit(event)


async def reject(uow: PricingUnitOfWork, quote: StoredQuote, finding: Finding, *, now: datetime) -> None:
    """Reject the order's version with the finding; the approvals still asked are withdrawn, and the capital flags
    still open closed, for the same reason."""
    pending = await uow.approvals.pending_versions(quote.order_id)
    await uow.approvals.withdraw(dict.fromkeys(pending, finding.message), at=now)
    flagged = await uow.capital_reviews.open_versions(quote.order_id)
    await uow.capital_reviews.close(dict.fromkeys(flagged, finding.message), at=now)
    rejection = finding.model_dump(mode="json", by_alias=True)
    await uow.quotes.settle(quote.order_id, status=QuoteStatus.REJECTED, at=now, rejection=rejection)
    uow.emit(fallout(quote, FalloutKind.REJECTED, [finding]))


async def raise_jeopardy_past_due(uow: PricingUnitOfWork, *, now: datetime) -> int:
    """Put an order in jeopardy, once per approval request still undecided past its due time; how many were."""
    overdue = await uow.approvals.claim_past_due(now=now)
    for request in overdue:
        async with order_step(uow, request.order_id, "approval past due", version=request.order_version):
            uow.emit(past_due(request))
    return len(overdue)
