"""Cancels and corrections every service hears of, on the running stack and through the public APIs only:
before and after the hand-off, and a late approval of a cancelled or corrected order refused."""

from decimal import Decimal

import pytest

from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import records_for
from tests.e2e.order_journeys import (
    console_state,
    gigabit_internet_order,
    handed_off_order,
    operations_report,
    order_of,
    until_state,
    waiting_for_the_director,
)

pytestmark = pytest.mark.e2e

API = PRODUCT_ORDER_PATH.rsplit("/", 1)[0]
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


async def test_a_cancel_while_an_approval_waits_withdraws_it_and_nothing_reaches_operations_or_commission(
    stack, intake, services, people
):
    pricing = services["pricing-approval"]
    order_id, request = await waiting_for_the_director(intake, pricing, people, seed=1401)

    cancel = {"productOrder": {"id": order_id}, "cancellationReason": "the customer chose another provider"}
    cancelled = await intake.post(f"{API}/cancelProductOrder", json=cancel, headers=people["rep"])
    assert cancelled.status_code == 201, cancelled.text
    assert (cancelled.json()["state"], cancelled.json()["productOrder"]["id"]) == ("done", order_id)
    order = await order_of(intake, order_id, people["rep"])
    assert (order["state"], order["stage"]) == ("cancelled", "priced")
    assert {item["state"] for item in order["productOrderItem"]} == {"cancelled"}

    async def director_queue():
        return {r["orderId"] for r in (await pricing.get("/pricing/approvals", headers=people["director"])).json()}

    await eventually(director_queue, lambda queue: order_id not in queue)
    late = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=people["director"])
    assert late.status_code == 409
    assert "cancelled" in late.json()["detail"]

    assert (
        await services["fulfillment-handoff"].get(f"/fulfillment/orders/{order_id}", headers=people["rep"])
    ).status_code == 404
    assert (
        await services["commission"].get(f"/commission/orders/{order_id}", headers=people["analyst"])
    ).status_code == 404
    await eventually(lambda: console_state(services["console"], order_id, people["rep"]), lambda s: s == "cancelled")
    assert (await intake.post(f"{API}/cancelProductOrder", json=cancel, headers=people["rep"])).status_code == 409


async def test_an_approval_of_the_version_a_correction_replaced_is_refused_and_only_the_correction_is_handed_off(
    stack, intake, services, people
):
    pricing = services["pricing-approval"]
    order_id, request = await waiting_for_the_director(intake, pricing, people, seed=1402)
    order = await order_of(intake, order_id, people["rep"])
    [item] = gigabit_internet_order(discount_percent=5, seed=1402)["productOrderItem"]
    corrected = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}", json={"productOrderItem": [item]}, headers=people["rep"] | MERGE_PATCH
    )
    assert corrected.status_code == 200, corrected.text
    assert order["id"] == corrected.json()["id"]

    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    late = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=people["director"])
    assert late.status_code == 409
    assert "version 2" in late.json()["detail"]
    handoff = (
        await services["fulfillment-handoff"].get(f"/fulfillment/orders/{order_id}", headers=people["rep"])
    ).json()
    assert handoff["orderVersion"] == 2


async def test_a_cancel_after_the_hand_off_waits_for_operations_to_stop_the_work_and_reverses_the_commission(
    stack, intake, services, people
):
    order_id = await handed_off_order(intake, people, seed=1403)
    cancel = {"productOrder": {"id": order_id}, "cancellationReason": "the site was sold"}
    requested = await intake.post(f"{API}/cancelProductOrder", json=cancel, headers=people["specialist"])
    assert requested.status_code == 201, requested.text
    assert requested.json()["state"] == "inProgress"
    await until_state(intake, order_id, people["rep"], "pendingCancellation")
    [_, stop] = await records_for(stack.kafka_admin, HandOffCancelled.topic, order_id, count=2)
    assert HandOffCancelled.model_validate_json(stop.value).reason.endswith("the site was sold")

    stopped = await operations_report(services["fulfillment-handoff"], order_id, people["operations"], "cancelled")
    assert stopped.status_code == 202, stopped.text
    await until_state(intake, order_id, people["rep"], "cancelled")
    request = (await intake.get(f"{API}/cancelProductOrder/{requested.json()['id']}", headers=people["rep"])).json()
    assert request["state"] == "done" and "effectiveCancellationDate" in request

    async def ledger():
        return (await services["commission"].get(f"/commission/orders/{order_id}", headers=people["analyst"])).json()

    reversed_ = await eventually(ledger, lambda found: any(e["kind"] == "reversed" for e in found.get("ledger", [])))
    accrued = sum(Decimal(entry["accruedChange"]) for entry in reversed_["ledger"])
    assert accrued == 0
    await eventually(lambda: console_state(services["console"], order_id, people["rep"]), lambda s: s == "cancelled")
