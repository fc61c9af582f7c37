"""Events intake records."""

from typing import ClassVar

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.order import ProductOrder


class OrderReceived(Event):
    """A version of an order was accepted for processing: submitted through a channel (version 1), or
    corrected (a later version, which supersedes every earlier one)."""

    event_type: ClassVar[str] = "com.orderdesk.order.received.v1"
    topic: ClassVar[str] = "orders.received"

    order: ProductOrder
    # Who corrected the order, when this version is a correction; absent on a first submission.
    corrected_by: str | None = None


class OrderValidated(Event):
    """The order passed the order entry matrix and accuracy checks."""

    event_type: ClassVar[str] = "com.orderdesk.order.validated.v1"
    topic: ClassVar[str] = "orders.validated"

    order: ProductOrder
    # Who corrected the order, when this version is a correction (intake's PATCH); absent on a first submission.
    corrected_by: str | None = None


class OrderCorrected(Event):
    """A correction made this version the order's only live one: whatever was asked, held or decided for an earlier
    version is dead. (OrderReceived of the same version carries the corrected order itself.)"""

    event_type: ClassVar[str] = "com.orderdesk.order.corrected.v1"
    topic: ClassVar[str] = "orders.corrected"

    corrected_by: str
