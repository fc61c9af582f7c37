"""Corrections, cancels and Operations' reports about handed-off orders: the handlers driven in memory."""

from datetime import date, timedelta

import pytest

from fulfillment_handoff.domain.billing import CodeKey
from fulfillment_handoff.handlers import (
    follow_ops_status,
    hand_off,
    stop_cancelled_order,
    supersede_earlier_version,
)
from orderdesk_shared.errors import PermanentError
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Stage

DIA_IN_CHICAGO = ("DIA-FIBER", "chicago")
SIP_IN_GRAND_RAPIDS = ("SIP-TRUNK", "grand-rapids")  # the seed map has no code for it: the order is held
REASON = "the customer chose another provider"
CORRECTION = OrderCorrected(order_id="PO-1", order_version=2, corrected_by="sam-specialist")


def cancel(order_id: str, kind: FalloutKind = FalloutKind.CANCELLED) -> OrderFallout:
    return OrderFallout(
        order_id=order_id,
        order_version=1,
        stage=Stage.APPROVED,
        kind=kind,
        findings=[Finding(reason_code="CANCELLED", message=REASON)],
    )


def report(status: OpsStatus, *, version: int = 1, **fields) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(order_id="PO-1", order_version=version, status=status, **fields)


@pytest.fixture
async def handed_off(uow, context, approved):
    """PO-1, version 1, handed off to Operations (the events of the hand-off cleared)."""
    await hand_off(approved("PO-1", DIA_IN_CHICAGO), uow, context)
    await uow.commit()
    uow.emitted.clear()


@pytest.fixture
async def held(uow, context, approved):
    """PO-1, version 1, held for the SIP trunk's code in Grand Rapids (the events of the hold cleared)."""
    await hand_off(approved("PO-1", SIP_IN_GRAND_RAPIDS), uow, context)
    await uow.commit()
    uow.emitted.clear()


async def test_a_correction_drops_the_hold_of_the_version_it_replaces(uow, context, approved, held):
    await supersede_earlier_version(CORRECTION, uow, context)

    row = uow.handoffs.rows["PO-1"]
    assert (row["state"], row["findings"], row["approved"]) == ("superseded", [], None)
    assert uow.tickets.waits == {}
    # A late approval of the dead version is refused.
    await hand_off(approved("PO-1", SIP_IN_GRAND_RAPIDS), uow, context)
    await uow.commit()
    assert uow.events == []


async def test_a_correction_leaves_the_version_operations_has_until_it_is_approved(uow, context, handed_off):
    await supersede_earlier_version(CORRECTION, uow, context)

    assert uow.handoffs.rows["PO-1"]["state"] == "handed-off"
    assert (await uow.orders.standing_of("PO-1")).live_version == 2


async def test_a_cancelled_hold_is_dropped_and_operations_told_nothing(uow, context, held):
    await stop_cancelled_order(cancel("PO-1"), uow, context)

    assert uow.events == []
    assert uow.handoffs.rows["PO-1"]["state"] == "cancelled"
    assert uow.tickets.waits == {}
    assert (await uow.orders.standing_of("PO-1")).cancel_reason == REASON


async def test_a_cancel_after_hand_off_asks_operations_to_stop_once(uow, context, handed_off):
    await stop_cancelled_order(cancel("PO-1", FalloutKind.CANCELLATION_REQUESTED), uow, context)
    await stop_cancelled_order(cancel("PO-1", FalloutKind.CANCELLATION_REQUESTED), uow, context)
    await stop_cancelled_order(cancel("PO-1"), uow, context)

    assert uow.events == [HandOffCancelled(order_id="PO-1", order_version=1, reason=REASON)]
    assert uow.handoffs.rows["PO-1"]["state"] == "handed-off"  # until Operations confirms


async def test_a_cancel_of_an_installed_order_has_nothing_to_stop(uow, context, handed_off):
    await follow_ops_status(report(OpsStatus.INSTALLED, effective_date=context.clock().date()), uow, context)

    await stop_cancelled_order(cancel("PO-1", FalloutKind.CANCELLATION_REQUESTED), uow, context)

    assert uow.events == []


async def test_fallout_other_than_a_cancel_changes_nothing(uow, context, held):
    await stop_cancelled_order(
        OrderFallout(order_id="PO-1", order_version=1, stage=Stage.APPROVED, kind=FalloutKind.HELD, findings=[]),
        uow,
        context,
    )

    assert uow.handoffs.rows["PO-1"]["state"] == "held"
    assert await uow.orders.standing_of("PO-1") is None


async def test_a_cancel_before_the_approval_keeps_the_order_from_being_handed_off(uow, context, approved):
    await stop_cancelled_order(cancel("PO-1"), uow, context)
    await hand_off(approved("PO-1", DIA_IN_CHICAGO), uow, context)
    await uow.commit()

    assert uow.events == []
    assert uow.handoffs.rows == {}


async def test_operations_scheduling_the_order_is_recorded_and_kept(uow, context, handed_off):
    on = context.clock().date() + timedelta(days=10)

    await follow_ops_status(report(OpsStatus.SCHEDULED, effective_date=on), uow, context)

    row = uow.handoffs.rows["PO-1"]
    assert (row["ops_status"], row["scheduled_for"]) == ("scheduled", on)
    assert [outcome for _, outcome in uow.ops_reports.recorded] == ["applied"]
    assert uow.events == []


async def test_a_failed_installation_is_fallout_for_the_desk(uow, context, handed_off):
    await follow_ops_status(report(OpsStatus.FAILED, reason="no access to the riser"), uow, context)

    [fallout] = uow.events
    assert (fallout.stage, fallout.kind) == (Stage.HANDED_OFF, FalloutKind.HELD)
    assert [(f.reason_code, f.message) for f in fallout.findings] == [
        ("DOWNSTREAM_REJECT", "Operations failed the installation: no access to the riser")
    ]
    assert uow.handoffs.rows["PO-1"]["failure_reason"] == "no access to the riser"


async def test_a_report_about_an_order_never_handed_off_is_refused(uow, context):
    with pytest.raises(PermanentError, match="never handed off"):
        await follow_ops_status(report(OpsStatus.ACCEPTED), uow, context)
    assert uow.ops_reports.recorded == []


async def test_a_wrong_report_is_refused_and_recorded_nowhere(uow, context, handed_off):
    with pytest.raises(PermanentError, match="effectiveDate: an installation on 2099-01-01 is in the future"):
        await follow_ops_status(report(OpsStatus.INSTALLED, effective_date=date(2099, 1, 1)), uow, context)
    with pytest.raises(PermanentError, match="no cancel was sent"):
        await follow_ops_status(report(OpsStatus.CANCELLED), uow, context)
    assert uow.ops_reports.recorded == []
    assert uow.handoffs.rows["PO-1"]["ops_status"] is None


async def test_a_report_about_a_version_replaced_since_is_recorded_as_ignored(uow, context, approved, handed_off):
    await hand_off(approved("PO-1", DIA_IN_CHICAGO, version=2), uow, context)
    await uow.commit()

    await follow_ops_status(report(OpsStatus.ACCEPTED), uow, context)

    [(_, outcome)] = uow.ops_reports.recorded
    assert outcome == "ignored: about version 1; version 2 was handed off since"
    assert uow.handoffs.rows["PO-1"]["ops_status"] is None


async def test_operations_confirming_a_cancel_ends_the_order(uow, context, handed_off):
    await stop_cancelled_order(cancel("PO-1"), uow, context)

    await follow_ops_status(report(OpsStatus.CANCELLED), uow, context)

    row = uow.handoffs.rows["PO-1"]
    assert (row["state"], row["ops_status"]) == ("cancelled", "cancelled")


async def test_a_held_order_cancelled_waits_on_no_ticket(uow, context, held):
    assert uow.tickets.waits == {"PO-1": [CodeKey("SIP-TRUNK", "ICOMS", "GRR")]}
    await stop_cancelled_order(cancel("PO-1"), uow, context)
    assert await uow.tickets.orders_waiting_on({CodeKey("SIP-TRUNK", "ICOMS", "GRR")}) == []
