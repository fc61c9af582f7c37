"""The channels' submissions (CRM opportunities, IVR calls, order emails) as orders: a resend is the same order, a
CRM opportunity's new version corrects it."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from intake.channels import crm, ivr
from intake.channels.email import email_sender, parse_order_email
from intake.domain.duplicates import source_id
from intake.domain.lifecycle import NotAllowed, check_correctable
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
    return await _accept_submission(
        opportunity,
        crm.to_order_request(opportunity),
        uow,
        context,
        submitter=crm.submitter(opportunity),
        document=opportunity.to_json_bytes(),
        corrects=True,
    )


async def accept_ivr_call(call: IvrCallReceived, uow: IntakeUnitOfWork, context: IntakeContext) -> str:
    """Take an IVR call as an order for the caller's account; a repeated call record is the same order."""
    return await _accept_submission(
        call, ivr.to_order_request(call), uow, context, submitter=ivr.submitter(call), document=call.to_json_bytes()
    )


async def accept_order_email(received_email: EmailReceived, uow: IntakeUnitOfWork, context: IntakeContext) -> str:
    """Take an order email as an order; parts that cannot be read are findings, a resent email the same order."""
    # Parsing (MIME, spreadsheets) is CPU work of up to seconds: in a thread, so the event loop keeps serving.
    parsed = await asyncio.to_thread(parse_order_email, received_email.message.encode())
    if parsed.refusal:
        raise UnreadableSubmission(f"the email cannot become an order: {parsed.refusal}")
    return await _accept_submission(
        received_email,
        parsed.request,
        uow,
        context,
        submitter=email_sender(received_email.message.encode()),
        document=received_email.message.encode(),
        channel_findings=parsed.findings,
    )


class UnreadableSubmission(PermanentError):
    """A channel document that cannot become an order at all (no order type, no item): kept as a dead letter."""


class SourceConflict(PermanentError):
    """The sender's id names an order already, which this different document cannot become."""


@dataclass(frozen=True)
class _ReadSubmission:
    """A channel submission read as an order: the order, its TMF622 request and what could not be used as given."""

    order: ProductOrder
    request: dict
    findings: Sequence[Finding]


async def _accept_submission(
    submission: Fact,
    request_document: dict,
    uow: IntakeUnitOfWork,
    context: IntakeContext,
    *,
    submitter: str | None,
    document: bytes,
    channel_findings: Sequence[Finding] = (),
    corrects: bool = False,
) -> str:
    """The order a channel submission makes: a new one, or the one its source made before (corrected by it, for a
    channel whose sources send new versions)."""
    order_id = new_order_id()
    if (first := await _claim(uow, submission, request_document, order_id=order_id, document=document)) != order_id:
        return first
    read = _read(
        request_document, submission.subject, order_id=order_id, submitter=submitter, findings=channel_findings
    )
    rules, now = await uow.reference.rules(context.rules), context.clock()
    source = source_id(read.order)
    if source and (earlier := await uow.submissions.get(source)):
        await uow.submissions.repoint(submission.subject, order_id=earlier.order_id)
        if earlier.document != canonical_bytes(read.request):
            await _correct_from_source(
                earlier.order_id, read, uow, rules=rules, now=now, actor=submitter, corrects=corrects
            )
        return earlier.order_id
    await submit_order(
        read.order,
        uow,
        rules=rules,
        now=now,
        request_document=read.request,
        channel_findings=read.findings,
        source=source,
    )
    return order_id


async def _claim(
    uow: IntakeUnitOfWork, submission: Fact, request_document: dict, *, order_id: str, document: bytes
) -> str:
    """The submission's order: `order_id` if it is the first of its sender's id, else the first one's."""
    channel = request_document["channel"][0]["name"]
    return await uow.submissions.claim(
        source_id=submission.subject, channel=channel, order_id=order_id, document=document
    )


def _read(
    request_document: dict, channel_source: str, *, order_id: str, submitter: str | None, findings: Sequence[Finding]
) -> _ReadSubmission:
    try:
        request = ProductOrderCreate.model_validate(request_document)
    except ValidationError as error:
        problems = [*field_problems(error), *(FieldProblem(f.field_path, f.message) for f in findings)]
        raise UnreadableSubmission(f"{channel_source} cannot become an order: {described(problems)}") from error
    return _ReadSubmission(
        order=to_canonical(request, order_id=order_id, submitted_by=submitter),
        request=request.model_dump(mode="json", exclude_none=True),
        findings=[*findings, *request_findings(request)],
    )


def _conflict(order: ProductOrder, earlier_order_id: str) -> str:
    return (
        f"externalId {order.external_id} of account {order.account.key} ({order.channel}) is order {earlier_order_id}"
        " already, with a different document: correct that order instead"
    )


async def _correct_from_source(
    order_id: str,
    read: _ReadSubmission,
    uow: IntakeUnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str | None,
    corrects: bool,
) -> None:
    """The order its source made before, corrected by a resend with another document: for a channel whose sources
    send new versions (else a conflict), while the order can still be corrected."""
    if not corrects:
        raise SourceConflict(_conflict(read.order, order_id))
    stored = await uow.orders.get(order_id, for_update=True)
    try:
        check_correctable(stored.status)
    except NotAllowed as refused:
        raise SourceConflict(f"order {order_id} can no longer be corrected: {refused}") from refused
    submitted_by = stored.order.submitted_by or actor
    await correct_order(
        stored,
        read.order.model_copy(update={"id": order_id, "submitted_by": submitted_by}),
        uow,
        rules=rules,
        now=now,
        actor=actor or str(read.order.channel),
        request_document=read.request,
        channel_findings=read.findings,
    )
