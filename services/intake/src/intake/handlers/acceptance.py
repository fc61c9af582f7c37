"""Accepting an order, from the API or a channel: validated against the rules in force, stored (a likely duplicate
held), and announced received, then validated or stopped with its findings."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from opentelemetry.context import Context

from intake import notifications, repository
from intake.domain.duplicates import duplicate_finding, fingerprint, received_since
from intake.domain.installed_base import InstalledProduct, needs_installed_base, seeded_for
from intake.domain.validation import IntakeRules, Validation, validate
from intake.notifications import HUB
from intake.repository import NewOrder, Revision
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.order_state import OrderFact, OrderStatus, advance, findings_json, received
from orderdesk_shared.telemetry import Traced

_STOP_KIND = {
    OrderState.REJECTED: FalloutKind.REJECTED,
    OrderState.PENDING: FalloutKind.PENDING,
    OrderState.HELD: FalloutKind.HELD,
}


def new_order_id() -> str:
    return f"PO-{uuid.uuid4().hex[:12].upper()}"


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
    validation = with_findings(validate(order, rules, today=now.date(), installed=installed), channel_findings)
    return NewOrder(
        validation=validation,
        status=status_after(validation, version=1),
        received_at=now,
        idempotency_key=idempotency_key,
        request_document=request_document,
        source_id=source,
        fingerprint=fingerprint(validation.order),
        duplicate_window_days=rules.matrix.likely_duplicate_window_days,
    )


def with_findings(validation: Validation, findings: Sequence[Finding]) -> Validation:
    """Validation's findings after those the channel or request made (what could not be read or used as given)."""
    if not findings:
        return validation
    return Validation(order=validation.order, findings=[*findings, *validation.findings])


def status_after(validation: Validation, *, version: int) -> OrderStatus:
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


async def hold_likely_duplicates(uow: UnitOfWork, new_orders: Sequence[NewOrder]) -> list[NewOrder]:
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
    new_orders = await hold_likely_duplicates(uow, [entry.item for entry in queued])
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
        await record_findings(uow, new.order.id, new.status)
        announce(uow, new.order, new.status, trace_context=entry.trace_context)
    HUB.notify(
        uow,
        lambda _: [
            note
            for new in new_orders
            for note in notifications.created(new.order, new.status, received_at=new.received_at)
        ],
    )
    return new_orders


async def record_findings(uow: UnitOfWork, order_id: str, status: OrderStatus) -> None:
    """What stopped a version at validation, kept for coaching the reps the order names."""
    if status.state in _STOP_KIND:
        await repository.record_findings_made(
            uow.connection, order_id=order_id, version=status.version, stage=Stage.VALIDATED, findings=status.findings
        )


def announce(
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
