"""Serviceability's API in process, on its real schema: inventory import, TMF645 checks, site surveys."""

import asyncio
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.cli import app as cli
from serviceability.handlers import qualify_sites
from services.serviceability.tests.integration.conftest import NEAR_NET_950_FT, bearer, emitted, validated

pytestmark = pytest.mark.integration

CHECK = "/tmf-api/serviceQualificationManagement/v4/checkServiceQualification"
# The fields TMF645's CheckServiceQualification example answers with (standards/CheckServiceQualification.example.json).
TMF645_ANSWER_FIELDS = {
    "id", "href", "@type", "checkServiceQualificationDate", "effectiveQualificationDate", "instantSyncQualification",
    "provideAlternative", "provideUnavailabilityReason", "qualificationResult", "serviceQualificationItem", "state",
}  # fmt: skip
REP = bearer("rep-001", Role.SALES_REP)
OPS = bearer("sam", Role.OPERATIONS)
HEADER = (
    "location_id,street,city,state,postcode,latitude,longitude,building_lit,distance_to_fiber_ft,"
    "access_medium,max_bandwidth_mbps,market"
)


def place(street_nr: str, street_name: str, city: str, state: str, postcode: str) -> dict:
    return {"role": "installationPlace", "streetNr": street_nr, "streetName": street_name, "city": city,
            "stateOrProvince": state, "postcode": postcode}  # fmt: skip


def item(item_id: str, offering: str, site: dict, bandwidth: int | None = None) -> dict:
    service = {"serviceSpecification": {"id": offering}, "place": [site]}
    if bandwidth:
        service["serviceCharacteristic"] = [{"name": "bandwidth_mbps", "valueType": "integer", "value": bandwidth}]
    return {"id": item_id, "service": service}


async def test_a_rep_checks_serviceability_before_ordering_and_can_read_the_answer_again(api):
    body = {
        "externalId": "CSQ-1",
        "provideAlternative": True,
        "serviceQualificationItem": [
            item("1", "DIA-FIBER", place("233", "South Wacker Drive, Suite 4400", "Chicago", "IL", "60606"), 1000),
            item("2", "EPL", place("1342", "University Ave SE", "Minneapolis", "MN", "55414"), 10000),
            item("3", "SIP-TRUNK", {"role": "installationPlace", "id": "LOC-CHI-0026"}),
            item("4", "DIA-FIBER", place("2900", "E 106th St", "Chicago", "IL", "60617"), 500),
        ],
    }
    answered = await api.post(CHECK, json=body, headers=REP)
    assert answered.status_code == 201, answered.text
    check = answered.json()
    assert (check["state"], check["qualificationResult"], check["externalId"]) == ("done", "unqualified", "CSQ-1")
    on_net, short, off_net, near_net = check["serviceQualificationItem"]
    assert (on_net["qualificationResult"], on_net["networkReach"], on_net["locationId"]) == (
        "qualified",
        "on-net",
        "LOC-CHI-0001",
    )
    assert short["qualificationResult"] == "alternate"
    [proposal] = short["alternateServiceProposal"]
    assert proposal["alternateService"]["serviceCharacteristic"][0]["value"] == 1000
    assert (off_net["qualificationResult"], off_net["eligibilityUnavailabilityReason"][0]["code"]) == (
        "unqualified",
        "NOT_SERVICEABLE",
    )
    assert (near_net["networkReach"], near_net["constructionEstimate"], near_net["siteSurveyRequired"]) == (
        "near-net",
        {"unit": "USD", "value": "57750.00"},
        True,
    )

    again = await api.get(f"{CHECK}/{check['id']}", headers=bearer("sre-1", Role.SRE))
    assert again.json() == check
    assert (await api.get(f"{CHECK}/no-such-check", headers=REP)).status_code == 404


async def test_the_check_answer_has_the_shape_tmf645_publishes(api):
    body = {
        "serviceQualificationItem": [item("1", "DIA-FIBER", place("233", "S Wacker Dr", "Chicago", "IL", "60606"), 250)]
    }
    check = (await api.post(CHECK, json=body, headers=REP)).json()
    assert set(check) >= TMF645_ANSWER_FIELDS
    assert check["@type"] == "CheckServiceQualification"
    [answered] = check["serviceQualificationItem"]
    assert {"id", "state", "qualificationResult", "service", "@type"} <= set(answered)
    assert answered["service"]["place"][0]["role"] == "installationPlace"


async def test_a_check_that_cannot_be_answered_is_a_problem_with_field_paths(api):
    body = {
        "serviceQualificationItem": [
            item("1", "CLOUD-IAAS", place("233", "S Wacker Dr", "Chicago", "IL", "60606")),
            item("2", "DIA-FIBER", place("", "PO Box 12", "Chicago", "IL", "60606")),
        ]
    }
    response = await api.post(CHECK, json=body, headers=REP)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    fields = {problem["field"] for problem in response.json()["invalid_params"]}
    assert fields == {
        "serviceQualificationItem.0.service.serviceSpecification.id",
        "serviceQualificationItem.1.service.place.0",
    }
    assert (await api.post(CHECK, json=body, headers=OPS)).status_code == 403


async def test_an_inventory_import_reports_each_bad_row_and_a_reimport_updates_in_place(api):
    csv_text = "\n".join(
        [
            HEADER,
            "LOC-T-1,500 W Madison St,Chicago,IL,60661,41.88,-87.64,false,420,fiber,10000,CHI",
            "LOC-T-2,10 S Riverside Plaza,Chicago,IL,60606,41.88,-87.64,false,a long way,fiber,10000,CHI",
            "LOC-T-3,20 S Riverside Plaza,Chicago,IL",
            "LOC-T-1,30 S Riverside Plaza,Chicago,IL,60606,41.88,-87.64,true,0,fiber,10000,CHI",
            "LOC-T-4,233 S Wacker Dr,Chicago,IL,60606,41.88,-87.64,true,0,fiber,10000,CHI",
        ]
    )
    imported = await api.post(
        "/serviceability/locations/import", content=csv_text, headers=OPS | {"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["created"], report["updated"]) == (1, 0)
    assert [(row["line"], row["locationId"]) for row in report["rejected"]] == [
        (3, "LOC-T-2"),
        (4, "LOC-T-3"),
        (5, "LOC-T-1"),
        (6, "LOC-T-4"),
    ]
    assert "already location LOC-CHI-0001" in report["rejected"][3]["reasons"][0]

    lit_now = HEADER + "\nLOC-T-1,500 W Madison St,Chicago,IL,60661,41.88,-87.64,true,0,fiber,10000,CHI\n"
    again = await api.post(
        "/serviceability/locations/import", content=lit_now, headers=OPS | {"Content-Type": "text/csv"}
    )
    assert again.json() == {"created": 0, "updated": 1, "rejected": []}
    location = (await api.get("/serviceability/locations/LOC-T-1", headers=REP)).json()
    assert (location["buildingLit"], location["address"]["street"]) == (True, "500 W MADISON ST")

    assert (
        await api.post("/serviceability/locations/import", content=lit_now, headers=REP | {"Content-Type": "text/csv"})
    ).status_code == 403
    headless = await api.post(
        "/serviceability/locations/import", content="location_id,street\n", headers=OPS | {"Content-Type": "text/csv"}
    )
    assert headless.status_code == 422
    assert headless.json()["invalid_params"][0]["field"] == "columns"


async def test_the_cli_imports_a_file_and_reports_its_bad_rows(database_url, tmp_path):
    inventory = tmp_path / "locations.csv"
    inventory.write_text(
        HEADER
        + "\nLOC-CLI-1,100 N Riverside Plaza,Chicago,IL,60606,41.88,-87.64,true,0,fiber,10000,CHI"
        + "\nLOC-CLI-2,110 N Riverside Plaza,Chicago,IL,60606,41.88,-87.64,true,0,copper,10000,CHI\n"
    )
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["import", str(inventory), "--database-url", database_url]
    )
    assert result.exit_code == 1, result.output
    assert "1 added, 0 updated, 1 rejected" in result.output
    assert "line 3 (LOC-CLI-2): access_medium 'copper' is not one of fiber, hfc, none" in result.output


async def test_a_surveyor_completes_an_open_survey_and_the_held_order_is_released(api, database, order_id):
    async with database.unit_of_work() as uow:
        await qualify_sites(validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)), uow)
    queue = (await api.get("/serviceability/siteSurveys", headers=OPS)).json()
    [survey] = [survey for survey in queue if survey["orderId"] == order_id]
    assert (survey["state"], survey["locationId"], survey["reach"]) == ("open", "LOC-CHI-0003", "near-net")

    path = f"/serviceability/siteSurveys/{survey['surveyId']}/completion"
    findings = {"distanceToFiberFt": 640, "notes": "conduit along 106th", "photos": ["s3://surveys/a.jpg"]}
    assert (await api.post(path, json=findings, headers=REP)).status_code == 403
    bad = await api.post(path, json={"distanceToFiberFt": -1}, headers=OPS)
    assert (bad.status_code, bad.json()["invalid_params"][0]["field"]) == (422, "distanceToFiberFt")

    completed = await api.post(path, json=findings, headers=OPS)
    assert completed.status_code == 200, completed.text
    assert (completed.json()["state"], completed.json()["orderOutcome"], completed.json()["surveyor"]) == (
        "completed",
        "qualified",
        "sam",
    )
    assert (await api.post(path, json=findings, headers=OPS)).status_code == 409
    assert [fallout.kind for fallout in await emitted(database, OrderFallout, order_id)] == [
        FalloutKind.HELD,
        FalloutKind.RELEASED,
    ]
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert qualified.sites[0].construction_estimate == Decimal("43800.00")

    view = (await api.get(f"/serviceability/orders/{order_id}", headers=OPS)).json()
    assert (view["outcome"], view["sites"][0]["constructionEstimate"], view["siteSurveys"][0]["photos"]) == (
        "qualified",
        "43800.00",
        ["s3://surveys/a.jpg"],
    )
