"""The order type of an order that does not name one: TMF622 has no order type, its items' actions say it."""

from collections.abc import Iterable

from orderdesk_shared.events.order import ItemAction, OrderType


def derived_order_type(actions: Iterable[ItemAction], *, existing_account: bool, new_owner: bool) -> OrderType:
    """A new owner named: transfer; removals and installations together: move; only removals: disconnect; a
    modification: change; only additions: add for an existing account, new for a new client."""
    present = set(actions) - {ItemAction.NO_CHANGE}
    if new_owner:
        return OrderType.TRANSFER
    if {ItemAction.DELETE, ItemAction.ADD} <= present:
        return OrderType.MOVE
    if present == {ItemAction.DELETE}:
        return OrderType.DISCONNECT
    if ItemAction.MODIFY in present or not present:
        # An order of nothing but noChange items is a change that changes nothing: the entry matrix says so.
        return OrderType.CHANGE
    return OrderType.ADD if existing_account else OrderType.NEW
