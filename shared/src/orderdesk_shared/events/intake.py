"""Events intake records."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from orderdesk_shared.events.base import Event, WireModel
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


class ServiceRequestStatus(StrEnum):
    """Where a service request stands: open until its department starts on it, then done or cancelled (ended)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class ServiceRequest(WireModel):
    """A ticket the desk opened on an order for another department (an engineering review, construction, a billing
    fix), as it stands after its latest change."""

    id: str
    # The kind of request (intake's policies/service_requests.v1.toml), its title, and the department that owns it.
    kind: str
    title: str
    department: str
    # The person or team working on it.
    owner: str
    description: str
    due_at: datetime
    status: ServiceRequestStatus
    opened_by: str
    opened_at: datetime
    # Who made the latest change (the opener, at first), when, and what they noted.
    changed_by: str
    changed_at: datetime
    note: str | None = None


class ServiceRequestChanged(Event):
    """The desk opened a service request on the order, or the request's status or owner changed. `request` is the
    request after the change; a change names what it had before."""

    event_type: ClassVar[str] = "com.orderdesk.order.service-request-changed.v1"
    topic: ClassVar[str] = "orders.service-requests"

    request: ServiceRequest
    # Absent when the request was just opened.
    previous_status: ServiceRequestStatus | None = None
    # Absent unless the change gave the request another owner.
    previous_owner: str | None = None
