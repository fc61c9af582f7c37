"""Cancels and corrections on the real schema: holds dropped, dead versions never handed off, Operations asked to
stop once, and a correction handed off as the change of the version Operations has."""

import json
from datetime import UTC, datetime

import pytest

from fulfillment_handoff.handlers import follow_ops_status, hand_off, stop_cancelled_order, supersede_earlier_version
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Stage

CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))

pytestmark = pytest.mark.integration

SIP_IN_GRAND_RAPIDS = ("SIP-TRUNK", "grand-rapids")  # the seed map has no code for it: the order is held
GRR_SIP_CODE = {
    "priceComponent": "SIP-TRUNK",
    "billingSystem": "ICOMS",
    "market": "GRR",
    "billingCode": "GRRB190",
    "effectiveFrom": "2026-10-01",
}


async def handle(database, handler, event) -> list[tuple[str, dict]]:
    """Handle one event in its own transaction, as the consumer would; the events it emitted."""
    async with database.unit_of_work() as uow:
        await handler(event, uow, CONTEXT)
        await uow.run_deferred()
        return [(record.headers["ce_type"], json.loads(record.value)) for record in uow.emitted]


def cancel(order_id: str, kind: FalloutKind = FalloutKind.CANCELLED, *, version: int = 1) -> OrderFallout:
    return OrderFallout(
        order_id=order_id,
        order_version=version,
        stage=Stage.APPROVED,
        kind=kind,
        findings=[Finding(reason_code="CANCELLED", message="the customer chose another provider")],
    )


def correction(approved_v1, version: int = 2) -> OrderCorrected:
    return OrderCorrected(order_id=approved_v1.order_id, order_version=version, corrected_by="sam-specialist")


async def published(database, order_id: str) -> list[str]:
    async with database.engine.connect() as connection:
        rows = await connection.exec_driver_sql(
            "SELECT type FROM fulfillment.outbox WHERE aggregate_id = $1 ORDER BY seq", (order_id,)
        )
        return [row.type for row in rows]


async def test_a_held_order_cancelled_is_never_handed_off_when_its_code_is_added_later(database, api, approved):
    await handle(database, hand_off, approved("PO-HELD-CANCEL", SIP_IN_GRAND_RAPIDS))
    assert await handle(database, stop_cancelled_order, cancel("PO-HELD-CANCEL")) == []

    status = (await api.get("/fulfillment/orders/PO-HELD-CANCEL")).json()
    assert (status["state"], status["waitingFor"], status["findings"]) == ("cancelled", None, [])
    assert status["cancel"] == {"reason": "the customer chose another provider", "sentToOperationsAt": None}
    assert (await api.get("/fulfillment/catalogue-tickets")).json() == []  # nobody waits on its ticket any more

    added = await api.post("/fulfillment/billing-codes", json=GRR_SIP_CODE)
    assert added.json()["releasedOrders"] == []
    assert OrderHandedOff.event_type not in await published(database, "PO-HELD-CANCEL")


async def test_a_late_approval_of_a_cancelled_order_is_ignored(database, api, approved):
    await handle(database, stop_cancelled_order, cancel("PO-LATE"))
    assert await handle(database, hand_off, approved("PO-LATE", ("DIA-FIBER", "chicago"))) == []
    assert (await api.get("/fulfillment/orders/PO-LATE")).status_code == 404


async def test_a_cancel_after_hand_off_asks_operations_to_stop_once(database, api, approved):
    await handle(database, hand_off, approved("PO-STOP", ("DIA-FIBER", "chicago")))

    [(event_type, stop)] = await handle(
        database, stop_cancelled_order, cancel("PO-STOP", FalloutKind.CANCELLATION_REQUESTED)
    )
    assert event_type == HandOffCancelled.event_type
    assert (stop["orderVersion"], stop["reason"]) == (1, "the customer chose another provider")
    # Redelivered, or intake's final word once Operations confirms: nothing more is sent.
    assert await handle(database, stop_cancelled_order, cancel("PO-STOP", FalloutKind.CANCELLATION_REQUESTED)) == []
    assert await handle(database, stop_cancelled_order, cancel("PO-STOP")) == []

    status = (await api.get("/fulfillment/orders/PO-STOP")).json()
    assert status["state"] == "handed-off"
    assert status["waitingFor"]["what"].startswith("stop the work on the cancelled order")
    assert status["cancel"]["sentToOperationsAt"] is not None

    stopped = OpsOrderStatusChanged(order_id="PO-STOP", order_version=1, status=OpsStatus.CANCELLED)
    assert await handle(database, follow_ops_status, stopped) == []
    status = (await api.get("/fulfillment/orders/PO-STOP")).json()
    assert (status["state"], status["fulfillment"]["status"], status["waitingFor"]) == ("cancelled", "cancelled", None)


async def test_a_cancel_of_an_installed_order_has_nothing_to_stop(database, approved):
    await handle(database, hand_off, approved("PO-DONE", ("DIA-FIBER", "chicago")))
    installed = OpsOrderStatusChanged(
        order_id="PO-DONE", order_version=1, status=OpsStatus.INSTALLED, effective_date=datetime.now(UTC).date()
    )
    await handle(database, follow_ops_status, installed)
    assert await handle(database, stop_cancelled_order, cancel("PO-DONE", FalloutKind.CANCELLATION_REQUESTED)) == []


async def test_a_correction_drops_the_hold_of_the_version_it_replaces(database, api, approved):
    v1 = approved("PO-FIX", SIP_IN_GRAND_RAPIDS)
    await handle(database, hand_off, v1)
    assert await handle(database, supersede_earlier_version, correction(v1)) == []

    status = (await api.get("/fulfillment/orders/PO-FIX")).json()
    assert (status["state"], status["orderVersion"]) == ("superseded", 1)
    assert status["waitingFor"] == {
        "who": "earlier stages",
        "what": "the correction, version 2, to be approved and handed off",
    }
    assert (await api.get("/fulfillment/catalogue-tickets")).json() == []
    assert (await api.post("/fulfillment/billing-codes", json=GRR_SIP_CODE)).json()["releasedOrders"] == []
    assert OrderHandedOff.event_type not in await published(database, "PO-FIX")
    # A late approval of the dead version is refused too; the correction's goes on.
    assert await handle(database, hand_off, v1) == []
    [(event_type, package)] = await handle(database, hand_off, approved("PO-FIX", SIP_IN_GRAND_RAPIDS, version=2))
    assert (event_type, package["orderVersion"], package.get("replacesVersion")) == (OrderHandedOff.event_type, 2, None)


async def test_a_correction_approved_after_the_hand_off_replaces_the_version_operations_has(database, api, approved):
    v1 = approved("PO-CHANGE", ("DIA-FIBER", "chicago"))
    await handle(database, hand_off, v1)
    await handle(database, supersede_earlier_version, correction(v1))
    # Until the correction is approved Operations works on version 1, which is dead: its news counts no more.
    accepted_v1 = OpsOrderStatusChanged(order_id="PO-CHANGE", order_version=1, status=OpsStatus.ACCEPTED)
    await handle(database, follow_ops_status, accepted_v1)
    assert (await api.get("/fulfillment/orders/PO-CHANGE")).json()["fulfillment"]["status"] is None

    [(event_type, package)] = await handle(
        database, hand_off, approved("PO-CHANGE", ("DIA-FIBER", "chicago"), ("EPL", "chicago"), version=2)
    )
    assert (event_type, package["orderVersion"], package["replacesVersion"]) == (OrderHandedOff.event_type, 2, 1)
    await handle(database, follow_ops_status, accepted_v1)  # about the replaced version: recorded, ignored
    status = (await api.get("/fulfillment/orders/PO-CHANGE")).json()
    assert (status["handedOffVersion"], status["fulfillment"]["status"]) == (2, None)
    assert [item["itemId"] for item in status["fulfillment"]["items"]] == ["1", "2"]


async def test_a_correction_held_for_codes_keeps_what_operations_has_and_a_cancel_stops_it(database, api, approved):
    v1 = approved("PO-BOTH", ("DIA-FIBER", "chicago"))
    await handle(database, hand_off, v1)
    await handle(database, supersede_earlier_version, correction(v1))
    await handle(database, hand_off, approved("PO-BOTH", ("DIA-FIBER", "chicago"), SIP_IN_GRAND_RAPIDS, version=2))
    status = (await api.get("/fulfillment/orders/PO-BOTH")).json()
    assert (status["state"], status["orderVersion"], status["handedOffVersion"]) == ("held", 2, 1)

    [(event_type, stop)] = await handle(database, stop_cancelled_order, cancel("PO-BOTH", version=2))
    assert (event_type, stop["orderVersion"]) == (HandOffCancelled.event_type, 1)
    assert (await api.get("/fulfillment/catalogue-tickets")).json() == []
