"""The timeline fold: what a specialist reads on an order's row, from its events alone."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from console.domain.timeline import Recorded, entry_for, fold, fold_on, fold_timeline, follows
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import ApprovalRequirement

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _lines(*events: Event):
    return [
        entry_for(
            event,
            Recorded(
                message_id=f"m{n}",
                source="test",
                occurred_at=START + timedelta(minutes=n),
                topic=event.topic,
                trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
            ),
        )
        for n, event in enumerate(events)
    ]


def test_an_order_through_every_stage_ends_ratified_with_its_trace_and_who_acted(journeys):
    lines = _lines(*journeys.every_stage())
    row = fold(lines)
    assert (row.stage, row.state) == (Stage.RATIFIED, OrderState.IN_PROGRESS)
    assert row.stage_entered_at == START + timedelta(minutes=6)
    assert row.received_at == START
    assert (row.handed_off_at, row.ratified_at) == (START + timedelta(minutes=5), START + timedelta(minutes=6))
    assert row.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert (row.account, row.submitted_by, row.channel) == ("Acme Corp", "rep-001", "crm")
    assert (row.external_id, row.sales_reps) == ("OPP-0065e00000QxT9a", "rep-001, rep-017")  # what search looks in
    assert [line.kind for line in lines] == [str(stage) for stage in Stage]
    assert lines[0].actor == "rep-001"
    assert lines[4].actor == "dora (sales_director)"


def test_a_priced_order_waits_for_its_approvers_and_operations_install_completes_it(journeys):
    events = journeys.every_stage()
    assert fold(_lines(*events[:4])).assignee == "sales_director"
    installed = OpsOrderStatusChanged(order_id="PO-1", order_version=1, status=OpsStatus.INSTALLED)
    assert fold(_lines(*events, installed)).state == OrderState.COMPLETED


def test_a_priced_order_is_due_when_the_last_approval_it_waits_for_is_due(journeys):
    received, validated, qualified, priced, approved = journeys.every_stage()[:5]
    due = {
        "finance": START + timedelta(days=2),
        "legal": START + timedelta(days=3),
        "vp_sales": START + timedelta(days=9),
    }
    priced = priced.model_copy(
        update={
            "required_approvals": [
                ApprovalRequirement(role="finance", reason="capital", due_at=due["finance"], status="pending"),
                ApprovalRequirement(role="legal", reason="terms", due_at=due["legal"], status="pending"),
                # Granted on an earlier version for the same inputs: nobody waits for it.
                ApprovalRequirement(role="vp_sales", reason="discount", due_at=due["vp_sales"], status="granted"),
            ]
        }
    )
    assert fold(_lines(received, validated, qualified, priced)).awaiting_due_at == due["legal"]
    assert fold(_lines(received, validated, qualified, priced, approved)).awaiting_due_at is None


def test_a_rejected_order_shows_its_blocker_to_the_rep_until_its_correction_moves_on(journeys):
    received = journeys.every_stage(version=1)[0]
    rejected = fold(_lines(received, journeys.rejection(version=1)))
    assert rejected.state == OrderState.REJECTED
    assert rejected.blocker == "splits add up to 90"
    assert rejected.findings[0]["reasonCode"] == "INVALID_VALUE"
    assert rejected.assignee == "rep-001"

    corrected = journeys.every_stage(version=2)[:3]
    row = fold(_lines(received, journeys.rejection(version=1), *corrected, journeys.rejection(version=1)))
    assert (row.order_version, row.stage, row.state) == (2, Stage.QUALIFIED, OrderState.IN_PROGRESS)
    assert row.findings == [] and row.blocker is None


def test_the_row_does_not_depend_on_the_order_lines_arrive_in(journeys):
    lines = _lines(*journeys.every_stage(), journeys.rejection(version=1))
    shuffled = random.Random(7).sample(lines, k=len(lines))
    assert fold(shuffled) == fold(lines)


def test_a_held_order_stays_held_while_later_news_arrives_and_a_release_clears_it(journeys):
    received, validated, qualified = journeys.every_stage()[:3]
    held = journeys.fallout(FalloutKind.HELD, Stage.VALIDATED, "SITE_SURVEY_REQUIRED", "a site survey is needed")
    released = OrderFallout(
        order_id="PO-1", order_version=1, stage=Stage.VALIDATED, kind=FalloutKind.RELEASED, findings=[]
    )
    assert fold(_lines(received, validated, held)).blocker == "a site survey is needed"
    row = fold(_lines(received, validated, held, released, qualified))
    assert (row.state, row.stage, row.blocker) == (OrderState.IN_PROGRESS, Stage.QUALIFIED, None)


def test_an_order_pending_approval_is_the_approvers_work_not_the_reps(journeys):
    priced = journeys.every_stage()[:4]
    pending = journeys.fallout(
        FalloutKind.PENDING, Stage.PRICED, "PRICING_APPROVAL_REQUIRED", "sales_director approval required"
    )
    row = fold(_lines(*priced, pending))
    assert (row.state, row.assignee) == (OrderState.PENDING, "sales_director")


def test_a_corrected_versions_verdict_names_who_corrected_it(journeys):
    received, validated = journeys.every_stage(version=1)[:2]
    valid_again = validated.model_copy(update={"order_version": 2, "corrected_by": "dana"})
    still_wrong = journeys.rejection(version=3).model_copy(update={"corrected_by": "rep-001"})
    lines = _lines(received, journeys.rejection(version=1), valid_again, still_wrong)
    assert [(line.actor, line.what) for line in lines[2:]] == [
        ("dana", "corrected, then validated"),
        ("rep-001", "corrected, then rejected at received: INVALID_VALUE"),
    ]
    assert [line.actor for line in _lines(received, validated)] == ["rep-001", "test"]


def test_a_failed_install_is_the_desks_to_resolve_with_its_reason_until_operations_gives_a_new_date(journeys):
    failed = journeys.operations(OpsStatus.FAILED, "2", reason="no access to the riser")
    lines = _lines(*journeys.every_stage(), failed)
    assert lines[-1].what == "Operations: failed on 2026-12-01 (items 2): no access to the riser"
    row = fold(lines)
    assert (row.state, row.assignee) == (OrderState.FAILED, "specialist")
    assert row.blocker == "Operations failed the installation: no access to the riser"
    assert row.item_states == {"1": "inProgress", "2": "failed"}
    row = fold(_lines(*journeys.every_stage(), failed, journeys.operations(OpsStatus.RESCHEDULED)))
    assert (row.state, row.blocker, row.assignee, row.findings) == (OrderState.IN_PROGRESS, None, None, [])


def test_a_cancel_after_the_hand_off_waits_for_operations_and_the_timeline_says_what_was_asked(journeys):
    requested = journeys.fallout(
        FalloutKind.CANCELLATION_REQUESTED, Stage.RATIFIED, "CANCELLED", "cancel asked: the customer moved"
    )
    stop = HandOffCancelled(order_id="PO-1", order_version=1, reason="the customer moved", requested_by="dana")
    lines = _lines(*journeys.every_stage(), requested, stop)
    assert (lines[-1].actor, lines[-1].what) == ("dana", "Operations asked to stop the work: the customer moved")
    row = fold(lines)
    assert (row.state, row.assignee, row.blocker) == (
        OrderState.PENDING_CANCELLATION,
        "operations",
        "cancel asked: the customer moved",
    )
    row = fold(_lines(*journeys.every_stage(), requested, stop, journeys.operations(OpsStatus.CANCELLED)))
    assert (row.state, row.assignee, row.item_states) == (
        OrderState.CANCELLED,
        None,
        {"1": "cancelled", "2": "cancelled"},
    )


def _eventful_timelines(journeys):
    failed = journeys.operations(OpsStatus.FAILED, "2", reason="no access to the riser")
    held = journeys.fallout(FalloutKind.HELD, Stage.VALIDATED, "SITE_SURVEY_REQUIRED", "a site survey is needed")
    released = OrderFallout(
        order_id="PO-1", order_version=1, stage=Stage.VALIDATED, kind=FalloutKind.RELEASED, findings=[]
    )
    received, validated, qualified = journeys.every_stage()[:3]
    return [
        _lines(*journeys.every_stage(), failed, journeys.operations(OpsStatus.RESCHEDULED)),
        _lines(received, validated, held, released, qualified),
        _lines(received, journeys.rejection(version=1), *journeys.every_stage(version=2)[:4]),
        _lines(*journeys.every_stage()[:4], journeys.fallout(FalloutKind.PENDING, Stage.PRICED, "X", "approval")),
    ]


def test_folding_each_poll_s_lines_on_gives_the_row_of_the_whole_timeline(journeys):
    for lines in _eventful_timelines(journeys):
        for size in (1, 2, 3):
            folded = fold_timeline(lines[:size])
            for start in range(size, len(lines), size):
                assert follows(folded, lines[start : start + size])
                folded = fold_on(folded, lines[start : start + size])
            assert folded.row == fold(lines)
            assert folded == fold_timeline(lines)


def test_a_line_at_or_before_the_last_one_folded_needs_the_whole_timeline_folded_again(journeys):
    lines = _lines(*journeys.every_stage())
    folded = fold_timeline([lines[0], lines[2]])
    assert not follows(folded, [lines[1]]) and not follows(folded, [lines[2]])
    assert follows(folded, [lines[3]])
    with pytest.raises(ValueError):
        fold_on(folded, [lines[1]])


def test_nothing_is_folded_before_the_order_is_received(journeys):
    received, validated = _lines(*journeys.every_stage()[:2])
    assert fold_timeline([validated]) is None
    assert fold_timeline([validated, received]).row == fold([received, validated])
