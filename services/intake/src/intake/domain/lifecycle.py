"""What the desk may still do to an order where it stands: correct it, or cancel it (and how)."""

from enum import StrEnum

from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import CANCELLING_STATES, FINAL_STATES, OrderStatus


class NotAllowed(Exception):
    """The order is past the point where this can be done; the message says why."""


def check_correctable(status: OrderStatus) -> None:
    """An order is corrected until it is handed to Operations, unless it ended or its cancel is under way."""
    if status.state in FINAL_STATES or status.state in CANCELLING_STATES:
        raise NotAllowed(f"it is {status.state}")
    if status.stage.rank >= Stage.HANDED_OFF.rank:
        raise NotAllowed(f"it was handed off to Operations (stage {status.stage}); cancel it and order again instead")


class CancelRoute(StrEnum):
    # Not handed off yet: every service drops it at once.
    AT_ONCE = "at once"
    # Handed off: Operations must stop the work, and says when it has (or that it installed it first).
    THROUGH_OPERATIONS = "through Operations"


def cancel_route(status: OrderStatus) -> CancelRoute:
    """How a cancel of the order takes effect; an order installed (the point of no return) or ended is not cancelled."""
    if status.state is OrderState.COMPLETED or status.state is OrderState.PARTIAL:
        raise NotAllowed("Operations installed it: past installation an order is not cancelled (disconnect it)")
    if status.state is OrderState.CANCELLED:
        raise NotAllowed("it is cancelled already")
    if status.state in CANCELLING_STATES:
        raise NotAllowed(f"its cancellation is under way ({status.state})")
    if status.stage.rank >= Stage.HANDED_OFF.rank:
        return CancelRoute.THROUGH_OPERATIONS
    return CancelRoute.AT_ONCE
