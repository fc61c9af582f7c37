"""The decisions intake's handlers act on, taken on their own: an Operations report, the statuses facts move, the
likely duplicates held, a channel's resend, a correction, and the desk's cancel."""

from dataclasses import replace
from datetime import date

import pytest

from intake.domain.acceptance import assess, decide_correction, held_as_duplicates
from intake.domain.desk import decide_cancel
from intake.domain.duplicates import Resend, resend_of
from intake.domain.lifecycle import NotAllowed
from intake.domain.progress import decide_ops_report, moved_statuses
from intake.domain.records import CancelAsked, StoredOrder, SubmittedOrder
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import OrderFact, advance
from orderdesk_stack.order_generator import generate_orders

from .conftest import NOW, SEED_RULES

[GENERATED] = generate_orders(1, seed=41, invalid_share=0.0)
ORDER = to_canonical(ProductOrderCreate.model_validate(GENERATED.body), order_id="PO-1", submitted_by="rep-001")


def _assessed(order_id: str, external_id: str):
    order = ORDER.model_copy(update={"id": order_id, "external_id": external_id})
    return assess(SubmittedOrder(order), SEED_RULES, now=NOW, installed=[])


def _report(status: OpsStatus, effective_date: date | None = None) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(order_id="PO-1", order_version=1, status=status, effective_date=effective_date)


def test_an_installation_without_a_date_completes_the_order_today_and_fails_a_cancel_asked_too_late():
    report = decide_ops_report(_report(OpsStatus.INSTALLED), now=NOW)
    assert (report.completed_on, report.products_installed) == (NOW.date(), True)
    assert (report.cancel_requests.state, report.cancel_requests.at) == ("terminatedWithError", NOW)


@pytest.mark.parametrize("status", [OpsStatus.FAILED, OpsStatus.RESCHEDULED])
def test_a_failed_or_rescheduled_installation_settles_nothing(status):
    report = decide_ops_report(_report(status, date(2027, 1, 12)), now=NOW)
    assert (report.completed_on, report.products_installed, report.cancel_requests) == (None, None, None)


def test_only_the_orders_a_fact_moves_are_stored():
    status = _assessed("PO-1", "OPP-1").status
    qualified = OrderFact(1, Stage.QUALIFIED, Stage.QUALIFIED)
    stale = OrderFact(0, Stage.QUALIFIED, Stage.QUALIFIED)
    moved = moved_statuses({"PO-1": status, "PO-2": status}, {"PO-1": [qualified], "PO-2": [stale]})
    assert moved == {"PO-1": advance(status, qualified)}


def test_a_resend_under_the_same_external_id_in_one_batch_is_not_a_likely_duplicate():
    first, resent = _assessed("PO-1", "OPP-1"), _assessed("PO-2", "OPP-1")
    assert [new.status.state for new in held_as_duplicates([first, resent], {})] == [OrderState.IN_PROGRESS] * 2
    other = _assessed("PO-3", "OPP-2")
    held = held_as_duplicates([first, other], {})[1]
    assert (held.status.state, held.findings[0].reason_code) == (OrderState.HELD, "DUPLICATE_ORDER")


def test_a_cancel_of_an_order_whose_cancel_is_under_way_is_refused():
    new = _assessed("PO-1", "OPP-1")
    stored = StoredOrder(new.order, new.status, NOW, None, completed_on=None)
    cancel = decide_cancel(stored, CancelAsked("dana", ""), request_id="CPO-1", now=NOW)
    assert (cancel.events[0].kind, cancel.request.outcome) == (
        FalloutKind.CANCELLED,
        "cancelled before the hand-off to Operations",
    )
    handed_off = replace(stored, status=advance(stored.status, OrderFact(1, Stage.HANDED_OFF, Stage.HANDED_OFF)))
    requested = decide_cancel(handed_off, CancelAsked("dana", ""), request_id="CPO-2", now=NOW)
    under_way = replace(stored, status=requested.status)
    with pytest.raises(NotAllowed, match="its cancellation is under way"):
        decide_cancel(under_way, CancelAsked("dana", ""), request_id="CPO-3", now=NOW)


def test_a_resend_is_the_same_order_and_another_document_corrects_it_only_from_a_channel_that_sends_versions():
    assert resend_of(b'{"a":1}', b'{"a":1}', corrects=False) is Resend.SAME_ORDER
    assert resend_of(b'{"a":1}', b'{"a":2}', corrects=True) is Resend.CORRECTION
    assert resend_of(b'{"a":1}', b'{"a":2}', corrects=False) is Resend.CONFLICT


def test_a_correction_is_announced_as_its_version_validated_or_held_and_as_corrected_by_its_corrector():
    corrected = assess(SubmittedOrder(ORDER), SEED_RULES, now=NOW, installed=[], version=2)
    correction = decide_correction(corrected, actor="dana")
    assert [(type(event).__name__, event.order_version) for event in correction.events] == [
        ("OrderReceived", 2),
        ("OrderValidated", 2),
        ("OrderCorrected", 2),
    ]
    assert (correction.revision.action, correction.revision.version, correction.revision.actor) == (
        "corrected",
        2,
        "dana",
    )
    [held] = held_as_duplicates([corrected], {"PO-1": "PO-0"})
    held_correction = decide_correction(held, actor="dana")
    fallout = held_correction.events[1]
    assert (fallout.kind, fallout.findings[0].reason_code) == (FalloutKind.HELD, "DUPLICATE_ORDER")
    assert held_correction.revision.state is OrderState.HELD and held_correction.events[2].corrected_by == "dana"
