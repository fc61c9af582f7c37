"""What Operations reports moves fulfilment forward only; a failed install is the desk's to resolve."""

from datetime import date

import pytest

from fulfillment_handoff.domain.fulfilment import (
    Fulfilment,
    InvalidOpsReport,
    apply_ops_report,
    waiting_for_operations,
)
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus

JAN_20 = date(2027, 1, 20)


def report(status: OpsStatus, effective_date: date | None = None, reason: str | None = None) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(
        order_id="PO-1", order_version=1, status=status, effective_date=effective_date, reason=reason
    )


def test_accepted_scheduled_installed_each_move_the_order_on():
    fulfilment = Fulfilment()
    for step in (report(OpsStatus.ACCEPTED), report(OpsStatus.SCHEDULED, JAN_20), report(OpsStatus.INSTALLED, JAN_20)):
        outcome = apply_ops_report(fulfilment, step)
        assert outcome.ignored_because is None and outcome.fallout is None
        fulfilment = outcome.fulfilment
    assert fulfilment == Fulfilment(OpsStatus.INSTALLED, scheduled_for=JAN_20, installed_on=JAN_20)
    assert waiting_for_operations(fulfilment) is None


def test_a_late_accepted_after_scheduled_changes_nothing():
    scheduled = Fulfilment(OpsStatus.SCHEDULED, scheduled_for=JAN_20)
    outcome = apply_ops_report(scheduled, report(OpsStatus.ACCEPTED))
    assert outcome.fulfilment == scheduled
    assert outcome.ignored_because == "the order is scheduled already"


def test_a_new_date_reschedules_the_installation():
    outcome = apply_ops_report(
        Fulfilment(OpsStatus.SCHEDULED, scheduled_for=JAN_20), report(OpsStatus.SCHEDULED, date(2027, 2, 3))
    )
    assert outcome.fulfilment.scheduled_for == date(2027, 2, 3)
    assert waiting_for_operations(outcome.fulfilment).what == "install on 2027-02-03"


def test_a_failed_install_holds_the_order_as_downstream_reject_for_the_desk():
    outcome = apply_ops_report(
        Fulfilment(OpsStatus.SCHEDULED, scheduled_for=JAN_20), report(OpsStatus.FAILED, reason="no access to the MPOE")
    )
    kind, finding = outcome.fallout
    assert (kind, finding.reason_code) == (FalloutKind.HELD, "DOWNSTREAM_REJECT")
    assert "no access to the MPOE" in finding.message
    assert waiting_for_operations(outcome.fulfilment).who == "sales desk"


def test_operations_picking_a_failed_order_up_again_releases_it():
    failed = Fulfilment(OpsStatus.FAILED, failure_reason="no access to the MPOE")
    outcome = apply_ops_report(failed, report(OpsStatus.SCHEDULED, JAN_20))
    assert outcome.fulfilment.status is OpsStatus.SCHEDULED
    assert outcome.fallout[0] is FalloutKind.RELEASED


def test_nothing_moves_an_installed_order():
    installed = Fulfilment(OpsStatus.INSTALLED, installed_on=JAN_20)
    outcome = apply_ops_report(installed, report(OpsStatus.FAILED, reason="late complaint"))
    assert (outcome.fulfilment, outcome.fallout) == (installed, None)


@pytest.mark.parametrize(
    ("status", "needs"),
    [(OpsStatus.INSTALLED, "effectiveDate"), (OpsStatus.SCHEDULED, "effectiveDate"), (OpsStatus.FAILED, "reason")],
)
def test_a_report_without_what_its_status_needs_is_refused(status, needs):
    with pytest.raises(InvalidOpsReport, match=needs):
        apply_ops_report(Fulfilment(), report(status))
