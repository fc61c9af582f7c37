"""Intake's handlers: accept a submitted order, and follow it through the later stages."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from opentelemetry.context import Context
from pydantic import ValidationError

from intake import repository
from intake.channels import crm, ivr
from intake.channels.email import parse_order_email
from intake.domain.lifecycle import StageReport, stage_after, state_after_fallout
from intake.domain.validation import IntakeRules, Validation, validate
from intake.repository import NewOrder, Revision, StoredOrder
from intake.rules_in_force import RULES_IN_FORCE, account_kind, account_version
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.commission import OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.reference import CATALOGUE, ROSTER
from orderdesk_shared.telemetry import Traced

log = get_logger(__name__)

STAGE_REACHED_BY = {
    ServiceabilityQualified: Stage.QUALIFIED,
    OrderPriced: Stage.PRICED,
    OrderApproved: Stage.APPROVED,
    OrderHandedOff: Stage.HANDED_OFF,
    OrderRatified: Stage.RATIFIED,
}


STOPPED_STATES = frozenset({OrderState.REJECTED, OrderState.PENDING, OrderState.HELD})


def new_order_id() -> str:
    return f"PO-{uuid.uuid4().hex[:12].upper()}"


async def accept_crm_opportunity(opportunity: CrmOpportunitySubmitted, uow: UnitOfWork) -> str:
    """Take a won CRM opportunity as an order; a resend of the same opportunity version is the same order."""
    return await _accept_submission(
        opportunity,
        crm.to_order_request(opportunity),
        uow,
        actor="crm",
        document=opportunity.to_json_bytes(),
    )


async def accept_ivr_call(call: IvrCallReceived, uow: UnitOfWork) -> str:
    """Take an IVR call as an order for the caller's account; a repeated call record is the same order."""
    return await _accept_submission(call, ivr.to_order_request(call), uow, actor="ivr", document=call.to_json_bytes())


async def accept_order_email(received: EmailReceived, uow: UnitOfWork) -> str:
    """Take an order email as an order; parts that cannot be read are findings, a resent email the same order."""
    parsed = parse_order_email(received.message.encode())
    return await _accept_submission(
        received,
        parsed.request,
        uow,
        actor="email",
        document=received.message.encode(),
        channel_findings=parsed.findings,
    )


class UnreadableSubmission(PermanentError):
    """A channel document that cannot become an order at all (no order type, no item): kept as a dead letter."""


async def _accept_submission(
    submission: Fact,
    request_document: dict,
    uow: UnitOfWork,
    *,
    actor: str,
    document: bytes,
    channel_findings: Sequence[Finding] = (),
) -> str:
    """The order a channel submission makes: a new one, or the one its first delivery made."""
    order_id, source_id = new_order_id(), submission.subject
    first = await repository.claim_source_id(
        uow.connection,
        source_id=source_id,
        channel=request_document["channel"][0]["name"],
        order_id=order_id,
        document=document,
    )
    if first != order_id:
        return first
    try:
        request = ProductOrderCreate.model_validate(request_document)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        problems += [f"{finding.field_path}: {finding.message}" for finding in channel_findings]
        raise UnreadableSubmission(f"{source_id} cannot become an order: " + "; ".join(problems)) from error
    await submit_order(
        to_canonical(request, order_id=order_id, submitted_by=actor),
        uow,
        rules=await RULES_IN_FORCE.within(uow.connection),
        today=datetime.now(UTC).date(),
        idempotency_key=None,
        request_document=request.model_dump(mode="json", exclude_none=True),
        channel_findings=channel_findings,
    )
    return order_id


async def submit_order(
    order: ProductOrder,
    uow: UnitOfWork,
    *,
    rules: IntakeRules,
    today: date,
    idempotency_key: str | None,
    request_document: dict | None,
    channel_findings: Sequence[Finding] = (),
) -> Validation:
    """Store one new order: recorded as received, then passed on validated, or held with findings.

    `channel_findings` are what the channel could not read (an unreadable attachment, say).
    """
    new_order = assess(
        order,
        rules,
        today=today,
        idempotency_key=idempotency_key,
        request_document=request_document,
        channel_findings=channel_findings,
    )
    await store_new_orders(uow, [Traced.here(new_order)])
    return new_order.validation


def assess(
    order: ProductOrder,
    rules: IntakeRules,
    *,
    today: date,
    idempotency_key: str | None,
    request_document: dict | None,
    channel_findings: Sequence[Finding] = (),
) -> NewOrder:
    """Validate a submitted order: what intake will store and announce for it."""
    validation = validate(order, rules, today=today)
    if channel_findings:
        validation = Validation(order=validation.order, findings=[*channel_findings, *validation.findings])
    return NewOrder(
        validation=validation,
        stage=_stage_after(validation),
        received_at=datetime.now(UTC),
        idempotency_key=idempotency_key,
        request_document=request_document,
    )


async def store_new_orders(uow: UnitOfWork, queued: Sequence[Traced[NewOrder]]) -> list[NewOrder]:
    """Store assessed orders in one transaction (the API's group commit); each event carries its request's trace."""
    new_orders = [entry.item for entry in queued]
    await repository.insert_orders(uow.connection, new_orders)
    await repository.record_revisions(
        uow.connection,
        [
            Revision(
                order_id=new.order.id,
                version=1,
                action="submitted",
                actor=new.order.submitted_by or "unknown",
                state=new.state,
                findings=new.findings,
            )
            for new in new_orders
        ],
    )
    for entry in queued:
        new = entry.item
        uow.emit(
            OrderReceived(order_id=new.order.id, order_version=1, order=new.order), trace_context=entry.trace_context
        )
        _emit_outcome(uow, new.validation, version=1, trace_context=entry.trace_context)
    return new_orders


async def correct_order(
    order: ProductOrder, uow: UnitOfWork, *, rules: IntakeRules, today: date, actor: str, request_document: dict
) -> Validation:
    """Validate a corrected order again under its id: it moves on validated, or stays held with new findings."""
    validation = validate(order, rules, today=today)
    version = await repository.replace_order(
        uow.connection,
        order=validation.order,
        state=validation.state,
        stage=_stage_after(validation),
        findings=validation.findings,
        request_document=request_document,
    )
    await repository.record_revisions(
        uow.connection,
        [
            Revision(
                order_id=order.id,
                version=version,
                action="corrected",
                actor=actor,
                state=validation.state,
                findings=validation.findings,
            )
        ],
    )
    _emit_outcome(uow, validation, version=version, corrected_by=actor)
    return validation


def _stage_after(validation: Validation) -> Stage:
    return Stage.VALIDATED if validation.state is OrderState.IN_PROGRESS else Stage.RECEIVED


def _emit_outcome(
    uow: UnitOfWork,
    validation: Validation,
    *,
    version: int,
    trace_context: Context | None = None,
    corrected_by: str | None = None,
) -> None:
    order = validation.order
    common = {"order_id": order.id, "order_version": version, "corrected_by": corrected_by}
    if validation.state is OrderState.IN_PROGRESS:
        uow.emit(OrderValidated(**common, order=order), trace_context=trace_context)
        return
    kind = FalloutKind.PENDING if validation.state is OrderState.PENDING else FalloutKind.REJECTED
    uow.emit(
        OrderFallout(**common, stage=Stage.VALIDATED, kind=kind, findings=validation.findings),
        trace_context=trace_context,
    )


async def cancel_order(stored: StoredOrder, uow: UnitOfWork, *, actor: str, reason: str) -> None:
    """Cancel an order that has not been handed off to Operations yet."""
    await repository.update_progress(uow.connection, stored.order.id, state=OrderState.CANCELLED, stage=stored.stage)
    finding = Finding(reason_code="CANCELLED", message=reason, fix=None)
    await repository.record_revisions(
        uow.connection,
        [
            Revision(
                order_id=stored.order.id,
                version=stored.version,
                action="cancelled",
                actor=actor,
                state=OrderState.CANCELLED,
                findings=[finding],
            )
        ],
    )
    uow.emit(
        OrderFallout(
            order_id=stored.order.id,
            order_version=stored.version,
            stage=stored.stage,
            kind=FalloutKind.CANCELLED,
            findings=[finding],
        )
    )


async def follow_progress(event, uow: UnitOfWork) -> None:
    """Move the order to the stage a later service reached. Older or repeated news (common: each stage has its own
    topic, read at its own pace) and news of a version corrected since change nothing. The TMF state stays: it
    is in progress from validation on, and fallout, not progress, changes it."""
    uow.before_commit(move_orders_on, StageReport(event.order_id, event.order_version, STAGE_REACHED_BY[type(event)]))


async def move_orders_on(uow: UnitOfWork, reports: Sequence[Traced[StageReport]]) -> None:
    """The progress a batch heard, in two statements: read the orders' stages, then move those it takes further."""
    by_order: dict[str, list[StageReport]] = {}
    for report in reports:
        by_order.setdefault(report.item.order_id, []).append(report.item)
    moves = {
        order_id: reached
        for order_id, (version, stage) in (await repository.lock_stages(uow.connection, by_order)).items()
        if (reached := stage_after(stage, version, by_order[order_id])) is not None
    }
    await repository.move_to_stages(uow.connection, moves)


async def follow_fallout(event: OrderFallout, uow: UnitOfWork) -> None:
    """Reflect a rejection, hold, release or cancellation in the order's TMF state."""
    progress = await repository.lock_progress(uow.connection, event.order_id)
    if progress is None or event.order_version < progress.version:
        return  # about a version the order has been corrected since
    state = state_after_fallout(progress.state, event.kind)
    if state is not None and state is not progress.state:
        # What stopped the order (survey needed, approval awaited, not serviceable) is what the desk sees.
        findings = event.findings if state in STOPPED_STATES else []
        await repository.update_progress(
            uow.connection, event.order_id, state=state, stage=progress.stage, findings=findings
        )


async def follow_catalogue(published: CataloguePublished, uow: UnitOfWork) -> None:
    """Validate offerings against the catalogue pricing-approval announced, from now on."""
    await _keep_reference(uow, CATALOGUE, published.version, published)


async def follow_roster(published: RosterPublished, uow: UnitOfWork) -> None:
    """Check who sold an order against the roster commission announced, from now on."""
    await _keep_reference(uow, ROSTER, published.version, published)


async def follow_crm_account(record: CrmAccountUpdated, uow: UnitOfWork) -> bool:
    """Check orders against the account as the CRM now describes it. False when the CRM had changed the account
    again since this record (a record delivered late changes nothing)."""
    kind, version = account_kind(record.account_number), account_version(record.modified_at)
    document = record.model_dump(mode="json", by_alias=True)
    kept = await RULES_IN_FORCE.keep_if_later(uow.connection, kind=kind, version=version, document=document)
    log.info(
        "account from the CRM" if kept else "older account record from the CRM ignored", kind=kind, version=version
    )
    return kept


async def _keep_reference(uow: UnitOfWork, kind: str, version: str, published: Fact) -> None:
    document = published.model_dump(mode="json", by_alias=True)
    await RULES_IN_FORCE.keep(uow.connection, kind=kind, version=version, document=document)
    log.info("reference data in force", kind=kind, version=version)
