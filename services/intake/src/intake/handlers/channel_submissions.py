"""The channels' submissions (CRM opportunities, IVR calls, order emails) as orders: a resend is the same order, a
CRM opportunity's new version corrects it."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import ValidationError

from intake.channels import crm, ivr
from intake.channels.email import email_sender, parse_order_email
from intake.domain.duplicates import Resend, resend_of, source_id
from intake.domain.lifecycle import NotAllowed, check_correctable
from intake.domain.records import SubmittedOrder
from intake.domain.validation import IntakeRules
from intake.handlers.acceptance import new_order_id, submit_order
from intake.handlers.corrections import correct_order
from intake.repository import canonical_bytes
from intake.rules_in_force import IntakeContext
from intake.tmf622 import ProductOrderCreate, request_findings, to_canonical
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.channels import CrmOpportunitySubmitted, EmailReceived, IvrCallReceived
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.field_problems import FieldProblem, described, field_problems


async def accept_crm_opportunity(
    opportunity: CrmOpportunitySubmitted, uow: IntakeUnitOfWork, context: IntakeContext
) -> str:
    """Take a won CRM opportunity as an order; a resend is the same order, a new version of it corrects the order."""
    request, submitter = crm.to_order_request(opportunity), crm.submitter(opportunity)
    sent = _Sent(opportunity, request, submitter=submitter, document=opportunity.to_json_bytes())
    return await _accept_submission(sent, uow, context, corrects=True)


async def accept_ivr_call(call: IvrCallReceived, uow: IntakeUnitOfWork, context: IntakeContext) -> str:
    """Take an IVR call as an order for the caller's account; a repeated call record is the same order."""
    sent = _Sent(call, ivr.to_order_request(call), submitter=ivr.submitter(call), document=call.to_json_bytes())
    return await _accept_submission(sent, uow, context)


async def accept_order_email(received_email: EmailReceived, uow: IntakeUnitOfWork, context: IntakeContext) -> str:
    """Take an order email as an order; parts that cannot be read are findings, a resent email the same order."""
    message = received_email.message.encode()
    # Parsing (MIME, spreadsheets) is CPU work of up to seconds: in a thread, so the event loop keeps serving.
    parsed = await asyncio.to_thread(parse_order_email, message)
    if parsed.refusal:
        raise UnreadableSubmission(f"the email cannot become an order: {parsed.refusal}")
    sent = _Sent(
        received_email,
        parsed.request,
        submitter=email_sender(message),
        document=message,
        channel_findings=parsed.findings,
    )
    return await _accept_submission(sent, uow, context)


class UnreadableSubmission(PermanentError):
    """A channel document that cannot become an order at all (no order type, no item): kept as a dead letter."""


class SourceConflict(PermanentError):
    """The sender's id names an order already, which this different document cannot become."""


@dataclass(frozen=True)
class _Sent:
    """A channel submission as its channel reads it: the TMF622 request it makes, who sent it, the document as sent
    (a resend is the same document), and what the channel could not read."""

    submission: Fact
    request_document: dict
    submitter: str | None
    document: bytes
    channel_findings: Sequence[Finding] = ()


async def _accept_submission(
    sent: _Sent, uow: IntakeUnitOfWork, context: IntakeContext, *, corrects: bool = False
) -> str:
    """The order a channel submission makes: a new one, or the one its source made before (corrected by it, for a
    channel whose sources send new versions)."""
    order_id = new_order_id()
    if (first := await _claim(uow, sent, order_id=order_id)) != order_id:
        return first
    submitted = _read(sent, order_id=order_id)
    rules, now = await uow.reference.rules(context.rules), context.clock()
    earlier = await uow.submissions.get(submitted.source) if submitted.source else None
    if earlier is None:
        await submit_order(submitted, uow, rules=rules, now=now)
        return order_id
    await uow.submissions.repoint(sent.submission.subject, order_id=earlier.order_id)
    match resend_of(earlier.document, canonical_bytes(submitted.request_document), corrects=corrects):
        case Resend.CONFLICT:
            raise SourceConflict(_conflict(submitted.order, earlier.order_id))
        case Resend.CORRECTION:
            await _correct_from_source(earlier.order_id, submitted, uow, rules=rules, now=now, actor=sent.submitter)
    return earlier.order_id


async def _claim(uow: IntakeUnitOfWork, sent: _Sent, *, order_id: str) -> str:
    """The submission's order: `order_id` if it is the first of its sender's id, else the first one's."""
    channel = sent.request_document["channel"][0]["name"]
    return await uow.submissions.claim(
        source_id=sent.submission.subject, channel=channel, order_id=order_id, document=sent.document
    )


def _read(sent: _Sent, *, order_id: str) -> SubmittedOrder:
    try:
        request = ProductOrderCreate.model_validate(sent.request_document)
    except ValidationError as error:
        problems = [*field_problems(error), *(FieldProblem(f.field_path, f.message) for f in sent.channel_findings)]
        raise UnreadableSubmission(
            f"{sent.submission.subject} cannot become an order: {described(problems)}"
        ) from error
    order = to_canonical(request, order_id=order_id, submitted_by=sent.submitter)
    return SubmittedOrder(
        order,
        request_document=request.model_dump(mode="json", exclude_none=True),
        channel_findings=[*sent.channel_findings, *request_findings(request)],
        source=source_id(order),
    )


def _conflict(order: ProductOrder, earlier_order_id: str) -> str:
    return (
        f"externalId {order.external_id} of account {order.account.key} ({order.channel}) is order {earlier_order_id}"
        " already, with a different document: correct that order instead"
    )


async def _correct_from_source(
    order_id: str,
    submitted: SubmittedOrder,
    uow: IntakeUnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str | None,
) -> None:
    """The order its source made before, corrected by a new version the source sent, while it can still be
    corrected; the order's submitter stays who submitted it."""
    stored = await uow.orders.get(order_id, for_update=True)
    try:
        check_correctable(stored.status)
    except NotAllowed as refused:
        raise SourceConflict(f"order {order_id} can no longer be corrected: {refused}") from refused
    submitted_by = stored.order.submitted_by or actor
    order = submitted.order.model_copy(update={"id": order_id, "submitted_by": submitted_by})
    corrector = actor or str(submitted.order.channel)
    await correct_order(stored, replace(submitted, order=order), uow, rules=rules, now=now, actor=corrector)
