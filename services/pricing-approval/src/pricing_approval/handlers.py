"""Pricing-approval's handlers."""

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from pricing_approval import repository
from pricing_approval.domain.skeleton import price, required_approvals


async def price_order(event: ServiceabilityQualified, uow: UnitOfWork) -> None:
    """Price a qualified order; approve it at once when it needs no person's approval."""
    pricing = price(event.order)
    approvals = required_approvals(pricing)
    status = "pending-approval" if approvals else "approved"
    recorded = await repository.record_quote(
        uow.connection,
        order_id=event.order_id,
        order_version=event.order_version,
        pricing=pricing,
        approvals=approvals,
        status=status,
    )
    if not recorded:
        return
    carried = {
        "order_id": event.order_id,
        "order_version": event.order_version,
        "order": event.order,
        "sites": event.sites,
        "pricing": pricing,
    }
    uow.emit(OrderPriced(**carried, required_approvals=approvals))
    if not approvals:
        uow.emit(OrderApproved(**carried, approvals=[]))
