"""Serviceability's API in process, on its real schema: inventory import and site surveys (TMF645: test_tmf645.py)."""

import asyncio
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.cli import app as cli
from serviceability.handlers import qualify_sites
from services.serviceability.tests.builders import NEAR_NET_950_FT, validated
from services.serviceability.tests.integration.conftest import CONTEXT, bearer, emitted

pytestmark = pytest.mark.integration

REP = bearer("rep-001", Role.SALES_REP)
OPS = bearer("sam", Role.OPERATIONS)
HEADER = (
    "location_id,street,city,state,postcode,latitude,longitude,building_lit,distance_to_fiber_ft,"
    "access_medium,max_bandwidth_mbps,market"
)


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
    assert "line 3 (LOC-CLI-2): field 'access_medium': not one of fiber, hfc, none (got 'copper')" in result.output


async def test_a_surveyor_completes_an_open_survey_and_the_held_order_is_released(api, database, order_id):
    async with database.unit_of_work() as uow:
        await qualify_sites(validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)), uow, CONTEXT)
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
