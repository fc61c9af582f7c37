"""The proposal the customer signs: its lifecycle, and the gate that holds the hand-off until it is signed.

A priced order has a draft; a rep or specialist sends it (open for the policy's days), then records the
customer's answer: accepted (signed by a contact named on the order, on a day since it was sent) or declined.
A sent proposal left unsigned past its last day expires, and may be sent again. Where the policy
(policies/proposal.v1.toml) asks for a signed agreement and the order carries none, the order is approved only
once every approval is granted and the proposal is accepted.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Agreement, OrderType, ProductOrder
from pricing_approval.domain.workflow import QuoteStatus

SIGNATURE_PATH = "agreement.signedDate"


class ProposalPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    signature_required_for: frozenset[OrderType]
    valid_days: Annotated[int, Field(ge=1)]


class ProposalState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ProposalRecord:
    """The proposal of one version of an order: where it stands with the customer, and who did what when."""

    order_id: str
    order_version: int
    state: ProposalState
    # The hand-off waits for the customer's acceptance (the policy asks for a signature the order lacks).
    signature_required: bool
    sent_at: datetime | None = None
    sent_by: str | None = None
    expires_on: date | None = None
    signed_by: str | None = None
    signed_on: date | None = None
    declined_reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def signature_outstanding(self) -> bool:
        return self.signature_required and self.state is not ProposalState.ACCEPTED


class ProposalConflict(Exception):
    """The proposal is not in a state for what was asked (a 409)."""


class InvalidAcceptance(Exception):
    """The acceptance names a signer or a day the proposal cannot have been signed by or on (a 422)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


def draft(order: ProductOrder, *, version: int, policy: ProposalPolicy) -> ProposalRecord:
    """A priced order's proposal, not sent yet; it holds the hand-off when the policy asks for a signature the
    order does not carry (a channel may bring a contract signed already)."""
    signed = order.agreement is not None and order.agreement.signed_date is not None
    return ProposalRecord(
        order_id=order.id,
        order_version=version,
        state=ProposalState.DRAFT,
        signature_required=order.order_type in policy.signature_required_for and not signed,
    )


def send(proposal: ProposalRecord, *, by: str, at: datetime, today: date, policy: ProposalPolicy) -> ProposalRecord:
    """Send (or send again) a proposal the customer has not answered: open through `valid_days` from today."""
    if proposal.state in (ProposalState.ACCEPTED, ProposalState.DECLINED):
        raise ProposalConflict(_stands(proposal))
    return replace(
        proposal,
        state=ProposalState.SENT,
        sent_at=at,
        sent_by=by,
        expires_on=today + timedelta(days=policy.valid_days),
    )


def accept(
    proposal: ProposalRecord,
    *,
    order: ProductOrder,
    signed_by: str,
    signed_on: date,
    by: str,
    at: datetime,
    today: date,
    zone: ZoneInfo,
) -> ProposalRecord:
    """Record the customer's signature on a sent proposal: by a contact named on the order, on a day from the one
    it was sent to today."""
    if proposal.state is not ProposalState.SENT:
        raise ProposalConflict(_stands(proposal))
    problems = []
    signer = _contact_named(order, signed_by)
    if signer is None:
        names = ", ".join(contact.name for contact in order.contacts)
        known = f"its contacts are {names}" if names else "it names no contact: add the signer to the order first"
        problems.append(("signedBy", f"{signed_by} is not a contact named on order {order.id}; {known}"))
    sent_on = proposal.sent_at.astimezone(zone).date()
    if signed_on > today:
        problems.append(("signedOn", f"{signed_on} is in the future (today is {today})"))
    elif signed_on < sent_on:
        problems.append(("signedOn", f"{signed_on} is before the proposal was sent, on {sent_on}"))
    if problems:
        raise InvalidAcceptance(problems)
    return replace(
        proposal, state=ProposalState.ACCEPTED, signed_by=signer, signed_on=signed_on, decided_by=by, decided_at=at
    )


def decline(proposal: ProposalRecord, *, reason: str, by: str, at: datetime) -> ProposalRecord:
    """Record that the customer declined a proposal sent to them (expired or not)."""
    if proposal.state not in (ProposalState.SENT, ProposalState.EXPIRED):
        raise ProposalConflict(_stands(proposal))
    return replace(proposal, state=ProposalState.DECLINED, declined_reason=reason, decided_by=by, decided_at=at)


def expire(proposal: ProposalRecord, *, today: date) -> ProposalRecord | None:
    """A sent proposal still unsigned after its last day expires; None while it is open (or not sent)."""
    if proposal.state is ProposalState.SENT and proposal.expires_on < today:
        return replace(proposal, state=ProposalState.EXPIRED)
    return None


def _stands(proposal: ProposalRecord) -> str:
    where = {
        ProposalState.DRAFT: "is a draft: send it to the customer first",
        ProposalState.SENT: f"was sent by {proposal.sent_by} and is open until {proposal.expires_on}",
        ProposalState.ACCEPTED: f"was accepted already: {proposal.signed_by} signed it on {proposal.signed_on}",
        ProposalState.DECLINED: f"was declined: {proposal.declined_reason}",
        ProposalState.EXPIRED: f"expired unsigned after {proposal.expires_on}: send it again",
    }[proposal.state]
    return f"the proposal of order {proposal.order_id} {where}"


def _contact_named(order: ProductOrder, name: str) -> str | None:
    """The contact's name as the order spells it, matched regardless of case and spacing."""
    wanted = " ".join(name.split()).casefold()
    return next((c.name for c in order.contacts if " ".join(c.name.split()).casefold() == wanted), None)


def quote_status(*, approvals_pending: bool, proposal: ProposalRecord | None) -> QuoteStatus:
    """The gate: approved once every approval is granted and any signature the hand-off waits for is given."""
    if approvals_pending:
        return QuoteStatus.PENDING_APPROVAL
    if proposal is not None and proposal.signature_outstanding:
        return QuoteStatus.AWAITING_SIGNATURE
    return QuoteStatus.APPROVED


def signature_finding(proposal: ProposalRecord | None) -> Finding | None:
    """What the order waits for from the customer, when it waits for their signature."""
    if proposal is None or not proposal.signature_outstanding:
        return None
    if proposal.state is ProposalState.EXPIRED:
        return Finding(
            reason_code="PROPOSAL_EXPIRED",
            field_path=SIGNATURE_PATH,
            message=f"the proposal sent by {proposal.sent_by} expired unsigned after {proposal.expires_on}",
            fix="Re-send the proposal to the customer, and record the acceptance once they sign it.",
        )
    return Finding(
        reason_code="AGREEMENT_UNSIGNED",
        field_path=SIGNATURE_PATH,
        message="the order is handed off only once the customer has signed the agreement",
        fix="The customer signs the proposal; record the acceptance (who signed it, and on which day).",
    )


def signature_given(proposal: ProposalRecord | None) -> Finding | None:
    """The signature the order waited for, once the customer gave it (what releases it)."""
    if proposal is None or not proposal.signature_required or proposal.state is not ProposalState.ACCEPTED:
        return None
    return Finding(
        reason_code="AGREEMENT_UNSIGNED",
        field_path=SIGNATURE_PATH,
        message=f"{proposal.signed_by} signed the proposal on {proposal.signed_on}",
    )


def declined_finding(proposal: ProposalRecord) -> Finding:
    """Why a declined proposal rejects the order, and the rep's way on."""
    return Finding(
        reason_code="PROPOSAL_DECLINED",
        field_path="agreement",
        message=f"the customer declined the proposal: {proposal.declined_reason}",
        fix="Revise the order with the customer and resubmit it, or cancel it.",
    )


def signed_order(order: ProductOrder, proposal: ProposalRecord | None) -> ProductOrder:
    """The order as it is approved: its agreement signed by the contact and on the day the acceptance says."""
    if proposal is None or proposal.state is not ProposalState.ACCEPTED:
        return order
    agreement = (order.agreement or Agreement()).model_copy(
        update={"signed_date": proposal.signed_on, "signed_by": proposal.signed_by}
    )
    return order.model_copy(update={"agreement": agreement})
