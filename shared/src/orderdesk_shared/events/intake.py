"""Events intake records."""

from typing import ClassVar

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.order import ProductOrder


class OrderReceived(Event):
    """An order was accepted for processing from one of the channels."""

    event_type: ClassVar[str] = "com.orderdesk.order.received.v1"
    topic: ClassVar[str] = "orders.received"

    order: ProductOrder


class OrderValidated(Event):
    """The order passed the order entry matrix and accuracy checks."""

    event_type: ClassVar[str] = "com.orderdesk.order.validated.v1"
    topic: ClassVar[str] = "orders.validated"

    order: ProductOrder
    # Who corrected the order, when this version is a correction (intake's PATCH); absent on a first submission.
    corrected_by: str | None = None
