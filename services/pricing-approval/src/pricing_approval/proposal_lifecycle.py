"""Pricing-approval's proposal actions: send an order's proposal, record the customer's acceptance or refusal, and
expire the proposals left unsigned past their last day."""

from datetime import date, datetime

from opentelemetry.trace import Span

from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.telemetry import ORDER_VERSION, order_step
from pricing_approval.domain.proposals import (
    ProposalRecord,
    ProposalState,
    accept,
    decline,
    declined_finding,
    expire,
    send,
)
from pricing_approval.domain.records import StoredQuote
from pricing_approval.domain.workflow import CLOSED_QUOTES, QuoteStatus
from pricing_approval.handlers import CONFLICT, MISSING, Refused, ensure_may, go_on_when_ready, not_priced, reject
from pricing_approval.rules_in_force import PricingRules
from pricing_approval.unit_of_work import PricingUnitOfWork


async def send_proposal(
    uow: PricingUnitOfWork, *, order_id: str, actor: Principal, now: datetime, rules: PricingRules
) -> ProposalRecord:
    """Send the order's proposal to the customer, or send it again; open for the policy's days from today.

    Sending an expired proposal again tells the desk the order waits for the signature again, not a re-send.
    """
    async with order_step(uow, order_id, "send proposal") as step:
        quote, proposal = await _proposal_to_act_on(uow, order_id, actor, step)
        sent = send(proposal, by=actor.subject, at=now, today=rules.calendar.day_of(now), policy=rules.proposals)
        await uow.proposals.store(sent)
        if proposal.state is ProposalState.EXPIRED and proposal.signature_outstanding:
            await go_on_when_ready(uow, quote, now=now)
        return sent


async def accept_proposal(
    uow: PricingUnitOfWork,
    *,
    order_id: str,
    actor: Principal,
    signed_by: str,
    signed_on: date,
    now: datetime,
    rules: PricingRules,
) -> ProposalRecord:
    """Record the customer's signature on the sent proposal; an order waiting only for it is approved, carrying who
    signed it and when."""
    async with order_step(uow, order_id, "accept proposal") as step:
        quote, proposal = await _proposal_to_act_on(uow, order_id, actor, step)
        accepted = accept(
            proposal,
            order=quote.order,
            signed_by=signed_by,
            signed_on=signed_on,
            by=actor.subject,
            at=now,
            today=rules.calendar.day_of(now),
            zone=rules.calendar.zone,
        )
        await uow.proposals.store(accepted)
        if proposal.signature_required:
            await go_on_when_ready(uow, quote, now=now)
        return accepted


async def decline_proposal(
    uow: PricingUnitOfWork, *, order_id: str, actor: Principal, reason: str, now: datetime
) -> ProposalRecord:
    """Record that the customer declined the proposal: the order is rejected PROPOSAL_DECLINED.

    An order approved already went on to fulfillment: it is cancelled there, not declined here.
    """
    async with order_step(uow, order_id, "decline proposal") as step:
        quote, proposal = await _proposal_to_act_on(uow, order_id, actor, step)
        if quote.status is QuoteStatus.APPROVED:
            raise Refused(CONFLICT, f"order {order_id} was approved and handed on: cancel the order instead")
        declined = decline(proposal, reason=reason, by=actor.subject, at=now)
        await uow.proposals.store(declined)
        await reject(uow, quote, declined_finding(declined), now=now)
        return declined


async def _proposal_to_act_on(
    uow: PricingUnitOfWork, order_id: str, actor: Principal, step: Span
) -> tuple[StoredQuote, ProposalRecord]:
    """The order's quote, locked as decisions lock it, and its proposal, while the order is live and the actor may
    act on it; the step on it is named after the quote's version."""
    quote = await uow.quotes.get(order_id, for_update=True)
    if quote is None:
        raise Refused(MISSING, not_priced(order_id))
    step.set_attribute(ORDER_VERSION, quote.order_version)
    if quote.order is None:
        raise Refused(CONFLICT, f"order {order_id} was priced before proposals were kept")
    await ensure_may(uow, actor, quote, access.OrderAction.CHANGE)
    if quote.status in CLOSED_QUOTES:
        raise Refused(CONFLICT, await closed_because(uow, quote))
    proposal = await uow.proposals.get(order_id, version=quote.order_version, for_update=True)
    if proposal is None:
        raise Refused(CONFLICT, f"order {order_id} was priced before proposals were kept")
    return quote, proposal


async def closed_because(uow: PricingUnitOfWork, quote: StoredQuote) -> str:
    """Why nobody acts on the quote any more: its rejection, the cancel or the newer version."""
    if quote.status is QuoteStatus.REJECTED:
        return f"order {quote.order_id} was rejected: {quote.rejection['message']}"
    dead = await uow.orders.refusal(quote.order_id, version=quote.order_version)
    return dead or f"order {quote.order_id} is {quote.status}"


async def expire_proposals(uow: PricingUnitOfWork, *, now: datetime, today: date) -> int:
    """Expire, once, each sent proposal still unsigned after its last day; an order waiting for that signature is
    pending PROPOSAL_EXPIRED (send it again). How many expired."""
    claimed = await uow.proposals.claim_past_validity(today=today)
    expired = [ended for proposal in claimed if (ended := expire(proposal, today=today))]
    for proposal in expired:
        async with order_step(uow, proposal.order_id, "expire proposal", version=proposal.order_version):
            await uow.proposals.store(proposal)
            if proposal.signature_outstanding:
                await go_on_when_ready(uow, await uow.quotes.get(proposal.order_id), now=now)
    return len(expired)
