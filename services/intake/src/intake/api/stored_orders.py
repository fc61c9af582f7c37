"""A stored order as the routes read it for their caller (else 404, as for an order that does not exist, or 403),
its TMF622 resource, and the refusals of what the order is past (409) or a body names that does not exist (400)."""

import contextlib
from collections.abc import Iterator

from fastapi import HTTPException, status
from fastapi.exceptions import RequestValidationError

from intake.domain.lifecycle import NotAllowed
from intake.repository import Orders, StoredOrder
from intake.tmf622 import to_resource
from orderdesk_shared.access import OrderAction, OrderPeople, ensure_allowed
from orderdesk_shared.auth import Principal


def order_resource(stored: StoredOrder) -> dict:
    return to_resource(
        stored.order,
        stored.status,
        order_date=stored.created_at,
        completed_on=stored.completed_on,
        document=stored.request_document,
    )


async def stored_or_404(
    orders: Orders,
    order_id: str,
    caller: Principal | None = None,
    action: OrderAction = OrderAction.SEE,
    *,
    for_update: bool = False,
) -> StoredOrder:
    """The stored order, when the caller (if given) may take `action` on it: else 404 as for an order that does not
    exist, or 403 for one they see but may not act on."""
    stored = await orders.get(order_id, for_update=for_update)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _missing(order_id))
    if caller is not None:
        ensure_caller_may(caller, stored, action)
    return stored


def ensure_caller_may(caller: Principal, stored: StoredOrder, action: OrderAction) -> None:
    ensure_allowed(caller, people_of(stored), action, missing=_missing(stored.order.id))


def people_of(stored: StoredOrder) -> OrderPeople:
    return OrderPeople.of(stored.order)


def _missing(order_id: str) -> str:
    return f"no product order {order_id}"


@contextlib.contextmanager
def conflict_when_not_allowed(refusal: str) -> Iterator[None]:
    """A desk action the order is past is a 409 that says why."""
    try:
        yield
    except NotAllowed as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{refusal}: {refused}") from refused


@contextlib.contextmanager
def unknown_reference_is_invalid(*field: str) -> Iterator[None]:
    """An order a request body names that does not exist (or that the caller may not see) is invalid input at that
    field: TMF622 documents 400 for the POST that names it, not 404, which would say the path is unknown."""
    try:
        yield
    except HTTPException as missing:
        if missing.status_code != status.HTTP_404_NOT_FOUND:
            raise
        raise RequestValidationError(
            [{"loc": ("body", *field), "msg": missing.detail, "type": "value_error"}]
        ) from missing
