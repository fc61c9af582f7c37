"""Accepting an order, from the API or a channel: validated against the rules in force, stored (a likely duplicate
held), and announced received, then validated or stopped with its findings."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from intake import notifications
from intake.domain.acceptance import (
    STOP_KIND,
    announcements,
    assess,
    duplicate_window_start,
    held_as_duplicates,
    valid_orders,
)
from intake.domain.installed_base import InstalledProduct, needs_installed_base, seeded_for
from intake.domain.records import NewOrder, Revision, SubmittedOrder
from intake.domain.validation import IntakeRules
from intake.handlers.accounts import open_accounts
from intake.notifications import HUB
from intake.repository import InstalledBase
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.events.order import ProductOrder, Stage
from orderdesk_shared.order_state import OrderStatus
from orderdesk_shared.telemetry import Traced


def new_order_id() -> str:
    return f"PO-{uuid.uuid4().hex[:12].upper()}"


async def installed_base(products: InstalledBase, order: ProductOrder, rules: IntakeRules) -> list[InstalledProduct]:
    """The account's products on record (with those of its seed products, wherever they are now), when the order
    names one without saying all the installed base knows of it."""
    account = order.account.id
    if account and needs_installed_base(order):
        return await products.products_of(account, also=seeded_for(account, rules.reference.installed_products))
    return []


async def assessed(
    uow: IntakeUnitOfWork, submitted: SubmittedOrder, rules: IntakeRules, *, now: datetime, version: int = 1
) -> NewOrder:
    """The submitted order (or its correction, as its next `version`) validated against the rules in force and the
    account's installed base."""
    installed = await installed_base(uow.installed_base, submitted.order, rules)
    return assess(submitted, rules, now=now, installed=installed, version=version)


async def submit_order(
    submitted: SubmittedOrder, uow: IntakeUnitOfWork, *, rules: IntakeRules, now: datetime
) -> NewOrder:
    """Store one new order from a channel: recorded as received, then passed on validated, or stopped with findings."""
    new_order = await assessed(uow, submitted, rules, now=now)
    [stored] = await store_new_orders(uow, [Traced.here(new_order)])
    return stored


async def hold_likely_duplicates(uow: IntakeUnitOfWork, new_orders: Sequence[NewOrder]) -> list[NewOrder]:
    """Each valid order that asks what a live order of its account asks, under another externalId, is held."""
    valid = valid_orders(new_orders)
    if not valid:
        return list(new_orders)
    earlier = await uow.orders.likely_duplicates(valid, since=duplicate_window_start(valid))
    return held_as_duplicates(new_orders, earlier)


async def store_new_orders(uow: IntakeUnitOfWork, queued: Sequence[Traced[NewOrder]]) -> list[NewOrder]:
    """Store assessed orders in one transaction (the API's group commit); each event carries its request's trace."""
    new_orders = await hold_likely_duplicates(uow, await open_accounts(uow, [entry.item for entry in queued]))
    await uow.orders.insert(new_orders)
    await uow.history.record([_submitted(new) for new in new_orders])
    for entry, new in zip(queued, new_orders, strict=True):
        await record_findings(uow, new.order.id, new.status)
        for event in announcements(new.order, new.status):
            uow.emit(event, trace_context=entry.trace_context)
    HUB.notify(
        uow,
        lambda _: [
            note
            for new in new_orders
            for note in notifications.created(new.order, new.status, received_at=new.received_at)
        ],
    )
    return new_orders


def _submitted(new: NewOrder) -> Revision:
    actor = new.order.submitted_by or "unknown"
    return Revision(new.order.id, 1, "submitted", actor, new.status.state, new.findings)


async def record_findings(uow: IntakeUnitOfWork, order_id: str, status: OrderStatus) -> None:
    """What stopped a version at validation, kept for coaching the reps the order names."""
    if status.state in STOP_KIND:
        await uow.findings.record(
            order_id=order_id, version=status.version, stage=Stage.VALIDATED, findings=status.findings
        )
