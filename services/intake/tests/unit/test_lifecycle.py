from intake.domain.lifecycle import changeable, stages_before, state_after_fallout
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import OrderState, Stage


def test_an_order_moves_forward_to_a_later_stage():
    assert Stage.VALIDATED in stages_before(Stage.PRICED)


def test_older_or_repeated_news_does_not_move_an_order_back():
    assert Stage.APPROVED not in stages_before(Stage.QUALIFIED)
    assert Stage.APPROVED not in stages_before(Stage.APPROVED)


def test_a_hold_and_its_release_change_the_state_but_jeopardy_does_not():
    assert state_after_fallout(OrderState.IN_PROGRESS, FalloutKind.HELD) is OrderState.HELD
    assert state_after_fallout(OrderState.HELD, FalloutKind.RELEASED) is OrderState.IN_PROGRESS
    assert state_after_fallout(OrderState.IN_PROGRESS, FalloutKind.JEOPARDY) is None


def test_a_cancelled_order_stays_cancelled():
    assert state_after_fallout(OrderState.CANCELLED, FalloutKind.RELEASED) is None


def test_an_order_can_be_corrected_or_cancelled_until_it_is_handed_off():
    assert changeable(OrderState.REJECTED, Stage.RECEIVED)
    assert changeable(OrderState.IN_PROGRESS, Stage.APPROVED)
    assert changeable(OrderState.HELD, Stage.QUALIFIED)
    assert not changeable(OrderState.IN_PROGRESS, Stage.HANDED_OFF)
    assert not changeable(OrderState.IN_PROGRESS, Stage.RATIFIED)


def test_an_ended_order_can_no_longer_be_changed():
    for ended in (OrderState.CANCELLED, OrderState.COMPLETED, OrderState.FAILED):
        assert not changeable(ended, Stage.VALIDATED)
