"""What pricing decides for an order, with no I/O: how a qualified version is priced, whether an order goes on once
its approvals and signature are in, whether an approver may still decide a request; each with the events it emits."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.pricing_approval import (
    ApprovalGranted,
    ApprovalRequirement,
    OrderApproved,
    OrderPriced,
    Pricing,
)
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from pricing_approval.domain.approvals import approvals_to_reask
from pricing_approval.domain.assessment import Assessment, assess_order
from pricing_approval.domain.capital_review import CapitalReview, held
from pricing_approval.domain.markets import item_markets
from pricing_approval.domain.pricing import PricingError
from pricing_approval.domain.proposals import (
    ProposalRecord,
    draft,
    quote_status,
    signature_finding,
    signature_given,
    signed_order,
)
from pricing_approval.domain.records import ApprovalRequest, StoredQuote, reasons_document
from pricing_approval.domain.workflow import QuoteStatus, RequestStatus
from pricing_approval.rules_in_force import PricingRules


def new_request_id() -> str:
    return f"APR-{uuid.uuid4().hex[:12].upper()}"


@dataclass(frozen=True)
class PricedVersion:
    """A version of an order priced: the quote to store, and once it is stored, the approval requests and proposal
    to keep and the events to emit."""

    quote: StoredQuote
    requests: list[ApprovalRequest]
    proposal: ProposalRecord | None
    events: list[Event]

    @property
    def key(self) -> tuple[str, int]:
        """The order id and version its quote is stored under."""
        return self.quote.order_id, self.quote.order_version


def price_version(
    event: ServiceabilityQualified,
    *,
    rules: PricingRules,
    now: datetime,
    earlier: Sequence[ApprovalRequest],
    request_id: Callable[[], str] = new_request_id,
) -> PricedVersion:
    """Price a qualified version of an order and ask the approvals it needs, or approve it when it needs none;
    `earlier` are the requests of the latest earlier version that had any, whose grants still hold where their
    inputs did not change."""
    if not_sold := rules.markets.not_sold_findings(event.order, item_markets(event.sites)):
        return _rejected_unpriced(event, not_sold, now=now)
    # The order carries no order date: the day pricing receives it is the day promotions are judged on.
    try:
        assessment = assess_order(
            event.order,
            event.sites,
            catalogue=rules.catalogue,
            policy=rules.policy,
            markets=rules.markets,
            order_date=rules.calendar.day_of(now),
        )
    except PricingError as error:
        return _rejected_unpriced(event, [_unpriceable(error)], now=now)
    requests = _requests_for(event, assessment, rules=rules, now=now, earlier=earlier, request_id=request_id)
    pending = [request for request in requests if request.status is RequestStatus.PENDING]
    rejection = _capital_rejection(assessment)
    proposal = None if rejection else draft(event.order, version=event.order_version, policy=rules.proposals)
    status = QuoteStatus.REJECTED if rejection else quote_status(approvals_pending=bool(pending), proposal=proposal)
    pricing = assessment.pricing(catalogue_version=rules.catalogue.version, policy_version=rules.policy.version)
    requirements = [request.requirement() for request in requests]
    quote = _quote(event, now=now, status=status, pricing=pricing, requirements=requirements, rejection=rejection)
    return PricedVersion(
        quote, requests, proposal, _priced_events(quote, requests, proposal=proposal, rejection=rejection)
    )


def _priced_events(
    quote: StoredQuote,
    requests: Sequence[ApprovalRequest],
    *,
    proposal: ProposalRecord | None,
    rejection: Finding | None,
) -> list[Event]:
    """The version priced; then rejected, approved at once, or waiting for its approvals and signature."""
    carried = {"order_id": quote.order_id, "order_version": quote.order_version, "order": quote.order}
    required = [request.requirement() for request in requests]
    priced = OrderPriced(**carried, sites=quote.sites, pricing=quote.pricing, required_approvals=required)
    if rejection:
        return [priced, fallout(quote, FalloutKind.REJECTED, [rejection])]
    if quote.status is QuoteStatus.APPROVED:
        return [priced, OrderApproved(**carried, sites=quote.sites, pricing=quote.pricing, approvals=granted(requests))]
    pending = [request for request in requests if request.status is RequestStatus.PENDING]
    return [priced, _waiting_fallout(quote, pending=pending, proposal=proposal)]


def _unpriceable(error: PricingError) -> Finding:
    return Finding(
        reason_code="INVALID_VALUE",
        field_path="items",
        message=str(error),
        fix="Correct the item to an offering, characteristic value and term the catalogue sells, and resubmit.",
    )


def _rejected_unpriced(event: ServiceabilityQualified, findings: list[Finding], *, now: datetime) -> PricedVersion:
    """A version rejected before it could be priced; its quote keeps the first finding as the rejection."""
    quote = _quote(event, now=now, status=QuoteStatus.REJECTED, pricing=None, requirements=[], rejection=findings[0])
    return PricedVersion(quote, [], None, [fallout(quote, FalloutKind.REJECTED, findings)])


def _quote(
    event: ServiceabilityQualified,
    *,
    now: datetime,
    status: QuoteStatus,
    pricing: Pricing | None,
    requirements: Sequence[ApprovalRequirement],
    rejection: Finding | None,
) -> StoredQuote:
    return StoredQuote(
        order_id=event.order_id,
        order_version=event.order_version,
        status=status,
        order=event.order,
        sites=event.sites,
        pricing=pricing,
        required_approvals=[a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in requirements],
        rejection=rejection.model_dump(mode="json", by_alias=True) if rejection else None,
        priced_at=now,
        decided_at=now if status is not QuoteStatus.PENDING_APPROVAL else None,
    )


def _requests_for(
    event: ServiceabilityQualified,
    assessment: Assessment,
    *,
    rules: PricingRules,
    now: datetime,
    earlier: Sequence[ApprovalRequest],
    request_id: Callable[[], str],
) -> list[ApprovalRequest]:
    """One request per approval the order needs: pending, or granted already when a revision left its inputs alone."""
    if assessment.rejection or not assessment.approvals:
        return []
    grants = {request.role: request for request in earlier if request.status is RequestStatus.GRANTED}
    to_ask = set(
        approvals_to_reask(required=assessment.approvals, granted=[grant.required() for grant in grants.values()])
    )
    requests = []
    for approval in assessment.approvals:
        request = ApprovalRequest(
            id=request_id(),
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
        requests.append(request if approval in to_ask else _carry(request, grants[approval.role]))
    return requests


def _carry(request: ApprovalRequest, grant: ApprovalRequest) -> ApprovalRequest:
    """The earlier grant, still good for this version because what it decided on did not change."""
    return replace(
        request,
        status=RequestStatus.GRANTED,
        decided_by=grant.decided_by,
        decided_at=grant.decided_at,
        comment=grant.comment,
        carried_from=grant.id,
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


@dataclass(frozen=True)
class Readiness:
    """Where the quote stands once its approvals and proposal are looked at, and what the desk hears of it."""

    status: QuoteStatus
    events: list[Event]


def readiness(
    quote: StoredQuote,
    *,
    requests: Sequence[ApprovalRequest],
    proposal: ProposalRecord | None,
    open_flags: Sequence[CapitalReview] = (),
) -> Readiness:
    """The order is approved once every approval is granted, no capital flag is open and the customer signed where
    the hand-off waits for it; until then it is pending with what it still waits for, held while a flag is open."""
    pending = [request for request in requests if request.status is RequestStatus.PENDING]
    # An open capital flag is one more approval the order awaits: the desk's, on its capital inputs.
    status = quote_status(approvals_pending=bool(pending or open_flags), proposal=proposal)
    if status is not QuoteStatus.APPROVED:
        return Readiness(status, [_waiting_fallout(quote, pending=pending, proposal=proposal, open_flags=open_flags)])
    grants = granted(requests)
    approved = OrderApproved(
        order_id=quote.order_id,
        order_version=quote.order_version,
        order=signed_order(quote.order, proposal),
        sites=quote.sites,
        pricing=quote.pricing,
        approvals=grants,
    )
    released = []
    if grants:
        who = ", ".join(f"{grant.role} {grant.approver}" for grant in grants)
        released.append(Finding(reason_code="PRICING_APPROVAL_REQUIRED", message=f"every approval was granted ({who})"))
    if signed := signature_given(proposal):
        released.append(signed)
    return Readiness(status, [approved, fallout(quote, FalloutKind.RELEASED, released)])


def undecidable(request: ApprovalRequest, *, dead: str | None) -> str | None:
    """Why the request can no longer be decided (`dead`: why its order version is, if it is); None when it can."""
    if request.status is RequestStatus.WITHDRAWN:
        because = f": {request.withdrawn_because}" if request.withdrawn_because else ""
        return f"request {request.id} was withdrawn{because}"
    if dead:
        return f"request {request.id} can no longer be decided: {dead}"
    if request.status is not RequestStatus.PENDING:
        already = f" by {request.decided_by}" if request.decided_by else ""
        return f"request {request.id} is {request.status}{already}: nothing left to decide"
    return None


def denial(request: ApprovalRequest, *, approver: str, comment: str | None) -> Finding:
    return Finding(
        reason_code="PRICING_UNAPPROVED",
        field_path="items",
        message=f"{request.role} {approver} denied the order: {comment or ''}",
        fix="Revise the prices or terms the approver objected to, and resubmit the order.",
    )


def past_due(request: ApprovalRequest) -> OrderFallout:
    """The order in jeopardy for an approval still undecided past its due time."""
    finding = Finding(
        reason_code="TIMEOUT",
        field_path="items",
        message=(
            f"{request.role} approval {request.id} was due {request.due_at.isoformat(timespec='minutes')}"
            f" ({request.sla_business_days} business days) and is still undecided"
        ),
        fix=f"Escalate to the {request.role} or their delegate to decide now.",
    )
    return _fallout(request.order_id, request.order_version, FalloutKind.JEOPARDY, [finding])


def _waiting_fallout(
    quote: StoredQuote,
    *,
    pending: Sequence[ApprovalRequest],
    proposal: ProposalRecord | None,
    open_flags: Sequence[CapitalReview] = (),
) -> OrderFallout:
    """The order is pending at priced: for each approval still asked, and for the customer's signature; held, first
    for each open capital flag, while any is open."""
    findings = [held(flag, quote) for flag in open_flags] + [_waiting(request) for request in pending]
    if signature := signature_finding(proposal):
        findings.append(signature)
    return fallout(quote, FalloutKind.HELD if open_flags else FalloutKind.PENDING, findings)


def _waiting(request: ApprovalRequest) -> Finding:
    return Finding(
        reason_code="PRICING_APPROVAL_REQUIRED",
        field_path="items",
        message=f"waiting for {request.role}: {request.explanation}",
        fix=f"{request.role} decides by {request.due_at.isoformat(timespec='minutes')} (request {request.id}).",
    )


def granted(requests: Sequence[ApprovalRequest]) -> list[ApprovalGranted]:
    """The approvals granted among the requests, as they travel on orders.approved."""
    return [
        ApprovalGranted(role=r.role, approver=r.decided_by or "", comment=r.comment, decided_at=r.decided_at)
        for r in requests
        if r.status is RequestStatus.GRANTED
    ]


def fallout(quote: StoredQuote, kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
    """The quote's order version out of the flow at priced: waiting, rejected or released."""
    return _fallout(quote.order_id, quote.order_version, kind, findings)


def _fallout(order_id: str, order_version: int, kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
    return OrderFallout(
        order_id=order_id, order_version=order_version, stage=Stage.PRICED, kind=kind, findings=findings
    )
