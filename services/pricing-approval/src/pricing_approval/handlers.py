"""Pricing-approval's handlers: price a qualified order, end the work on a cancelled or corrected one, take an
approver's decision, approve an order once nothing holds it, flag approvals past due."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import ApprovalGranted, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.order_correctors import note_corrector
from orderdesk_shared.order_versions import Standing, note_cancelled, note_version, refusal, standing
from orderdesk_shared.telemetry import Traced, order_step
from pricing_approval import repository
from pricing_approval.domain.approvals import approvals_to_reask
from pricing_approval.domain.assessment import Assessment, assess_order
from pricing_approval.domain.pricing import PricingError
from pricing_approval.domain.proposals import (
    ProposalRecord,
    draft,
    quote_status,
    signature_finding,
    signature_given,
    signed_order,
)
from pricing_approval.domain.withdrawals import quote_status_after, requests_to_withdraw
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.repository import ApprovalRequest, StoredQuote, reasons_document
from pricing_approval.rules_in_force import PricingRules
from pricing_approval.tables import order_correctors, order_versions

log = get_logger(__name__)


async def price_order(event: ServiceabilityQualified, uow: UnitOfWork, context: ServiceContext[PricingRules]) -> None:
    """Price a qualified order and ask for the approvals it needs; approve it at once when it needs none.

    A revised order (a later version) asks again only the approvals whose inputs changed; a repeated or
    older version, a version corrected since or a cancelled order changes nothing. Done with the other qualified
    orders of the transaction, before it commits (price_orders).
    """
    uow.before_commit(with_context(price_orders, context), event)


async def price_orders(
    uow: UnitOfWork, qualified: Sequence[Traced[ServiceabilityQualified]], context: ServiceContext[PricingRules]
) -> None:
    """Price qualified orders with one statement each for their quotes, their approval requests and their
    proposals. A version corrected since or a cancelled order is refused as its quote is stored; a version that a
    later one of the same transaction replaces is left, as when it comes late."""
    rules, now = context.rules, context.clock()
    latest: dict[str, Traced[ServiceabilityQualified]] = {}
    for traced in qualified:
        known = latest.get(traced.item.order_id)
        if known is None or known.item.order_version < traced.item.order_version:
            latest[traced.item.order_id] = traced
    quotes = [await _quote(traced.item, uow, rules=rules, now=now) for traced in latest.values()]
    stored = await repository.record_quotes(uow.connection, [quote.values for quote in quotes])
    requests: list[ApprovalRequest] = []
    proposals: list[ProposalRecord] = []
    for traced, quote in zip(latest.values(), quotes, strict=True):
        event = traced.item
        if (event.order_id, event.order_version) not in stored:
            log.info("not priced: priced before, corrected since or cancelled", order_id=event.order_id)
            continue
        await _withdraw_earlier_versions(uow, event, now=now)
        requests += quote.requests
        proposals += [quote.proposal] if quote.proposal else []
        for fact in quote.facts:
            uow.emit(fact, trace_context=traced.trace_context)
    await repository.insert_requests(uow.connection, requests)
    await repository.keep_proposals(uow.connection, proposals)


@dataclass(frozen=True)
class _Quote:
    """A version of an order priced: the quote to store, and what follows once it is stored."""

    values: dict[str, object]
    requests: list[ApprovalRequest]
    proposal: ProposalRecord | None
    facts: list[Event]


async def _quote(event: ServiceabilityQualified, uow: UnitOfWork, *, rules: PricingRules, now: datetime) -> _Quote:
    # The order carries no order date: the day pricing receives it is the day promotions are judged on.
    order_date = rules.calendar.day_of(now)
    quoted = {"order": event.order, "order_version": event.order_version, "sites": event.sites, "priced_at": now}
    try:
        assessment = assess_order(
            event.order, event.sites, catalogue=rules.catalogue, policy=rules.policy, order_date=order_date
        )
    except PricingError as error:
        finding = Finding(
            reason_code="INVALID_VALUE",
            field_path="items",
            message=str(error),
            fix="Correct the item to an offering, characteristic value and term the catalogue sells, and resubmit.",
        )
        values = repository.quote_values(
            **quoted,
            status=QuoteStatus.REJECTED,
            pricing=None,
            required_approvals=[],
            rejection=finding.model_dump(mode="json", by_alias=True),
        )
        return _Quote(
            values, [], None, [_fallout(event.order_id, event.order_version, FalloutKind.REJECTED, [finding])]
        )
    pricing = assessment.pricing(catalogue_version=rules.catalogue.version, policy_version=rules.policy.version)
    requests = await _requests_for(event, uow, assessment=assessment, rules=rules, now=now)
    pending = [request for request in requests if request.status is RequestStatus.PENDING]
    rejection = _capital_rejection(assessment)
    proposal = None if rejection else draft(event.order, version=event.order_version, policy=rules.proposals)
    status = QuoteStatus.REJECTED if rejection else quote_status(approvals_pending=bool(pending), proposal=proposal)
    requirements = [request.requirement() for request in requests]
    values = repository.quote_values(
        **quoted,
        status=status,
        pricing=pricing,
        required_approvals=requirements,
        rejection=rejection.model_dump(mode="json", by_alias=True) if rejection else None,
    )
    carried = {"order_id": event.order_id, "order_version": event.order_version, "order": event.order}
    facts: list[Event] = [OrderPriced(**carried, sites=event.sites, pricing=pricing, required_approvals=requirements)]
    if rejection:
        facts.append(_fallout(event.order_id, event.order_version, FalloutKind.REJECTED, [rejection]))
    elif status is QuoteStatus.APPROVED:
        facts.append(
            OrderApproved(**carried, sites=event.sites, pricing=pricing, approvals=granted_approvals(requests))
        )
    else:
        facts.append(_waiting_fallout(event.order_id, event.order_version, pending=pending, proposal=proposal))
    return _Quote(values, requests, proposal, facts)


async def _requests_for(
    event: ServiceabilityQualified, uow: UnitOfWork, *, assessment: Assessment, rules: PricingRules, now: datetime
) -> list[ApprovalRequest]:
    """One request per approval the order needs: pending, or granted already when a revision left its inputs alone."""
    if assessment.rejection or not assessment.approvals:
        return []
    earlier = (
        await repository.latest_earlier_requests(uow.connection, event.order_id, before=event.order_version)
        if event.order_version > 1
        else []  # nothing came before it
    )
    grants = {request.role: request for request in earlier if request.status is RequestStatus.GRANTED}
    to_ask = set(
        approvals_to_reask(required=assessment.approvals, granted=[grant.required() for grant in grants.values()])
    )
    requests = []
    for approval in assessment.approvals:
        request = ApprovalRequest(
            id=f"APR-{uuid.uuid4().hex[:12].upper()}",
            order_id=event.order_id,
            order_version=event.order_version,
            role=approval.role,
            explanation=approval.explanation,
            reasons=reasons_document(approval),
            sla_business_days=approval.sla_business_days,
            requested_at=now,
            due_at=rules.calendar.add_business_days(now, approval.sla_business_days),
            status=RequestStatus.PENDING,
        )
        if approval not in to_ask:
            grant = grants[approval.role]
            request = _carry(request, grant)
        requests.append(request)
    return requests


def _carry(request: ApprovalRequest, grant: ApprovalRequest) -> ApprovalRequest:
    """The earlier grant, still good for this version because what it decided on did not change."""
    return ApprovalRequest(
        **vars(request)
        | {
            "status": RequestStatus.GRANTED,
            "decided_by": grant.decided_by,
            "decided_at": grant.decided_at,
            "comment": grant.comment,
            "carried_from": grant.id,
        }
    )


def _capital_rejection(assessment: Assessment) -> Finding | None:
    if assessment.rejection is None:
        return None
    return Finding(
        reason_code=assessment.rejection.reason_code,
        field_path="agreement",
        message=assessment.rejection.explanation,
        fix="Add a customer contribution (CIAC) or a longer term, so the build pays back within the policy.",
    )


async def _withdraw_earlier_versions(uow: UnitOfWork, event: ServiceabilityQualified, *, now: datetime) -> None:
    """A version priced ends the requests still pending on earlier ones (if its correction's notice is late)."""
    if event.order_version == 1:
        return  # nothing came before it
    live = Standing(order_id=event.order_id, live_version=event.order_version, cancel_reason=None)
    await _withdraw(uow, live, now=now)


async def _withdraw(uow: UnitOfWork, known: Standing, *, now: datetime) -> None:
    pending = await repository.pending_versions(uow.connection, known.order_id)
    await repository.withdraw(uow.connection, requests_to_withdraw(known, pending), at=now)


async def withdraw_superseded_approvals(event: OrderCorrected, uow: UnitOfWork, context: ServiceContext) -> None:
    """A correction ends what was asked on earlier versions: their pending approval requests are withdrawn and their
    quote is superseded until the new version is priced. The corrector may never approve the order."""
    await note_corrector(uow.connection, order_correctors, order_id=event.order_id, corrected_by=event.corrected_by)
    await note_version(uow.connection, order_versions, order_id=event.order_id, version=event.order_version)
    await _end_dead_work(uow, event.order_id, now=context.clock())


async def withdraw_approvals_of_cancelled_order(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
    """A cancel (or a cancel requested after hand-off) withdraws every pending approval request and cancels a quote
    not yet approved; other fallout changes nothing."""
    if event.kind in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        reason = "; ".join(finding.message for finding in event.findings) or "no reason given"
        await note_cancelled(
            uow.connection, order_versions, order_id=event.order_id, version=event.order_version, reason=reason
        )
        await _end_dead_work(uow, event.order_id, now=context.clock())


async def _end_dead_work(uow: UnitOfWork, order_id: str, *, now: datetime) -> None:
    known = await standing(uow.connection, order_versions, order_id)
    # Locked first, as a decision locks it, so a decision taken meanwhile sees the withdrawal.
    quote = await repository.get_quote(uow.connection, order_id, for_update=True)
    await _withdraw(uow, known, now=now)
    if quote and (status := quote_status_after(known, version=quote.order_version, status=quote.status)):
        await repository.settle_quote(uow.connection, order_id, status=status, at=now)


def _waiting_fallout(
    order_id: str, order_version: int, *, pending: Sequence[ApprovalRequest], proposal: ProposalRecord | None
) -> OrderFallout:
    """The order is pending at priced: for each approval still asked, and for the customer's signature."""
    findings = [_waiting(request) for request in pending]
    if signature := signature_finding(proposal):
        findings.append(signature)
    return _fallout(order_id, order_version, FalloutKind.PENDING, findings)


def _waiting(request: ApprovalRequest) -> Finding:
    return Finding(
        reason_code="PRICING_APPROVAL_REQUIRED",
        field_path="items",
        message=f"waiting for {request.role}: {request.explanation}",
        fix=f"{request.role} decides by {request.due_at.isoformat(timespec='minutes')} (request {request.id}).",
    )


def granted_approvals(requests: Sequence[ApprovalRequest]) -> list[ApprovalGranted]:
    return [
        ApprovalGranted(role=r.role, approver=r.decided_by or "", comment=r.comment, decided_at=r.decided_at)
        for r in requests
        if r.status is RequestStatus.GRANTED
    ]


def _fallout(order_id: str, order_version: int, kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
    return OrderFallout(
        order_id=order_id, order_version=order_version, stage=Stage.PRICED, kind=kind, findings=findings
    )


class Refused(Exception):
    """An action a person asked for that cannot be taken; `reason` says whether it is forbidden, stale or unknown."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


FORBIDDEN, CONFLICT, MISSING = "forbidden", "conflict", "missing"


def not_priced(order_id: str) -> str:
    """What an unpriced order is told as, and an order the caller may not see (so its existence does not leak)."""
    return f"order {order_id} has not been priced"


async def ensure_may(uow: UnitOfWork, person: Principal, quote: StoredQuote, action: access.OrderAction) -> None:
    """Refuse the person's action on the order unless orderdesk_shared.access allows it."""
    people = await repository.people_of(uow.connection, quote)
    if refused := access.refusal(person, people, action):
        raise Refused(MISSING, not_priced(quote.order_id)) if refused.hidden else Refused(FORBIDDEN, refused.reason)


async def decide_approval(
    uow: UnitOfWork, *, request_id: str, approver: Principal, grant: bool, comment: str | None, now: datetime
) -> ApprovalRequest:
    """Grant or deny one approval request: every request granted approves the order; one denial rejects it.

    Only a holder of the request's role may decide, and never on an order they submitted, corrected or are named on;
    nobody decides a request withdrawn, or one on a version corrected since or an order cancelled.
    """
    found = await repository.get_request(uow.connection, request_id)
    if found is None:
        raise Refused(MISSING, f"no approval request {request_id}")
    step = "grant approval" if grant else "deny approval"
    async with order_step(uow, found.order_id, step, version=found.order_version):
        return await _decide_approval(uow, found, approver=approver, grant=grant, comment=comment, now=now)


async def _decide_approval(
    uow: UnitOfWork, found: ApprovalRequest, *, approver: Principal, grant: bool, comment: str | None, now: datetime
) -> ApprovalRequest:
    request_id = found.id
    # Decisions on one order are taken one at a time, so exactly one of them sees the last grant.
    quote = await repository.get_quote(uow.connection, found.order_id, for_update=True)
    request = await repository.get_request(uow.connection, request_id, for_update=True)
    if request.role not in approver.roles:
        raise Refused(FORBIDDEN, f"request {request_id} is for {request.role}, a role {approver.subject} lacks")
    await ensure_may(uow, approver, quote, access.OrderAction.DECIDE)
    if request.status is RequestStatus.WITHDRAWN:
        because = f": {request.withdrawn_because}" if request.withdrawn_because else ""
        raise Refused(CONFLICT, f"request {request_id} was withdrawn{because}")
    if dead := await refusal(uow.connection, order_versions, order_id=request.order_id, version=request.order_version):
        raise Refused(CONFLICT, f"request {request_id} can no longer be decided: {dead}")
    if request.status is not RequestStatus.PENDING:
        already = f" by {request.decided_by}" if request.decided_by else ""
        raise Refused(CONFLICT, f"request {request_id} is {request.status}{already}: nothing left to decide")
    status = RequestStatus.GRANTED if grant else RequestStatus.DENIED
    await repository.decide_request(
        uow.connection, request, status=status, actor=approver.subject, comment=comment, at=now
    )
    if grant:
        await go_on_when_ready(uow, quote, now=now)
    else:
        denial = Finding(
            reason_code="PRICING_UNAPPROVED",
            field_path="items",
            message=f"{request.role} {approver.subject} denied the order: {comment or ''}",
            fix="Revise the prices or terms the approver objected to, and resubmit the order.",
        )
        await reject(uow, quote, denial, now=now)
    return await repository.get_request(uow.connection, request_id)


async def go_on_when_ready(uow: UnitOfWork, quote: StoredQuote, *, now: datetime) -> None:
    """Approve the order once every approval is granted and the customer signed where the hand-off waits for it;
    until then the order is pending with what it still waits for."""
    requests = await repository.requests_for(uow.connection, quote.order_id, quote.order_version)
    proposal = await repository.get_proposal(uow.connection, quote.order_id, version=quote.order_version)
    pending = [request for request in requests if request.status is RequestStatus.PENDING]
    status = quote_status(approvals_pending=bool(pending), proposal=proposal)
    if status is not quote.status:
        await repository.settle_quote(uow.connection, quote.order_id, status=status, at=now)
    if status is not QuoteStatus.APPROVED:
        uow.emit(_waiting_fallout(quote.order_id, quote.order_version, pending=pending, proposal=proposal))
        return
    granted = granted_approvals(requests)
    uow.emit(
        OrderApproved(
            order_id=quote.order_id,
            order_version=quote.order_version,
            order=signed_order(quote.order, proposal),
            sites=quote.sites,
            pricing=quote.pricing,
            approvals=granted,
        )
    )
    released = []
    if granted:
        who = ", ".join(f"{grant.role} {grant.approver}" for grant in granted)
        released.append(Finding(reason_code="PRICING_APPROVAL_REQUIRED", message=f"every approval was granted ({who})"))
    if signed := signature_given(proposal):
        released.append(signed)
    uow.emit(_fallout(quote.order_id, quote.order_version, FalloutKind.RELEASED, released))


async def reject(uow: UnitOfWork, quote: StoredQuote, finding: Finding, *, now: datetime) -> None:
    """Reject the order's version with the finding; the approvals still asked are withdrawn for the same reason."""
    pending = await repository.pending_versions(uow.connection, quote.order_id)
    await repository.withdraw(uow.connection, dict.fromkeys(pending, finding.message), at=now)
    await repository.settle_quote(
        uow.connection,
        quote.order_id,
        status=QuoteStatus.REJECTED,
        at=now,
        rejection=finding.model_dump(mode="json", by_alias=True),
    )
    uow.emit(_fallout(quote.order_id, quote.order_version, FalloutKind.REJECTED, [finding]))


async def raise_jeopardy_past_due(uow: UnitOfWork, *, now: datetime) -> int:
    """Put an order in jeopardy, once per approval request still undecided past its due time; how many were."""
    overdue = await repository.claim_past_due(uow.connection, now=now)
    for request in overdue:
        async with order_step(uow, request.order_id, "approval past due", version=request.order_version):
            uow.emit(_fallout(request.order_id, request.order_version, FalloutKind.JEOPARDY, [_past_due(request)]))
    return len(overdue)


def _past_due(request: ApprovalRequest) -> Finding:
    return Finding(
        reason_code="TIMEOUT",
        field_path="items",
        message=(
            f"{request.role} approval {request.id} was due {request.due_at.isoformat(timespec='minutes')}"
            f" ({request.sla_business_days} business days) and is still undecided"
        ),
        fix=f"Escalate to the {request.role} or their delegate to decide now.",
    )
