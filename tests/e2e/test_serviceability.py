"""A near-net order through the running stack: held for a site survey, released when it is completed."""

import copy
from decimal import Decimal

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer, first_record_for
from tests.e2e.order_journeys import NEAR_NET_BUILDING, gigabit_internet_item

pytestmark = pytest.mark.e2e

# ACC-10003's building is the seed inventory's near-net one.
NEAR_NET_ORDER = {
    "externalId": "OPP-NEAR-NET-1",
    "orderType": "add",
    "channel": [{"name": "api"}],
    "relatedParty": [
        {"role": "customer", "id": "ACC-10003"},
        {"role": "contact", "name": "Pat Ruiz", "email": "pat@calumet.example.com", "phone": "+1 312 555 0142"},
        {"role": "salesRep", "id": "rep-001", "splitPercent": 100},
    ],
    "agreement": [{"id": "MSA-3003", "termMonths": 36, "signedDate": "2026-11-02"}],
    "productOrderItem": [gigabit_internet_item([{"role": "serviceLocation", **NEAR_NET_BUILDING}], mrc=1800)],
}


async def test_a_near_net_order_is_held_for_a_survey_and_qualified_with_the_surveyed_estimate(stack, intake):
    rep, surveyor = bearer(stack, "rep-001", Role.SALES_REP), bearer(stack, "sam", Role.OPERATIONS)
    created = await intake.post(PRODUCT_ORDER_PATH, json=NEAR_NET_ORDER, headers=rep)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    async def intake_view():
        order = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=rep)).json()
        return order["state"], order["stage"]

    assert await eventually(intake_view, lambda seen: seen[0] == "held") == ("held", "validated")

    async with httpx.AsyncClient(base_url=stack.service_url("serviceability"), timeout=30.0) as serviceability:
        surveys = (await serviceability.get("/serviceability/siteSurveys", headers=surveyor)).json()
        [survey] = [survey for survey in surveys if survey["orderId"] == order_id]
        assert (survey["locationId"], survey["reach"], survey["state"]) == ("LOC-CHI-0003", "near-net", "open")
        completed = await serviceability.post(
            f"/serviceability/siteSurveys/{survey['surveyId']}/completion",
            json={
                "distanceToFiberFt": 700,
                "notes": "route along the rail spur",
                "photos": ["survey/2900-e-106th/1.jpg"],
            },
            headers=surveyor,
        )
        assert completed.status_code == 200, completed.text

    # Qualified, the build then waits at pricing for the capital approvals its payback calls for.
    assert await eventually(intake_view, lambda seen: seen[1] == "priced") == ("pending", "priced")
    record = await first_record_for(stack.kafka_admin, ServiceabilityQualified.topic, order_id)
    [site] = ServiceabilityQualified.model_validate_json(record.value).sites
    assert (site.reach, site.distance_to_fiber_ft, site.construction_estimate, site.site_survey_id) == (
        "near-net",
        700,
        Decimal("46500.00"),  # 15,000 + 45 x 700 ft, not the 57,750 of the inventory's 950 ft
        survey["surveyId"],
    )


async def test_a_held_order_corrected_to_an_on_net_site_moves_on_as_version_2(stack, intake):
    rep, surveyor = bearer(stack, "rep-001", Role.SALES_REP), bearer(stack, "sam", Role.OPERATIONS)
    # Another account's order for the same building: the same account's would be a likely duplicate of the first.
    order = copy.deepcopy(NEAR_NET_ORDER) | {"externalId": "OPP-NEAR-NET-2"}
    order["relatedParty"][0] = {"role": "customer", "id": "ACC-10008"}
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=order, headers=rep)).json()["id"]

    async def intake_view():
        found = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=rep)).json()
        return found["state"], found["stage"], [finding["reasonCode"] for finding in found["findings"]]

    assert await eventually(intake_view, lambda seen: seen[0] == "held") == (
        "held",
        "validated",
        ["SITE_SURVEY_REQUIRED"],
    )

    # The customer will take the service at its lit downtown office instead.
    [item] = order["productOrderItem"]
    item["product"]["place"] = [
        {
            "role": "serviceLocation",
            "streetNr": "222",
            "streetName": "West Adams Street",
            "city": "Chicago",
            "stateOrProvince": "IL",
            "postcode": "60606",
        }
    ]
    corrected = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}",
        json={"productOrderItem": [item]},
        headers=rep | {"Content-Type": "application/merge-patch+json"},
    )
    assert corrected.status_code == 200, corrected.text

    assert await eventually(intake_view, lambda seen: seen[1] == "ratified") == ("inProgress", "ratified", [])
    history = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}/history", headers=rep)).json()
    assert [(entry["version"], entry["action"]) for entry in history] == [(1, "submitted"), (2, "corrected")]
    async with httpx.AsyncClient(base_url=stack.service_url("serviceability"), timeout=30.0) as serviceability:
        surveys = (await serviceability.get("/serviceability/siteSurveys?state=superseded", headers=surveyor)).json()
    assert order_id in {survey["orderId"] for survey in surveys}
