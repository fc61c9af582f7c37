from intake.domain.lifecycle import StageReport, changeable, stage_after, state_after_fallout
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import OrderState, Stage


def _reports(*reached: tuple[int, Stage]) -> list[StageReport]:
    return [StageReport("PO-1", version, stage) for version, stage in reached]


def test_an_order_moves_forward_to_the_furthest_stage_reported():
    assert stage_after(Stage.VALIDATED, 1, _reports((1, Stage.QUALIFIED), (1, Stage.PRICED))) is Stage.PRICED


def test_older_or_repeated_news_does_not_move_an_order_back():
    assert stage_after(Stage.APPROVED, 1, _reports((1, Stage.QUALIFIED))) is None
    assert stage_after(Stage.APPROVED, 1, _reports((1, Stage.APPROVED))) is None


def test_news_about_a_version_corrected_since_moves_nothing_but_news_about_the_new_one_does():
    assert stage_after(Stage.VALIDATED, 2, _reports((1, Stage.PRICED))) is None
    assert stage_after(Stage.VALIDATED, 2, _reports((1, Stage.PRICED), (2, Stage.QUALIFIED))) is Stage.QUALIFIED


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
