"""Intake's handlers: accept a submitted order, correct, cancel or release it, and follow it through the later
stages and Operations with the one TMF622 state mapping every reader shares (orderdesk_shared.order_state)."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from opentelemetry.context import Context
from pydantic import ValidationError

from intake import notifications, repository
from intake.channels import crm, ivr
from intake.channels.email import email_sender, parse_order_email
from intake.domain.duplicates import DUPLICATE_ORDER, duplicate_finding, fingerprint, received_since, source_id
from intake.domain.installed_base import (
    InstalledProduct,
    ProductChange,
    changes_handed_off,
    needs_installed_base,
    seeded_for,
)
from intake.domain.lifecycle import CancelRoute, NotAllowed, cancel_route, check_correctable
from intake.domain.validation import IntakeRules, Validation, validate
from intake.notifications import HUB
from intake.repository import CancelRequest, NewOrder, Revision, StoredOrder, canonical_bytes
from intake.rules_in_force import IntakeContext, account_kind, account_version
from intake.tmf622 import ProductOrderCreate, request_findings, to_canonical
from orderdesk_shared.consumer import current_delivery
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.base import Event, Fact
from orderdesk_shared.events.channels import (
    CrmAccountUpdated,
    CrmOpportunitySubmitted,
    EmailReceived,
    IvrCallReceived,
)
from orderdesk_shared.events.commission import OrderRatified, RosterPublished
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished, OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.field_problems import FieldProblem, described, field_problems
from orderdesk_shared.logs import get_logger
from orderdesk_shared.order_state import OrderFact, OrderStatus, advance, fact_of, findings_json, received
from orderdesk_shared.reference import CATALOGUE, ROSTER, ReferenceBook
from orderdesk_shared.telemetry import Traced, order_step

log = get_logger(__name__)

SOURCE = "intake"
# Later stages' facts that only move an order on (the hand-off also records the account's products).
PROGRESS_EVENTS = (ServiceabilityQualified, OrderPriced, OrderApproved, OrderRatified, HandOffCancelled)
_STOP_KIND = {
    OrderState.REJECTED: FalloutKind.REJECTED,
    OrderState.PENDING: FalloutKind.PENDING,
    OrderState.HELD: FalloutKind.HELD,
}


def new_order_id() -> str:
    return f"PO-{uuid.uuid4().hex[:12].upper()}"


# --- channels -----------------------------------------------------------------------------------------------------


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


# --- submitting and correcting ------------------------------------------------------------------------------------


async def installed_base(connection, order: ProductOrder, rules: IntakeRules) -> list[InstalledProduct]:
    """The account's products on record (with those of its seed products, wherever they are now), when the order
    names one without saying all the installed base knows of it."""
    account = order.account.id
    if account and needs_installed_base(order):
        seeded = seeded_for(account, rules.reference.installed_products)
        return await repository.products_of(connection, account, also=seeded)
    return []


async def submit_order(
    order: ProductOrder,
    uow: UnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    idempotency_key: str | None,
    request_document: dict | None,
    channel_findings: Sequence[Finding] = (),
    source: str | None = None,
) -> NewOrder:
    """Store one new order: recorded as received, then passed on validated, or stopped with findings.

    `channel_findings` are what the channel could not read (an unreadable attachment, say).
    """
    new_order = assess(
        order,
        rules,
        now=now,
        installed=await installed_base(uow.connection, order, rules),
        idempotency_key=idempotency_key,
        request_document=request_document,
        channel_findings=channel_findings,
        source=source,
    )
    [stored] = await store_new_orders(uow, [Traced.here(new_order)])
    return stored


def assess(
    order: ProductOrder,
    rules: IntakeRules,
    *,
    now: datetime,
    installed: Sequence[InstalledProduct],
    idempotency_key: str | None,
    request_document: dict | None,
    channel_findings: Sequence[Finding] = (),
    source: str | None = None,
) -> NewOrder:
    """Validate a submitted order: what intake will store and announce for it (before looking for duplicates)."""
    validation = _with_findings(validate(order, rules, today=now.date(), installed=installed), channel_findings)
    return NewOrder(
        validation=validation,
        status=_status_after(validation, version=1),
        received_at=now,
        idempotency_key=idempotency_key,
        request_document=request_document,
        source_id=source,
        fingerprint=fingerprint(validation.order),
        duplicate_window_days=rules.matrix.likely_duplicate_window_days,
    )


def _with_findings(validation: Validation, findings: Sequence[Finding]) -> Validation:
    """Validation's findings after those the channel or request made (what could not be read or used as given)."""
    if not findings:
        return validation
    return Validation(order=validation.order, findings=[*findings, *validation.findings])


def _status_after(validation: Validation, *, version: int) -> OrderStatus:
    """A version as validation leaves it: in progress, or stopped at validation with its findings."""
    status = received(version, [item.id for item in validation.order.items])
    if validation.state is OrderState.IN_PROGRESS:
        return advance(status, OrderFact(version, Stage.VALIDATED, Stage.VALIDATED))
    kind = FalloutKind.PENDING if validation.state is OrderState.PENDING else FalloutKind.REJECTED
    return advance(status, OrderFact(version, kind, Stage.VALIDATED, findings_json(validation.findings)))


def _held_as_duplicate(new: NewOrder, earlier_order_id: str) -> NewOrder:
    finding = duplicate_finding(earlier_order_id, window_days=new.duplicate_window_days)
    validation = Validation(order=new.order, findings=[finding])
    status = received(new.status.version, new.status.item_ids)
    held = advance(status, OrderFact(status.version, FalloutKind.HELD, Stage.VALIDATED, findings_json([finding])))
    return replace(new, validation=validation, status=held)


async def _hold_likely_duplicates(uow: UnitOfWork, new_orders: Sequence[NewOrder]) -> list[NewOrder]:
    """Each valid order that asks what a live order of its account asks, under another externalId, is held."""
    valid = [new for new in new_orders if new.status.state is OrderState.IN_PROGRESS]
    if not valid:
        return list(new_orders)
    # The window ends when the earliest of them was received (moments before the others): no clock read here.
    since = received_since(min(new.received_at for new in valid), window_days=valid[0].duplicate_window_days)
    earlier = await repository.likely_duplicates(uow.connection, valid, since=since)
    # Two alike in one batch: the later one is the duplicate.
    first_of: dict[tuple[str, str | None], NewOrder] = {}
    for new in valid:
        key = (new.order.account.key, new.fingerprint)
        if (first := first_of.setdefault(key, new)) is not new and first.order.external_id != new.order.external_id:
            earlier.setdefault(new.order.id, first.order.id)
    return [_held_as_duplicate(new, earlier[new.order.id]) if new.order.id in earlier else new for new in new_orders]


async def store_new_orders(uow: UnitOfWork, queued: Sequence[Traced[NewOrder]]) -> list[NewOrder]:
    """Store assessed orders in one transaction (the API's group commit); each event carries its request's trace."""
    new_orders = await _hold_likely_duplicates(uow, [entry.item for entry in queued])
    await repository.insert_orders(uow.connection, new_orders)
    await repository.record_revisions(
        uow.connection,
        [
            Revision(
                order_id=new.order.id,
                version=1,
                action="submitted",
                actor=new.order.submitted_by or "unknown",
                state=new.status.state,
                findings=new.findings,
            )
            for new in new_orders
        ],
    )
    for entry, new in zip(queued, new_orders, strict=True):
        await _record_findings(uow, new.order.id, new.status)
        _announce(uow, new.order, new.status, trace_context=entry.trace_context)
    HUB.notify(
        uow,
        lambda _: [
            note
            for new in new_orders
            for note in notifications.created(new.order, new.status, received_at=new.received_at)
        ],
    )
    return new_orders


async def _record_findings(uow: UnitOfWork, order_id: str, status: OrderStatus) -> None:
    if status.state in _STOP_KIND:
        await repository.record_findings_made(
            uow.connection, order_id=order_id, version=status.version, stage=Stage.VALIDATED, findings=status.findings
        )


def _announce(
    uow: UnitOfWork,
    order: ProductOrder,
    status: OrderStatus,
    *,
    trace_context: Context | None = None,
    corrected_by: str | None = None,
) -> None:
    """A version received, then passed on validated or stopped at validation with its findings."""
    common = {"order_id": order.id, "order_version": status.version, "corrected_by": corrected_by}
    uow.emit(OrderReceived(**common, order=order), trace_context=trace_context)
    if status.state is OrderState.IN_PROGRESS:
        uow.emit(OrderValidated(**common, order=order), trace_context=trace_context)
        return
    findings = [Finding.model_validate(finding) for finding in status.findings]
    uow.emit(
        OrderFallout(**common, stage=Stage.VALIDATED, kind=_STOP_KIND[status.state], findings=findings),
        trace_context=trace_context,
    )


async def correct_order(
    stored: StoredOrder,
    order: ProductOrder,
    uow: UnitOfWork,
    *,
    rules: IntakeRules,
    now: datetime,
    actor: str,
    request_document: dict,
    channel_findings: Sequence[Finding] = (),
) -> OrderStatus:
    """Validate a corrected order again under its id, as its next version: it moves on validated, or stays stopped
    with new findings; every service drops what it holds for the earlier version. `channel_findings`: what the
    request says that OrderDesk could not use as given (as for submit_order)."""
    async with order_step(uow, stored.order.id, "correct order", version=stored.version + 1):
        check_correctable(stored.status)
        installed = await installed_base(uow.connection, order, rules)
        validation = _with_findings(validate(order, rules, today=now.date(), installed=installed), channel_findings)
        new = NewOrder(
            validation=validation,
            status=_status_after(validation, version=stored.version + 1),
            received_at=now,
            idempotency_key=None,
            request_document=request_document,
            fingerprint=fingerprint(validation.order),
            duplicate_window_days=rules.matrix.likely_duplicate_window_days,
        )
        [new] = await _hold_likely_duplicates(uow, [new])
        await repository.replace_order(
            uow.connection,
            order=new.order,
            status=new.status,
            request_document=request_document,
            fingerprint=new.fingerprint,
        )
        await repository.record_revisions(
            uow.connection,
            [Revision(order.id, new.status.version, "corrected", actor, new.status.state, list(new.status.findings))],
        )
        await _record_findings(uow, order.id, new.status)
        HUB.notify(uow, lambda _: notifications.corrected(stored, new.order, new.status))
        _announce(uow, new.order, new.status, corrected_by=actor)
        uow.emit(OrderCorrected(order_id=order.id, order_version=new.status.version, corrected_by=actor))
        return new.status


# --- the desk's decisions on an order -----------------------------------------------------------------------------


async def cancel_order(
    stored: StoredOrder,
    uow: UnitOfWork,
    *,
    actor: str,
    reason: str,
    requested_date: datetime | None,
    now: datetime,
    document: dict | None = None,
) -> CancelRequest:
    """Cancel an order not installed yet: at once before the hand-off, else by asking Operations to stop the work.
    `document`: the TMF622 request as sent, kept with the cancellation request."""
    async with order_step(uow, stored.order.id, "cancel order", version=stored.version):
        route = cancel_route(stored.status)
        at_once = route is CancelRoute.AT_ONCE
        why = f"cancelled by {actor}: {reason}" if reason else f"cancelled by {actor}"
        finding = Finding(reason_code="CANCELLED", message=why)
        fallout = OrderFallout(
            order_id=stored.order.id,
            order_version=stored.version,
            stage=stored.stage,
            kind=FalloutKind.CANCELLED if at_once else FalloutKind.CANCELLATION_REQUESTED,
            findings=[finding],
        )
        status = advance(stored.status, fact_of(fallout))
        await repository.save_statuses(uow.connection, {stored.order.id: status})
        action = "cancelled" if at_once else "cancellation requested"
        await repository.record_revisions(
            uow.connection, [Revision(stored.order.id, stored.version, action, actor, status.state, [finding])]
        )
        request = CancelRequest(
            id=f"CPO-{uuid.uuid4().hex[:12].upper()}",
            order_id=stored.order.id,
            order_version=stored.version,
            reason=reason,
            requested_by=actor,
            requested_at=now,
            requested_cancellation_date=requested_date,
            state="done" if at_once else "inProgress",
            effective_at=now if at_once else None,
            outcome="cancelled before the hand-off to Operations" if at_once else None,
            document=document,
        )
        await repository.add_cancel_request(uow.connection, request)
        HUB.notify(uow, lambda _: notifications.cancelled(stored, status, request))
        uow.emit(fallout)
        return request


async def release_duplicate(stored: StoredOrder, uow: UnitOfWork, *, actor: str, note: str) -> OrderStatus:
    """A specialist judged a likely duplicate a separate order: it moves on validated."""
    async with order_step(uow, stored.order.id, "release likely duplicate", version=stored.version):
        held_as_duplicate = any(finding.get("reasonCode") == DUPLICATE_ORDER for finding in stored.status.findings)
        if stored.state is not OrderState.HELD or not held_as_duplicate:
            raise NotAllowed(f"it is {stored.state}, not held as a likely duplicate")
        released = OrderFallout(
            order_id=stored.order.id,
            order_version=stored.version,
            stage=Stage.VALIDATED,
            kind=FalloutKind.RELEASED,
            findings=[Finding(reason_code=DUPLICATE_ORDER, message=f"released by {actor}: {note}")],
        )
        validated = OrderValidated(order_id=stored.order.id, order_version=stored.version, order=stored.order)
        status = advance(advance(stored.status, fact_of(released)), fact_of(validated))
        await repository.save_statuses(uow.connection, {stored.order.id: status})
        revision = Revision(stored.order.id, stored.version, "released", actor, status.state, released.findings)
        await repository.record_revisions(uow.connection, [revision])
        HUB.notify(uow, lambda _: notifications.state_changed(replace(stored, status=status), before=stored.state))
        uow.emit(released)
        uow.emit(validated)
        return status


# --- following the later stages and Operations --------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A fact another service recorded about an order."""

    order_id: str
    fact: OrderFact


def _follow(event: Event, uow: UnitOfWork) -> None:
    if (fact := fact_of(event)) is not None:
        uow.before_commit(apply_facts, Reported(event.order_id, fact))


async def follow_progress(event: Event, uow: UnitOfWork, context: ServiceContext) -> None:
    """A later service moved the order on (or Operations was asked to stop its work): the TMF state follows."""
    _follow(event, uow)


async def follow_hand_off(event: OrderHandedOff, uow: UnitOfWork, context: ServiceContext) -> None:
    """The order went to Operations: it moves on, and the account's products are recorded as handed off."""
    uow.before_commit(record_products, changes_handed_off(event))
    _follow(event, uow)


async def record_products(uow: UnitOfWork, handed_off: Sequence[Traced[list[ProductChange]]]) -> None:
    """The products a batch's hand-offs change, recorded together."""
    await repository.record_product_changes(uow.connection, [change for entry in handed_off for change in entry.item])


async def follow_fallout(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
    """A later service stopped, released or cancelled the order: the TMF state follows, and what stopped it is
    counted for coaching the reps the order names. Intake's own fallout was applied when it was made."""
    delivery = current_delivery()
    if delivery is not None and delivery.source == SOURCE:
        return
    if event.kind in (FalloutKind.REJECTED, FalloutKind.PENDING, FalloutKind.HELD):
        await repository.record_findings_made(
            uow.connection,
            order_id=event.order_id,
            version=event.order_version,
            stage=event.stage,
            findings=findings_json(event.findings),
        )
    _follow(event, uow)


async def follow_operations(event: OpsOrderStatusChanged, uow: UnitOfWork, context: ServiceContext) -> None:
    """Operations' report: installed completes the order (the point of no return: a cancel asked too late fails),
    cancelled ends it, failed stops it for the desk; the account's products follow."""
    current = await repository.get_version(uow.connection, event.order_id)
    if current != event.order_version:
        log.info("an Operations report about another version ignored", version=event.order_version, current=current)
        return
    now = context.clock()
    if event.status is OpsStatus.INSTALLED:
        await repository.mark_completed(uow.connection, event.order_id, on=event.effective_date or now.date())
        await repository.settle_products(uow.connection, event.order_id, installed=True)
        too_late = f"Operations installed the order on {event.effective_date} before the work could be stopped"
        settled = await repository.settle_cancel_requests(
            uow.connection, event.order_id, state="terminatedWithError", outcome=too_late, at=now
        )
    elif event.status is OpsStatus.CANCELLED:
        await repository.settle_products(uow.connection, event.order_id, installed=False)
        stopped = "Operations stopped the work" + (f" on {event.effective_date}" if event.effective_date else "")
        settled = await repository.settle_cancel_requests(
            uow.connection, event.order_id, state="done", outcome=stopped, at=now
        )
    else:
        settled = []
    if settled:
        HUB.notify(uow, notifications.cancel_requests_settled(event.order_id, settled))
    _follow(event, uow)


async def apply_facts(uow: UnitOfWork, reported: Sequence[Traced[Reported]]) -> None:
    """The facts a batch heard, in two statements: lock the orders' statuses, then store those the facts moved; the
    listeners hear of each order whose state they changed."""
    by_order: dict[str, list[OrderFact]] = {}
    for entry in reported:
        by_order.setdefault(entry.item.order_id, []).append(entry.item.fact)
    statuses = await repository.lock_statuses(uow.connection, by_order)
    moved = {}
    for order_id, status in statuses.items():
        after = status
        for fact in by_order[order_id]:
            after = advance(after, fact)
        if after != status:
            moved[order_id] = after
    await repository.save_statuses(uow.connection, moved)
    if changed := {
        order_id: statuses[order_id] for order_id, after in moved.items() if after.state != statuses[order_id].state
    }:
        HUB.notify(uow, notifications.moved(changed))


# --- reference data -----------------------------------------------------------------------------------------------


async def follow_catalogue(published: CataloguePublished, uow: UnitOfWork, context: IntakeContext) -> None:
    """Validate offerings against the catalogue pricing-approval announced, from now on."""
    await _keep_reference(uow, context.rules, CATALOGUE, published.version, published)


async def follow_roster(published: RosterPublished, uow: UnitOfWork, context: IntakeContext) -> None:
    """Check who sold an order against the roster commission announced, from now on."""
    await _keep_reference(uow, context.rules, ROSTER, published.version, published)


async def follow_crm_account(record: CrmAccountUpdated, uow: UnitOfWork, context: IntakeContext) -> bool:
    """Check orders against the account as the CRM now describes it. False when the CRM had changed the account
    again since this record (a record delivered late changes nothing)."""
    kind, version = account_kind(record.account_number), account_version(record.modified_at)
    document = record.model_dump(mode="json", by_alias=True)
    kept = await context.rules.keep_if_later(uow.connection, kind=kind, version=version, document=document)
    log.info(
        "account from the CRM" if kept else "older account record from the CRM ignored", kind=kind, version=version
    )
    return kept


async def _keep_reference(
    uow: UnitOfWork, rules: ReferenceBook[IntakeRules], kind: str, version: str, published: Fact
) -> None:
    document = published.model_dump(mode="json", by_alias=True)
    await rules.keep(uow.connection, kind=kind, version=version, document=document)
    log.info("reference data in force", kind=kind, version=version)
