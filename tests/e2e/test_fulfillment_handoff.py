"""Fulfillment hand-off on the running stack: the codes of each site's market; a hold the catalogue team releases."""

import copy
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

# A site in the west Michigan market, whose voice billing codes the seed map does not have yet.
GRAND_RAPIDS = {"streetNr": "50", "streetName": "Monroe Ave NW", "city": "Grand Rapids", "stateOrProvince": "MI",
                "postcode": "49503"}  # fmt: skip


TIMEOUT = 90.0


async def _stage(intake: httpx.AsyncClient, order_id: str, headers: dict, stage: str) -> dict:
    async def order() -> dict:
        return (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=headers)).json()

    return await eventually(
        order, lambda seen: seen["stage"] == stage, what=f"{order_id} reaching {stage}", timeout=TIMEOUT
    )


async def test_an_approved_order_is_handed_off_with_the_billing_codes_of_each_site_market(stack, intake):
    rep = bearer(stack, "rep-001", Role.SALES_REP)
    [generated] = generate_orders(1, seed=611, invalid_share=0.0)
    created = (await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)).json()
    await _stage(intake, created["id"], rep, "ratified")

    async with httpx.AsyncClient(base_url=stack.service_url("fulfillment-handoff"), headers=rep) as fulfillment:
        status = (await fulfillment.get(f"/fulfillment/orders/{created['id']}")).json()
        assert (status["state"], status["waitingFor"]["who"]) == ("handed-off", "operations")
        items = {item["id"]: item for item in generated.body["productOrderItem"]}
        assert {line["itemId"] for line in status["billingLines"]} == set(items)
        markets = {market["code"]: market for market in (await fulfillment.get("/fulfillment/markets")).json()}
        for line in status["billingLines"]:
            [site] = items[line["itemId"]]["product"]["place"]
            assert site["stateOrProvince"] in markets[line["market"]]["states"]
            assert line["billingSystem"] == markets[line["market"]]["billingSystem"]
            [mapped] = (
                await fulfillment.get(
                    "/fulfillment/billing-codes",
                    params={"priceComponent": line["priceComponent"], "market": line["market"]},
                )
            ).json()
            assert line["billingCode"] == mapped["billingCode"]


async def test_an_order_missing_a_billing_code_is_held_then_released_by_the_catalogue_team(stack, intake):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    catalogue_team = bearer(stack, "cat-1", Role.CATALOG_ADMIN)
    body = copy.deepcopy(
        next(o.body for o in generate_orders(40, seed=612, invalid_share=0.0) if o.body["orderType"] == "new")
    )
    [item] = body["productOrderItem"][:1]
    item["productOffering"] = {"id": "SIP-TRUNK"}
    item["product"] = {"productCharacteristic": [{"name": "channels", "value": 23}],
                       "place": [{"role": "serviceLocation", **GRAND_RAPIDS}]}  # fmt: skip
    body["productOrderItem"] = [item]
    created = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()
    order_id = created["id"]

    async with httpx.AsyncClient(base_url=stack.service_url("fulfillment-handoff")) as fulfillment:

        async def handoff() -> dict | None:
            answer = await fulfillment.get(f"/fulfillment/orders/{order_id}", headers=rep)
            return answer.json() if answer.status_code == 200 else None

        status = await eventually(
            handoff,
            lambda seen: seen is not None and seen["state"] == "held",
            what="the hold for a missing billing code",
            timeout=TIMEOUT,
        )
        assert status["waitingFor"]["who"] == "catalogue team"
        assert {finding["reasonCode"] for finding in status["findings"]} == {"MISSING_BILLING_CODE"}
        assert all(ticket["market"] == "GRR" and order_id in ticket["orders"] for ticket in status["catalogueTickets"])

        async def on_the_desk() -> dict:
            return (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=rep)).json()

        # intake hears of the hold on its own time
        held = await eventually(
            on_the_desk, lambda seen: seen["state"] == "held", what="the hold on intake's desk", timeout=TIMEOUT
        )
        assert held["stage"] == "approved"

        for n, ticket in enumerate(status["catalogueTickets"]):
            added = await fulfillment.post(
                "/fulfillment/billing-codes",
                headers=catalogue_team,
                json={
                    "priceComponent": ticket["priceComponent"],
                    "billingSystem": ticket["billingSystem"],
                    "market": ticket["market"],
                    "billingCode": f"GRRV{n:03d}",
                    "effectiveFrom": "2026-10-01",
                },
            )
            assert added.status_code == 201, added.text
        assert added.json()["releasedOrders"] == [order_id]

        ratified = await _stage(intake, order_id, rep, "ratified")
        assert ratified["state"] == "inProgress"
        status = (await fulfillment.get(f"/fulfillment/orders/{order_id}", headers=rep)).json()
        assert status["state"] == "handed-off"
        assert {line["billingCode"] for line in status["billingLines"]} <= {f"GRRV{n:03d}" for n in range(9)}


async def test_operations_reports_through_the_api_reach_the_order_a_failure_and_its_recovery(stack, intake):
    rep = bearer(stack, "rep-003", Role.SALES_REP)
    operations = bearer(stack, "field-ops-1", Role.OPERATIONS)
    [generated] = generate_orders(1, seed=613, invalid_share=0.0)
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)).json()["id"]
    await _stage(intake, order_id, rep, "ratified")  # handed off long before; a later stage is never missed
    today = datetime.now(UTC).date()

    async with httpx.AsyncClient(base_url=stack.service_url("fulfillment-handoff")) as fulfillment:
        path = f"/fulfillment/orders/{order_id}/operations-reports"

        async def handoff() -> dict:
            return (await fulfillment.get(f"/fulfillment/orders/{order_id}", headers=rep)).json()

        def fulfillment_is(status: str):
            return lambda seen: seen["fulfillment"]["status"] == status

        refused = await fulfillment.post(path, headers=rep, json={"status": "accepted"})
        assert refused.status_code == 403
        too_early = await fulfillment.post(
            path, headers=operations, json={"status": "installed", "effectiveDate": str(today - timedelta(days=1))}
        )
        assert [p["field"] for p in too_early.json()["invalid_params"]] == ["effectiveDate"]

        failure = {"status": "failed", "reason": "no riser access"}
        failed = await fulfillment.post(path, headers=operations, json=failure)
        assert (failed.status_code, failed.json()["reportedBy"]) == (202, "field-ops-1")
        status = await eventually(handoff, fulfillment_is("failed"), what="the failed installation", timeout=TIMEOUT)
        assert status["waitingFor"] == {
            "who": "sales desk",
            "what": "resolve the failed installation with Operations: no riser access",
        }
        for resumed in ("rescheduled", "installed"):
            body = {"status": resumed, "effectiveDate": str(today)}
            assert (await fulfillment.post(path, headers=operations, json=body)).status_code == 202
        status = await eventually(handoff, fulfillment_is("installed"), what="the installation", timeout=TIMEOUT)
        assert status["waitingFor"] is None
        assert {item["status"] for item in status["fulfillment"]["items"]} == {"installed"}
        late = await fulfillment.post(path, headers=operations, json={"status": "failed", "reason": "loose cord"})
        assert late.status_code == 409
