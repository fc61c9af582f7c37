"""Serviceability's handlers."""

from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability import repository
from serviceability.domain.qualification import qualify


async def qualify_sites(event: OrderValidated, uow: UnitOfWork) -> None:
    """Decide every site of a validated order and pass the qualified order on to pricing."""
    sites = qualify(event.order)
    if await repository.record_qualification(
        uow.connection, order_id=event.order_id, order_version=event.order_version, sites=sites
    ):
        uow.emit(
            ServiceabilityQualified(
                order_id=event.order_id, order_version=event.order_version, order=event.order, sites=sites
            )
        )
