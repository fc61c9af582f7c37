"""The desk's ROI review in the running stack: an order building to two near-net sites shows a capital line per
site; a specialist's flag on one site's distance holds the order past its last approval until the flag is resolved,
and resolving it lets the order go on to the hand-off."""

import copy

import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer
from tests.e2e.order_journeys import NEAR_NET_BUILDING, gigabit_internet_item, order_of, until_state

pytestmark = pytest.mark.e2e

# The seed inventory's near-net building on North Halsted, 480 ft from our fiber.
HALSTED_BUILDING = {
    "streetNr": "1274",
    "streetName": "North Halsted Street",
    "city": "Chicago",
    "stateOrProvince": "IL",
    "postcode": "60642",
}
SURVEYED_FEET = {"LOC-CHI-0003": 700, "LOC-CHI-0012": 480}


def _two_site_order() -> dict:
    """Gigabit Internet at both near-net buildings for Wrigleyville Hospitality, $1,800 a month each for 36 months."""
    first = gigabit_internet_item([{"role": "serviceLocation", **NEAR_NET_BUILDING}], mrc=1800)
    second = copy.deepcopy(first) | {"id": "2"}
    second["product"]["place"] = [{"role": "serviceLocation", **HALSTED_BUILDING}]
    return {
        "externalId": "OPP-ROI-REVIEW-1",
        "orderType": "add",
        "channel": [{"name": "api"}],
        "relatedParty": [
            {"role": "customer", "id": "ACC-10004"},
            {
                "role": "contact",
                "name": "Jo Alvarez",
                "email": "jo@wrigleyville.example.com",
                "phone": "+1 773 555 0170",
            },
            {"role": "salesRep", "id": "rep-002", "splitPercent": 100},
        ],
        "agreement": [{"id": "MSA-4004", "termMonths": 36, "signedDate": "2026-11-20"}],
        "productOrderItem": [first, second],
    }


@pytest.fixture
async def clients(stack):
    specialist = stack.token_signer.mint("dana", [Role.SPECIALIST])
    async with (
        httpx.AsyncClient(base_url=stack.service_url("pricing-approval"), timeout=30.0) as pricing,
        httpx.AsyncClient(base_url=stack.service_url("serviceability"), timeout=30.0) as serviceability,
        httpx.AsyncClient(base_url=stack.service_url("fulfillment-handoff"), timeout=30.0) as fulfillment,
        httpx.AsyncClient(
            base_url=stack.service_url("console"), cookies={TOKEN_COOKIE: specialist}, timeout=30.0
        ) as console,
    ):
        yield {"pricing": pricing, "serviceability": serviceability, "fulfillment": fulfillment, "console": console}


async def test_a_flagged_site_input_holds_a_two_site_build_until_it_is_resolved(stack, intake, clients, people):
    pricing, specialist = clients["pricing"], people["specialist"]
    created = await intake.post(PRODUCT_ORDER_PATH, json=_two_site_order(), headers=people["rep"])
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    # Both buildings are surveyed before the builds are priced.
    surveyor = bearer(stack, "sam", Role.OPERATIONS)

    async def open_surveys():
        surveys = (await clients["serviceability"].get("/serviceability/siteSurveys", headers=surveyor)).json()
        return [survey for survey in surveys if survey["orderId"] == order_id and survey["state"] == "open"]

    for survey in await eventually(open_surveys, lambda found: len(found) == 2, what="a survey of each building"):
        completed = await clients["serviceability"].post(
            f"/serviceability/siteSurveys/{survey['surveyId']}/completion",
            json={"distanceToFiberFt": SURVEYED_FEET[survey["locationId"]], "notes": "walked the route"},
            headers=surveyor,
        )
        assert completed.status_code == 200, completed.text
    await until_state(intake, order_id, people["rep"], "pending", stage="priced")

    # A capital line per site: the builds the surveys priced, each site's contribution, payback and NPV.
    quote = (await pricing.get(f"/pricing/orders/{order_id}", headers=specialist)).json()
    capital = quote["pricing"]["capital"]
    lines = {line["locationId"]: line for line in capital["sites"]}
    assert {location: line["constructionEstimate"] for location, line in lines.items()} == {
        "LOC-CHI-0003": "46500.00",  # 15,000 + 45 × 700 ft
        "LOC-CHI-0012": "36600.00",  # 15,000 + 45 × 480 ft
    }
    assert capital["constructionEstimate"] == "83100.00"
    assert {line["mrcSharePercent"] for line in lines.values()} == {"50.0"}
    assert lines["LOC-CHI-0012"]["paybackMonths"] == "33.89"  # 36,600 / (60% of $1,800)
    page = (await clients["console"].get(f"/orders/{order_id}")).text
    assert 'id="capital-sites"' in page and "LOC-CHI-0003" in page and "LOC-CHI-0012" in page
    assert {request["role"] for request in quote["approvals"]} == {"finance", "vp_sales"}

    flagged = await pricing.post(
        f"/pricing/orders/{order_id}/capital-review",
        json={
            "verdict": "flagged",
            "itemId": "2",
            "input": "distance",
            "reason": "the design drawing routes 620 ft along Halsted",
            "team": "engineering",
        },
        headers=specialist,
    )
    assert flagged.status_code == 200, flagged.text
    flag = flagged.json()
    held = await until_state(intake, order_id, people["rep"], "held", stage="priced")
    [finding] = [f for f in held["findings"] if f["reasonCode"] == "CAPITAL_REVIEW_FLAGGED"]
    assert "distance of item 2 at LOC-CHI-0012 for engineering" in finding["message"]
    assert "620 ft along Halsted" in finding["message"]

    # Every approval granted: the open flag still holds the order.
    for request in quote["approvals"]:
        approver = bearer(stack, f"{request['role']}-approver", Role(request["role"]))
        granted = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=approver)
        assert granted.status_code == 200, granted.text
    after_grants = (await pricing.get(f"/pricing/orders/{order_id}", headers=specialist)).json()
    assert after_grants["status"] == "pending-approval"
    assert [review["status"] for review in after_grants["capitalReviews"]] == ["open"]
    assert (await order_of(intake, order_id, people["rep"]))["state"] == "held"

    resolved = await pricing.post(
        f"/pricing/orders/{order_id}/capital-review/flags/{flag['id']}/resolve",
        json={"resolution": "engineering: the drawing was of the old route; 480 ft stands"},
        headers=specialist,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"

    async def hand_off():
        found = await clients["fulfillment"].get(f"/fulfillment/orders/{order_id}", headers=specialist)
        return found.json() if found.status_code == 200 else {}

    handed_off = await eventually(hand_off, lambda found: found.get("state") == "handed-off", what="the hand-off")
    assert handed_off["state"] == "handed-off"
