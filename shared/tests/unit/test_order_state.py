"""The one mapping from an order's facts to its TMF622 state: what intake answers and the console shows."""

from datetime import date

from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.intake import OrderReceived
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderState, OrderType, ProductOrder, Stage
from orderdesk_shared.order_state import OrderFact, advance, fact_of, fold

ITEMS = ("1", "2")


def received(version: int = 1) -> OrderFact:
    return OrderFact(version, "received", Stage.RECEIVED, item_ids=ITEMS)


def reached(stage: Stage, version: int = 1) -> OrderFact:
    return OrderFact(version, str(stage), stage)


def fallout(kind: FalloutKind, stage: Stage, code: str = "X", version: int = 1) -> OrderFact:
    return OrderFact(version, str(kind), stage, findings=({"reasonCode": code, "message": code},))


def ops(status: OpsStatus, *items: str, version: int = 1) -> OrderFact:
    return OrderFact(version, f"ops-{status}", Stage.HANDED_OFF, item_ids=items)


def through(stage: Stage, version: int = 1) -> list[OrderFact]:
    return [received(version)] + [reached(s, version) for s in Stage if Stage.RECEIVED.rank < s.rank <= stage.rank]


def test_an_order_is_acknowledged_when_received_and_in_progress_from_validation_on():
    assert fold([received()]).state is OrderState.ACKNOWLEDGED
    status = fold(through(Stage.RATIFIED))
    assert (status.stage, status.state) == (Stage.RATIFIED, OrderState.IN_PROGRESS)


def test_installed_completes_the_order_and_each_item_whatever_stage_news_comes_late():
    installed_early = [*through(Stage.APPROVED), ops(OpsStatus.ACCEPTED), ops(OpsStatus.INSTALLED)]
    assert fold(installed_early).state is OrderState.COMPLETED
    late = fold([*installed_early, reached(Stage.HANDED_OFF), reached(Stage.RATIFIED)])
    assert (late.stage, late.state) == (Stage.RATIFIED, OrderState.COMPLETED)
    assert [late.item_state(item) for item in ITEMS] == [OrderState.COMPLETED, OrderState.COMPLETED]


def test_failed_then_rescheduled_then_installed_ends_completed():
    failed = fold([*through(Stage.RATIFIED), ops(OpsStatus.SCHEDULED), ops_failed("no access to the riser")])
    assert failed.state is OrderState.FAILED
    assert failed.findings[0]["reasonCode"] == "DOWNSTREAM_REJECT"
    assert "no access to the riser" in failed.findings[0]["message"]
    rescheduled = advance(failed, ops(OpsStatus.RESCHEDULED))
    assert (rescheduled.state, rescheduled.findings) == (OrderState.IN_PROGRESS, ())
    assert advance(rescheduled, ops(OpsStatus.INSTALLED)).state is OrderState.COMPLETED


def ops_failed(reason: str, *items: str) -> OrderFact:
    report = OpsOrderStatusChanged(
        order_id="PO-1", order_version=1, status=OpsStatus.FAILED, reason=reason, item_ids=list(items)
    )
    return fact_of(report)


def test_one_failed_item_fails_the_order_and_the_other_item_is_still_in_progress():
    status = fold([*through(Stage.RATIFIED), ops(OpsStatus.INSTALLED, "1"), ops_failed("vendor loop down", "2")])
    assert status.state is OrderState.FAILED
    assert (status.item_state("1"), status.item_state("2")) == (OrderState.COMPLETED, OrderState.FAILED)
    assert status.findings[0]["fieldPath"] == "items[2]"


def test_one_item_installed_and_the_other_cancelled_is_partial():
    status = fold([*through(Stage.RATIFIED), ops(OpsStatus.INSTALLED, "1"), ops(OpsStatus.CANCELLED, "2")])
    assert status.state is OrderState.PARTIAL
    assert (status.item_state("1"), status.item_state("2")) == (OrderState.COMPLETED, OrderState.CANCELLED)


def test_a_stop_waits_for_its_stage_and_clears_once_the_order_moves_past_it():
    # Pricing's pending record can arrive before orders.priced itself: the order still waits.
    status = fold([*through(Stage.QUALIFIED), fallout(FalloutKind.PENDING, Stage.PRICED), reached(Stage.PRICED)])
    assert (status.stage, status.state, status.stopped_at) == (Stage.PRICED, OrderState.PENDING, Stage.PRICED)
    assert status.findings[0]["reasonCode"] == "X"
    approved = fold([*through(Stage.QUALIFIED), fallout(FalloutKind.PENDING, Stage.PRICED), reached(Stage.APPROVED)])
    assert approved.state is OrderState.IN_PROGRESS


def test_a_stop_raised_where_the_order_has_moved_past_is_stale():
    status = fold([*through(Stage.PRICED), fallout(FalloutKind.HELD, Stage.QUALIFIED)])
    assert status.state is OrderState.IN_PROGRESS


def test_a_release_resumes_the_order_it_stopped():
    held = fold([*through(Stage.VALIDATED), fallout(FalloutKind.HELD, Stage.QUALIFIED, "SITE_SURVEY_REQUIRED")])
    assert held.state is OrderState.HELD
    assert advance(held, fallout(FalloutKind.RELEASED, Stage.QUALIFIED)).state is OrderState.IN_PROGRESS


def test_a_correction_starts_over_and_news_of_the_earlier_version_changes_nothing():
    rejected = fold([received(), fallout(FalloutKind.REJECTED, Stage.VALIDATED, "INVALID_VALUE")])
    corrected = advance(rejected, received(version=2))
    assert (corrected.version, corrected.state, corrected.findings) == (2, OrderState.ACKNOWLEDGED, ())
    assert advance(corrected, reached(Stage.QUALIFIED, version=1)) == corrected
    assert advance(corrected, reached(Stage.VALIDATED, version=2)).state is OrderState.IN_PROGRESS


def test_a_cancel_before_the_hand_off_is_final():
    cancelled = fold([*through(Stage.PRICED), fallout(FalloutKind.CANCELLED, Stage.PRICED, "CANCELLED")])
    assert cancelled.state is OrderState.CANCELLED
    for later in (reached(Stage.APPROVED), reached(Stage.HANDED_OFF), ops(OpsStatus.INSTALLED)):
        assert advance(cancelled, later).state is OrderState.CANCELLED
    assert [cancelled.item_state(item) for item in ITEMS] == [OrderState.CANCELLED, OrderState.CANCELLED]


def test_a_cancel_after_the_hand_off_waits_for_operations():
    asked = fold([*through(Stage.RATIFIED), fallout(FalloutKind.CANCELLATION_REQUESTED, Stage.RATIFIED)])
    assert asked.state is OrderState.ASSESSING_CANCELLATION
    sent = advance(asked, OrderFact(1, "hand-off-cancelled", Stage.HANDED_OFF))
    assert sent.state is OrderState.PENDING_CANCELLATION
    assert advance(sent, ops(OpsStatus.SCHEDULED)).state is OrderState.PENDING_CANCELLATION
    assert advance(sent, ops(OpsStatus.CANCELLED)).state is OrderState.CANCELLED
    assert advance(sent, ops(OpsStatus.INSTALLED)).state is OrderState.COMPLETED


def test_events_become_facts():
    order = ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        items=[OrderItem(id="1", product_offering_id="DIA-FIBER"), OrderItem(id="2", product_offering_id="SIP")],
    )
    facts = [
        fact_of(OrderReceived(order_id="PO-1", order_version=1, order=order)),
        fact_of(
            OrderFallout(
                order_id="PO-1",
                order_version=1,
                stage=Stage.VALIDATED,
                kind=FalloutKind.CANCELLATION_REQUESTED,
                findings=[Finding(reason_code="CANCELLED", message="customer moved")],
            )
        ),
        fact_of(HandOffCancelled(order_id="PO-1", order_version=1, reason="customer moved")),
        fact_of(
            OpsOrderStatusChanged(
                order_id="PO-1", order_version=1, status=OpsStatus.CANCELLED, effective_date=date(2027, 1, 4)
            )
        ),
    ]
    assert facts[0].item_ids == ("1", "2")
    kinds = [fact.kind for fact in facts]
    assert kinds == ["received", "cancellation-requested", "hand-off-cancelled", "ops-cancelled"]
    assert fold(facts).state is OrderState.CANCELLED
