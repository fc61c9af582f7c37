"""What the desk may still do to an order: correct it until the hand-off, cancel it until the installation."""

import pytest

from intake.domain.lifecycle import CancelRoute, NotAllowed, cancel_route, check_correctable
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderStatus


def status(state: OrderState, stage: Stage) -> OrderStatus:
    return OrderStatus(version=1, stage=stage, state=state, item_ids=("1",))


def test_an_order_can_be_corrected_until_it_is_handed_off():
    for state, stage in (
        (OrderState.REJECTED, Stage.RECEIVED),
        (OrderState.IN_PROGRESS, Stage.APPROVED),
        (OrderState.HELD, Stage.QUALIFIED),
    ):
        check_correctable(status(state, stage))
    for stage in (Stage.HANDED_OFF, Stage.RATIFIED):
        with pytest.raises(NotAllowed, match="handed off"):
            check_correctable(status(OrderState.IN_PROGRESS, stage))


def test_an_ended_or_cancelling_order_can_no_longer_be_corrected():
    for state in (OrderState.CANCELLED, OrderState.COMPLETED, OrderState.ASSESSING_CANCELLATION):
        with pytest.raises(NotAllowed, match=str(state)):
            check_correctable(status(state, Stage.VALIDATED))


def test_a_cancel_before_the_hand_off_is_at_once_and_after_it_goes_through_operations():
    assert cancel_route(status(OrderState.PENDING, Stage.PRICED)) is CancelRoute.AT_ONCE
    assert cancel_route(status(OrderState.REJECTED, Stage.RECEIVED)) is CancelRoute.AT_ONCE
    assert cancel_route(status(OrderState.IN_PROGRESS, Stage.RATIFIED)) is CancelRoute.THROUGH_OPERATIONS
    assert cancel_route(status(OrderState.FAILED, Stage.RATIFIED)) is CancelRoute.THROUGH_OPERATIONS


def test_an_installed_cancelled_or_cancelling_order_is_not_cancelled_again():
    with pytest.raises(NotAllowed, match="past installation"):
        cancel_route(status(OrderState.COMPLETED, Stage.RATIFIED))
    with pytest.raises(NotAllowed, match="cancelled already"):
        cancel_route(status(OrderState.CANCELLED, Stage.PRICED))
    with pytest.raises(NotAllowed, match="under way"):
        cancel_route(status(OrderState.PENDING_CANCELLATION, Stage.RATIFIED))
