"""Pricing-approval's review of proposals reps wrote themselves: an upload is read and compared with the order's
priced quote, the catalogue and the market policies at once; the desk accepts a difference with a reason, or has a
corrected version uploaded, and approves a version with no difference left open."""

from dataclasses import replace
from datetime import datetime

from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.telemetry import ORDER_VERSION, order_step
from pricing_approval.domain.markets import item_markets
from pricing_approval.domain.proposal_review import (
    RepProposal,
    RepProposalState,
    accept_difference,
    approve,
    new_rep_proposal_id,
    review,
)
from pricing_approval.domain.records import StoredQuote
from pricing_approval.domain.workflow import CLOSED_QUOTES
from pricing_approval.handlers import CONFLICT, MISSING, Refused, ensure_may, not_priced
from pricing_approval.rep_proposal_documents import ProposalDocument
from pricing_approval.rules_in_force import PricingRules
from pricing_approval.unit_of_work import PricingUnitOfWork


async def upload_rep_proposal(
    uow: PricingUnitOfWork,
    *,
    order_id: str,
    uploader: Principal,
    file_name: str,
    content: bytes,
    document: ProposalDocument,
    now: datetime,
    rules: PricingRules,
) -> RepProposal:
    """Keep the upload as the next version of the rep's proposal for the order's latest version, with the
    differences its text shows; the version it replaces, if still in review, is superseded."""
    async with order_step(uow, order_id, "review rep proposal") as step:
        quote = await _open_quote(uow, order_id, uploader, access.OrderAction.CHANGE)
        step.set_attribute(ORDER_VERSION, quote.order_version)
        earlier = await uow.rep_proposals.of_order(order_id)
        for replaced in earlier:
            if replaced.state is RepProposalState.IN_REVIEW:
                await uow.rep_proposals.store(replace(replaced, state=RepProposalState.SUPERSEDED))
        proposal = RepProposal(
            id=new_rep_proposal_id(),
            order_id=order_id,
            order_version=quote.order_version,
            version=len(earlier) + 1,
            file_name=file_name,
            media_type=document.media_type,
            size_bytes=len(content),
            text=document.text,
            differences=tuple(
                review(
                    document.text,
                    pricing=quote.pricing,
                    offerings_ordered={item.id: item.product_offering_id for item in quote.order.items},
                    item_markets=item_markets(quote.sites),
                    catalogue=rules.catalogue,
                    markets=rules.markets,
                )
            ),
            uploaded_by=uploader.subject,
            uploaded_at=now,
        )
        await uow.rep_proposals.add(proposal, content=content)
        return proposal


async def accept_rep_difference(
    uow: PricingUnitOfWork,
    *,
    order_id: str,
    proposal_id: str,
    number: int,
    reviewer: Principal,
    reason: str,
    now: datetime,
) -> RepProposal:
    """Accept one difference as the document states it, with the desk's reason."""
    async with order_step(uow, order_id, "accept rep proposal difference"):
        await _open_quote(uow, order_id, reviewer, access.OrderAction.DECIDE)
        proposal = await _rep_proposal(uow, order_id, proposal_id)
        accepted = accept_difference(proposal, number, reason=reason, by=reviewer.subject, at=now)
        await uow.rep_proposals.store(accepted)
        return accepted


async def approve_rep_proposal(
    uow: PricingUnitOfWork, *, order_id: str, proposal_id: str, reviewer: Principal, now: datetime
) -> RepProposal:
    """Approve the version as final: none of its differences open, and of the order's version in force."""
    async with order_step(uow, order_id, "approve rep proposal"):
        quote = await _open_quote(uow, order_id, reviewer, access.OrderAction.DECIDE)
        proposal = await _rep_proposal(uow, order_id, proposal_id)
        approved = approve(proposal, live_version=quote.order_version, by=reviewer.subject, at=now)
        await uow.rep_proposals.store(approved)
        return approved


async def _open_quote(
    uow: PricingUnitOfWork, order_id: str, person: Principal, action: access.OrderAction
) -> StoredQuote:
    """The order's latest priced quote, locked, when the person may take the action on the order (a rep uploads for
    their own orders; nobody approves for an order they submitted, corrected or are named on) and it is still open."""
    quote = await uow.quotes.get(order_id, for_update=True)
    if quote is None:
        raise Refused(MISSING, not_priced(order_id))
    await ensure_may(uow, person, quote, action)
    if dead := await uow.orders.refusal(order_id, version=quote.order_version):
        raise Refused(CONFLICT, dead)
    if quote.status in CLOSED_QUOTES or quote.pricing is None or quote.order is None:
        raise Refused(CONFLICT, f"order {order_id} is {quote.status}: no open quote to review a proposal against")
    return quote


async def _rep_proposal(uow: PricingUnitOfWork, order_id: str, proposal_id: str) -> RepProposal:
    proposal = await uow.rep_proposals.get(proposal_id, for_update=True)
    if proposal is None or proposal.order_id != order_id:
        raise Refused(MISSING, f"order {order_id} has no rep proposal {proposal_id}")
    return proposal
