"""The channels' submissions (CRM opportunities, IVR calls, order emails) as orders: a resend is the same order, a
CRM opportunity's new version corrects it."""

import asyncio
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError

from intake import repository
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
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.channels import CrmOpportunitySubmitted, EmailReceived, IvrCallReceived
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.field_problems import FieldProblem, described, field_problems


async def accept_crm_opportunity(opportunity: CrmOpportunitySubmitted, uow: UnitOfWork, context: IntakeContext) -> str:
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


async def accept_ivr_call(call: IvrCallReceived, uow: UnitOfWork, context: IntakeContext) -> str:
    """Take an IVR call as an order for the caller's account; a repeated call record is the same order."""
    return await _accept_submission(
        call, ivr.to_order_request(call), uow, context, submitter=ivr.submitter(call), document=call.to_json_bytes()
    )


async def accept_order_email(received_email: EmailReceived, uow: UnitOfWork, context: IntakeContext) -> str:
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


async def _accept_submission(
    submission: Fact,
    request_document: dict,
    uow: UnitOfWork,
    context: IntakeContext,
    *,
    submitter: str | None,
    document: bytes,
    channel_findings: Sequence[Finding] = (),
    corrects: bool = False,
) -> str:
    """The order a channel submission makes: a new one, or the one its source made before (corrected by it, for a
    channel whose sources send new versions)."""
    order_id, channel_source = new_order_id(), submission.subject
    first = await repository.claim_source_id(
        uow.connection,
        source_id=channel_source,
        channel=request_document["channel"][0]["name"],
        order_id=order_id,
        document=document,
    )
    if first != order_id:
        return first
    try:
        request = ProductOrderCreate.model_validate(request_document)
    except ValidationError as error:
        problems = [*field_problems(error), *(FieldProblem(f.field_path, f.message) for f in channel_findings)]
        raise UnreadableSubmission(f"{channel_source} cannot become an order: {described(problems)}") from error
    order = to_canonical(request, order_id=order_id, submitted_by=submitter)
    request_json = request.model_dump(mode="json", exclude_none=True)
    channel_findings = [*channel_findings, *request_findings(request)]
    rules, now = await context.rules.within(uow.connection), context.clock()
    if (source := source_id(order)) and (earlier := await repository.submission(uow.connection, source)):
        await repository.repoint_submission(uow.connection, channel_source, order_id=earlier.order_id)
        if earlier.document != canonical_bytes(request_json):
            if not corrects:
                raise SourceConflict(_conflict(order, earlier.order_id))
            await _correct_from_source(
                earlier.order_id,
                order,
                uow,
                rules=rules,
                now=now,
                actor=submitter,
                request=request_json,
                findings=channel_findings,
            )
        return earlier.order_id
    await submit_order(
        order,
        uow,
        rules=rules,
        now=now,
        idempotency_key=None,
        request_document=request_json,
        channel_findings=channel_findings,
        source=source,
    )
    return order_id


def _conflict(order: ProductOrder, earlier_order_id: str) -> str:
    return (
        f"externalId {order.external_id} of account {order.account.key} ({order.channel}) is order {earlier_order_id}"
        " already, with a different document: correct that order instead"
    )


async def _correct_from_source(
    order_id: str,
    changed: ProductOrder,
    uow: UnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str | None,
    request: dict,
    findings: Sequence[Finding],
) -> None:
    stored = await repository.get_order(uow.connection, order_id, for_update=True)
    try:
        check_correctable(stored.status)
    except NotAllowed as refused:
        raise SourceConflict(f"order {order_id} can no longer be corrected: {refused}") from refused
    submitted_by = stored.order.submitted_by or actor
    await correct_order(
        stored,
        changed.model_copy(update={"id": order_id, "submitted_by": submitted_by}),
        uow,
        rules=rules,
        now=now,
        actor=actor or str(changed.channel),
        request_document=request,
        channel_findings=findings,
    )
