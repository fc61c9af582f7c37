"""What Operations reports moves fulfillment forward only, item by item; a failed install is the desk's to resolve;
reports are checked against the hand-off and today."""

from dataclasses import replace
from datetime import date

import pytest

from fulfillment_handoff.domain.fulfillment import (
    Fulfillment,
    HandedOff,
    ItemOutcome,
    WaitingFor,
    apply_ops_report,
    report_problems,
    superseded,
    unasked_cancel,
    waiting_for_operations,
)
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderFact, advance, fact_of, received
from orderdesk_shared.order_versions import Standing

HANDED_OFF_ON = date(2027, 1, 4)
TODAY = date(2027, 1, 11)
JAN_20 = date(2027, 1, 20)


def report(
    status: OpsStatus,
    effective_date: date | None = None,
    reason: str | None = None,
    items: tuple[str, ...] = (),
) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(
        order_id="PO-1",
        order_version=1,
        status=status,
        effective_date=effective_date,
        reason=reason,
        item_ids=list(items),
    )


def handed_off(fulfillment: Fulfillment | None = None, *, items: tuple[str, ...] = ("1",), **more) -> HandedOff:
    return HandedOff(version=1, on=HANDED_OFF_ON, item_ids=items, fulfillment=fulfillment or Fulfillment(), **more)


def after(*reports: OpsOrderStatusChanged, items: tuple[str, ...] = ("1",)) -> HandedOff:
    """The hand-off once these reports were applied in turn (each must change something)."""
    order = handed_off(items=items)
    for each in reports:
        outcome = apply_ops_report(order, each)
        assert outcome.ignored_because is None, outcome.ignored_because
        order = replace(order, fulfillment=outcome.fulfillment)
    return order


def test_accepted_scheduled_installed_each_move_the_order_on():
    order = after(report(OpsStatus.ACCEPTED), report(OpsStatus.SCHEDULED, JAN_20), report(OpsStatus.INSTALLED, JAN_20))
    assert (order.fulfillment.status, order.fulfillment.installed_on) == (OpsStatus.INSTALLED, JAN_20)
    assert order.fulfillment.items == {"1": ItemOutcome(OpsStatus.INSTALLED, JAN_20)}
    assert waiting_for_operations(order) is None


def test_a_late_accepted_after_scheduled_changes_nothing():
    scheduled = after(report(OpsStatus.SCHEDULED, JAN_20))
    outcome = apply_ops_report(scheduled, report(OpsStatus.ACCEPTED))
    assert outcome.fulfillment == scheduled.fulfillment
    assert outcome.ignored_because == "the order is scheduled already"


def test_the_same_date_again_changes_nothing_and_a_new_date_reschedules():
    scheduled = after(report(OpsStatus.SCHEDULED, JAN_20))
    assert apply_ops_report(scheduled, report(OpsStatus.SCHEDULED, JAN_20)).ignored_because
    rescheduled = apply_ops_report(scheduled, report(OpsStatus.RESCHEDULED, date(2027, 2, 3)))
    assert rescheduled.fulfillment.status is OpsStatus.RESCHEDULED
    assert waiting_for_operations(handed_off(rescheduled.fulfillment)).what == "install on 2027-02-03"


def test_a_failed_install_holds_the_order_as_downstream_reject_for_the_desk():
    scheduled = after(report(OpsStatus.SCHEDULED, JAN_20))
    outcome = apply_ops_report(scheduled, report(OpsStatus.FAILED, reason="no access to the MPOE"))
    kind, finding = outcome.fallout
    assert (kind, finding.reason_code) == (FalloutKind.HELD, "DOWNSTREAM_REJECT")
    assert "no access to the MPOE" in finding.message
    assert waiting_for_operations(handed_off(outcome.fulfillment)) == WaitingFor(
        "sales desk", "resolve the failed installation with Operations: no access to the MPOE"
    )
    again = apply_ops_report(handed_off(outcome.fulfillment), report(OpsStatus.FAILED, reason="no access to the MPOE"))
    assert again.ignored_because == "Operations reported this before"


@pytest.mark.parametrize(
    "resumed",
    [
        report(OpsStatus.RESCHEDULED, date(2027, 1, 27)),
        report(OpsStatus.SCHEDULED, date(2027, 1, 27)),
        report(OpsStatus.ACCEPTED),
        report(OpsStatus.INSTALLED, date(2027, 1, 11)),
    ],
    ids=lambda r: r.status,
)
def test_operations_picking_a_failed_order_up_again_releases_it(resumed):
    failed = after(report(OpsStatus.SCHEDULED, JAN_20), report(OpsStatus.FAILED, reason="no access to the MPOE"))
    outcome = apply_ops_report(failed, resumed)
    assert outcome.fulfillment.status is resumed.status
    assert outcome.fallout[0] is FalloutKind.RELEASED
    assert outcome.fulfillment.failure_reason is None


def test_nothing_moves_an_installed_or_cancelled_order():
    for ended in (after(report(OpsStatus.INSTALLED, JAN_20)), after(report(OpsStatus.CANCELLED))):
        outcome = apply_ops_report(ended, report(OpsStatus.FAILED, reason="late complaint"))
        assert (outcome.fulfillment, outcome.fallout) == (ended.fulfillment, None)
        assert outcome.ignored_because.endswith("already")


def test_a_confirmed_cancel_ends_the_order_and_nothing_waits():
    cancelling = handed_off(after(report(OpsStatus.SCHEDULED, JAN_20)).fulfillment, cancel_sent=True)
    assert waiting_for_operations(cancelling).what.startswith("stop the work")
    outcome = apply_ops_report(cancelling, report(OpsStatus.CANCELLED))
    assert (outcome.fulfillment.status, outcome.fallout) == (OpsStatus.CANCELLED, None)
    assert waiting_for_operations(replace(cancelling, fulfillment=outcome.fulfillment)) is None


def test_a_cancel_confirmed_after_a_failure_does_not_release_the_order_to_go_on():
    failed = after(report(OpsStatus.FAILED, reason="no access"))
    assert apply_ops_report(failed, report(OpsStatus.CANCELLED)).fallout is None


def test_an_order_is_installed_once_every_item_is_and_waits_for_the_rest_until_then():
    partly = after(
        report(OpsStatus.SCHEDULED, JAN_20), report(OpsStatus.INSTALLED, TODAY, items=("1",)), items=("1", "2")
    )
    assert partly.fulfillment.status is OpsStatus.SCHEDULED
    assert waiting_for_operations(partly).what == "install on 2027-01-20 (items still open: 2)"
    done = apply_ops_report(partly, report(OpsStatus.INSTALLED, JAN_20, items=("2",))).fulfillment
    assert (done.status, done.installed_on) == (OpsStatus.INSTALLED, JAN_20)
    assert done.items == {"1": ItemOutcome(OpsStatus.INSTALLED, TODAY), "2": ItemOutcome(OpsStatus.INSTALLED, JAN_20)}


def test_a_failed_item_fails_the_order_until_it_is_rescheduled_and_installed_items_stay_installed():
    order = after(
        report(OpsStatus.INSTALLED, TODAY, items=("1",)),
        report(OpsStatus.FAILED, reason="conduit blocked", items=("2",)),
        items=("1", "2", "3"),
    )
    assert order.fulfillment.status is OpsStatus.FAILED
    assert order.fulfillment.items["2"] == ItemOutcome(OpsStatus.FAILED, reason="conduit blocked")
    # Another item's date, or install, leaves the failed one failed: the desk still has it.
    other = apply_ops_report(order, report(OpsStatus.SCHEDULED, JAN_20, items=("3",)))
    assert (other.fulfillment.status, other.fulfillment.scheduled_for, other.fallout) == (
        OpsStatus.FAILED,
        JAN_20,
        None,
    )
    installed = apply_ops_report(
        handed_off(other.fulfillment, items=("1", "2", "3")), report(OpsStatus.INSTALLED, TODAY, items=("3",))
    )
    assert (installed.fulfillment.status, installed.fulfillment.scheduled_for) == (OpsStatus.FAILED, JAN_20)
    resumed = apply_ops_report(order, report(OpsStatus.RESCHEDULED, JAN_20, items=("2",)))
    assert resumed.fallout[0] is FalloutKind.RELEASED
    assert set(resumed.fulfillment.items) == {"1"}
    # A report about the whole order does not undo an item's end.
    whole = apply_ops_report(order, report(OpsStatus.CANCELLED)).fulfillment
    assert {item: outcome.status for item, outcome in whole.items.items()} == {
        "1": OpsStatus.INSTALLED,
        "2": OpsStatus.CANCELLED,
        "3": OpsStatus.CANCELLED,
    }


# The same reports, folded by the TMF622 mapping intake and the console use: each item must end up the same.
_AS_TMF = {OpsStatus.INSTALLED: OrderState.COMPLETED, OpsStatus.FAILED: OrderState.FAILED}


@pytest.mark.parametrize(
    "reports",
    [
        [report(OpsStatus.INSTALLED, TODAY, items=("1",)), report(OpsStatus.FAILED, reason="x", items=("2",))],
        [report(OpsStatus.FAILED, reason="x"), report(OpsStatus.RESCHEDULED, JAN_20, items=("1",))],
        [report(OpsStatus.INSTALLED, TODAY, items=("2",)), report(OpsStatus.CANCELLED)],
        [report(OpsStatus.FAILED, reason="x", items=("1",)), report(OpsStatus.INSTALLED, TODAY)],
    ],
)
def test_each_item_ends_as_the_tmf622_mapping_says(reports):
    order = after(*reports, items=("1", "2"))
    status = advance(received(1, ("1", "2")), OrderFact(1, Stage.HANDED_OFF, Stage.HANDED_OFF))
    for each in reports:
        status = advance(status, fact_of(each))
    for item_id in ("1", "2"):
        outcome = order.fulfillment.items.get(item_id)
        ours = _AS_TMF.get(outcome.status, OrderState.CANCELLED) if outcome else OrderState.IN_PROGRESS
        assert ours is status.item_state(item_id)


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        (report(OpsStatus.INSTALLED), ("effectiveDate",), "needs its date"),
        (report(OpsStatus.SCHEDULED), ("effectiveDate",), "needs its date"),
        (report(OpsStatus.RESCHEDULED), ("effectiveDate",), "needs its date"),
        (report(OpsStatus.INSTALLED, date(2027, 1, 3)), ("effectiveDate",), "predate the hand-off on 2027-01-04"),
        (report(OpsStatus.INSTALLED, date(2027, 1, 12)), ("effectiveDate",), "in the future"),
        (report(OpsStatus.SCHEDULED, date(2027, 1, 10)), ("effectiveDate",), "is past"),
        (report(OpsStatus.RESCHEDULED, date(2027, 1, 10)), ("effectiveDate",), "is past"),
        (report(OpsStatus.FAILED, reason="  "), ("reason",), "needs its reason"),
        (report(OpsStatus.ACCEPTED, items=("1", "9")), ("itemIds", 1), "item 9 is not on order PO-1 v1"),
    ],
)
def test_a_report_is_checked_against_the_hand_off_and_today(bad, field, says):
    [problem] = report_problems(bad, handed_off(), today=TODAY)
    assert problem.field == field
    assert says in problem.reason


@pytest.mark.parametrize(
    "good",
    [
        report(OpsStatus.INSTALLED, HANDED_OFF_ON),
        report(OpsStatus.INSTALLED, TODAY, items=("1",)),
        report(OpsStatus.SCHEDULED, TODAY),
        report(OpsStatus.FAILED, reason="customer not on site"),
        report(OpsStatus.CANCELLED),
    ],
)
def test_a_report_within_the_rules_has_no_problem(good):
    assert report_problems(good, handed_off(), today=TODAY) == []


def test_operations_can_only_confirm_a_cancel_that_was_sent():
    assert "no cancel was sent" in unasked_cancel(report(OpsStatus.CANCELLED), handed_off())
    assert unasked_cancel(report(OpsStatus.CANCELLED), handed_off(cancel_sent=True)) is None
    assert unasked_cancel(report(OpsStatus.INSTALLED, TODAY), handed_off()) is None


def test_reports_about_a_corrected_version_count_no_more_unless_the_order_was_cancelled():
    assert superseded(None, 1) is None
    assert superseded(Standing("PO-1", 2, None), 1) == "order PO-1 was corrected: version 2 replaces version 1"
    assert superseded(Standing("PO-1", 2, None), 2) is None
    assert superseded(Standing("PO-1", 2, "customer went elsewhere"), 1) is None
