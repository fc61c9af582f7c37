"""Operations' reports on a handed-off order, on the running stack and through the public APIs only: an
installation completing the order and reconciling clean, a failed one waiting in the desk's queue."""

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk_stack.testing import eventually
from tests.e2e.order_journeys import console_state, handed_off_order, operations_report, until_state

pytestmark = pytest.mark.e2e


async def test_an_installed_order_is_completed_in_tmf622_and_the_console_and_reconciles_clean(
    stack, intake, services, people
):
    fulfillment, today = services["fulfillment-handoff"], datetime.now(UTC).date()
    order_id = await handed_off_order(intake, people, seed=1404)
    tomorrow = str(today + timedelta(days=1))
    assert (await operations_report(fulfillment, order_id, people["rep"], "accepted")).status_code == 403
    assert (
        await operations_report(fulfillment, order_id, people["operations"], "installed", effectiveDate=tomorrow)
    ).status_code == 422
    for status, details in (
        ("accepted", {}),
        ("scheduled", {"effectiveDate": tomorrow}),
        ("installed", {"effectiveDate": str(today)}),
    ):
        response = await operations_report(fulfillment, order_id, people["operations"], status, **details)
        assert response.status_code == 202, response.text

    order = await until_state(intake, order_id, people["rep"], "completed")
    assert order["completionDate"] == f"{today}T00:00:00+00:00"  # the install day, a TMF date-time
    assert {item["state"] for item in order["productOrderItem"]} == {"completed"}
    await eventually(lambda: console_state(services["console"], order_id, people["rep"]), lambda s: s == "completed")

    async def reconciliation():
        params = {"from": str(today), "to": str(today)}
        return (
            await services["commission"].get("/commission/reconciliation", params=params, headers=people["analyst"])
        ).json()

    async def ledger_kinds():
        found = (await services["commission"].get(f"/commission/orders/{order_id}", headers=people["analyst"])).json()
        return {entry["kind"] for entry in found["ledger"]}

    await eventually(ledger_kinds, lambda kinds: "payable" in kinds)
    assert order_id not in {d["orderId"] for d in (await reconciliation())["discrepancies"]}


async def test_a_failed_installation_waits_in_the_desks_queue_until_it_is_rescheduled_and_installed(
    stack, intake, services, people
):
    fulfillment, console, today = services["fulfillment-handoff"], services["console"], datetime.now(UTC).date()
    order_id = await handed_off_order(intake, people, seed=1405)
    assert (
        await operations_report(fulfillment, order_id, people["operations"], "failed")
    ).status_code == 422  # no reason
    failed = await operations_report(
        fulfillment, order_id, people["operations"], "failed", reason="no access to the riser"
    )
    assert failed.status_code == 202, failed.text

    order = await until_state(intake, order_id, people["rep"], "failed")
    assert "no access to the riser" in order["findings"][0]["message"]

    async def desk_queue():
        listed = await console.get(
            "/console/orders", params={"state": "failed", "limit": 500}, headers=people["specialist"]
        )
        return {row["id"]: row for row in listed.json()}

    queued = await eventually(desk_queue, lambda rows: order_id in rows)
    assert "no access to the riser" in (queued[order_id]["blocker"] or "")

    in_a_week = str(today + timedelta(days=7))
    assert (
        await operations_report(fulfillment, order_id, people["operations"], "rescheduled", effectiveDate=in_a_week)
    ).status_code == 202
    await until_state(intake, order_id, people["rep"], "inProgress")
    assert (
        await operations_report(fulfillment, order_id, people["operations"], "installed", effectiveDate=str(today))
    ).status_code == 202
    await until_state(intake, order_id, people["rep"], "completed")
    await eventually(desk_queue, lambda rows: order_id not in rows)
    await eventually(lambda: console_state(console, order_id, people["rep"]), lambda s: s == "completed")
