"""The TMF622 events intake notifies listeners of (orderdesk_shared.hub), from the changes it makes to an order: its
creation, a correction, a state change (its own or one the later stages and Operations reported), a cancellation."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from intake.repository import CancelRequest, Orders, StoredOrder
from intake.tables import hub
from intake.tmf622 import cancel_resource, to_resource
from orderdesk_shared.access import OrderPeople
from orderdesk_shared.events.order import OrderState, ProductOrder
from orderdesk_shared.hub import Hub, NotificationSource, channel_tag, person_tag
from orderdesk_shared.notifications import Notification, field_paths
from orderdesk_shared.order_state import STOPPED_STATES, OrderStatus

HUB = Hub(hub)

PRODUCT_ORDER_CREATE = "ProductOrderCreateEvent"
PRODUCT_ORDER_ATTRIBUTE_VALUE_CHANGE = "ProductOrderAttributeValueChangeEvent"
PRODUCT_ORDER_STATE_CHANGE = "ProductOrderStateChangeEvent"
PRODUCT_ORDER_INFORMATION_REQUIRED = "ProductOrderInformationRequiredEvent"
CANCEL_PRODUCT_ORDER_CREATE = "CancelProductOrderCreateEvent"
CANCEL_PRODUCT_ORDER_STATE_CHANGE = "CancelProductOrderStateChangeEvent"
EVENT_TYPES = (
    PRODUCT_ORDER_CREATE,
    PRODUCT_ORDER_ATTRIBUTE_VALUE_CHANGE,
    PRODUCT_ORDER_STATE_CHANGE,
    PRODUCT_ORDER_INFORMATION_REQUIRED,
    CANCEL_PRODUCT_ORDER_CREATE,
    CANCEL_PRODUCT_ORDER_STATE_CHANGE,
)


def audience(order: ProductOrder) -> tuple[str, ...]:
    """Who may read the order besides those who read every order: its submitter and named reps, and the system
    of the channel it came through."""
    return (*sorted(person_tag(person) for person in OrderPeople.of(order).owners), channel_tag(order.channel))


def created(order: ProductOrder, status: OrderStatus, *, received_at: datetime) -> list[Notification]:
    """A new order: created, and information required when validation stopped it with findings."""
    resource = to_resource(order, status, order_date=received_at, completed_on=None)
    return [_about(order, PRODUCT_ORDER_CREATE, resource), *_information_required(order, status, resource)]


def corrected(before: StoredOrder, order: ProductOrder, status: OrderStatus) -> list[Notification]:
    """A correction: the attributes it changed, and the state it leaves the order in when that changed."""
    new = to_resource(order, status, order_date=before.created_at, completed_on=before.completed_on)
    # The order before, seen in the state after: what differs is what the correction changed, not where it stands.
    old = to_resource(before.order, status, order_date=before.created_at, completed_on=before.completed_on)
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    attributes = (
        [_about(order, PRODUCT_ORDER_ATTRIBUTE_VALUE_CHANGE, new, field_path=",".join(changed))] if changed else []
    )
    return attributes + _state_change(order, before.state, status, new)


def state_changed(stored: StoredOrder, before: OrderState) -> list[Notification]:
    """The order as stored now, if its state is not `before` any more."""
    return _state_change(stored.order, before, stored.status, _resource_of(stored))


def moved(before: Mapping[str, OrderStatus]) -> NotificationSource:
    """The state changes of the orders a batch of facts moved (their statuses before), read once stored."""

    async def read(connection: AsyncConnection) -> list[Notification]:
        stored = await Orders(connection).get_many(before)
        return [note for order in stored for note in state_changed(order, before[order.order.id].state)]

    return read


def cancelled(stored: StoredOrder, status: OrderStatus, request: CancelRequest) -> list[Notification]:
    """A cancellation asked for: the request created, and the order's state changed (cancelled, or assessing)."""
    resource = to_resource(stored.order, status, order_date=stored.created_at, completed_on=stored.completed_on)
    return [
        _about(stored.order, CANCEL_PRODUCT_ORDER_CREATE, cancel_resource(request), resource_name="cancelProductOrder"),
        *_state_change(stored.order, stored.state, status, resource),
    ]


def cancel_requests_settled(order_id: str, settled: Sequence[CancelRequest]) -> NotificationSource:
    """Operations settled the order's cancellation requests: done, or failed because it installed the order first."""

    async def read(connection: AsyncConnection) -> list[Notification]:
        [stored] = await Orders(connection).get_many([order_id])
        return [
            _about(stored.order, CANCEL_PRODUCT_ORDER_STATE_CHANGE, cancel_resource(request), "cancelProductOrder")
            for request in settled
        ]

    return read


def _state_change(order: ProductOrder, before: OrderState, status: OrderStatus, resource: dict) -> list[Notification]:
    if status.state is before:
        return []
    return [_about(order, PRODUCT_ORDER_STATE_CHANGE, resource), *_information_required(order, status, resource)]


def _information_required(order: ProductOrder, status: OrderStatus, resource: dict) -> list[Notification]:
    """Stopped with findings (rejected, pending, held): the fields to fix, the findings in the order."""
    if status.state not in STOPPED_STATES or not status.findings:
        return []
    return [_about(order, PRODUCT_ORDER_INFORMATION_REQUIRED, resource, field_path=field_paths(status.findings))]


def _resource_of(stored: StoredOrder) -> dict:
    return to_resource(stored.order, stored.status, order_date=stored.created_at, completed_on=stored.completed_on)


def _about(
    order: ProductOrder,
    event_type: str,
    resource: dict,
    resource_name: str = "productOrder",
    *,
    field_path: str | None = None,
) -> Notification:
    return Notification(
        event_type=event_type,
        resource_name=resource_name,
        resource=resource,
        audience=audience(order),
        field_path=field_path,
    )
