"""Hand-off, holds for missing billing codes and their release through the API, on the real schema."""

import json

import pytest

from fulfillment_handoff.handlers import hand_off
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_stack.testing import session_token_signer

CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))

pytestmark = pytest.mark.integration


def _events(uow) -> list[tuple[str, dict]]:
    return [(record.headers["ce_type"], json.loads(record.value)) for record in uow.emitted]


async def test_an_approved_order_is_handed_off_once_with_the_seed_codes_of_its_market(database, api, approved):
    order = approved("PO-1", ("EPL", "chicago"), ("SIP-TRUNK", "chicago"))
    async with database.unit_of_work() as uow:
        await hand_off(order, uow, CONTEXT)
        await uow.run_deferred()  # as the consumer does before it commits
        [handed_off] = uow.emitted
    async with database.unit_of_work() as uow:
        await hand_off(order, uow, CONTEXT)
        await uow.run_deferred()
        assert uow.emitted == []

    package = OrderHandedOff.model_validate_json(handed_off.value)
    assert [(line.item_id, line.billing_system, line.market) for line in package.billing_lines] == [
        ("1", "CSG", "CHI"),
        ("2", "CSG", "CHI"),
    ]
    assert package.processing_path == "complex-engineering"
    assert {note.topic for note in package.engineering_notes} == {"ethernet-endpoints"}
    status = (await api.get("/fulfillment/orders/PO-1")).json()
    assert (status["state"], status["waitingFor"]) == ("handed-off", {"who": "operations", "what": "accept the order"})


async def test_a_held_order_is_released_when_the_catalogue_team_adds_the_missing_code(database, api, approved):
    waiting = [approved(f"PO-GRR-{n}", ("SIP-TRUNK", "grand-rapids"), ("EPL", "grand-rapids")) for n in (1, 2)]
    for order in waiting:
        async with database.unit_of_work() as uow:
            await hand_off(order, uow, CONTEXT)
            await uow.run_deferred()
            [(event_type, held)] = _events(uow)
        assert event_type == OrderFallout.event_type
        assert (held["kind"], held["findings"][0]["reasonCode"]) == ("held", "MISSING_BILLING_CODE")

    [ticket] = (await api.get("/fulfillment/catalogue-tickets")).json()
    assert (ticket["priceComponent"], ticket["billingSystem"], ticket["market"]) == ("SIP-TRUNK", "ICOMS", "GRR")
    assert ticket["orders"] == ["PO-GRR-1", "PO-GRR-2"]
    status = (await api.get("/fulfillment/orders/PO-GRR-1")).json()
    assert status["state"] == "held"
    assert status["waitingFor"] == {"who": "catalogue team", "what": "billing codes for SIP-TRUNK in GRR (ICOMS)"}

    added = await api.post(
        "/fulfillment/billing-codes",
        json={
            "priceComponent": "SIP-TRUNK",
            "billingSystem": "ICOMS",
            "market": "GRR",
            "billingCode": "GRRB190",
            "effectiveFrom": "2026-10-01",
        },
    )
    assert added.status_code == 201, added.text
    assert added.json()["releasedOrders"] == ["PO-GRR-1", "PO-GRR-2"]

    status = (await api.get("/fulfillment/orders/PO-GRR-2")).json()
    assert status["state"] == "handed-off"
    assert {line["billingCode"] for line in status["billingLines"]} >= {"GRRB190"}
    assert (await api.get("/fulfillment/catalogue-tickets")).json() == []
    [resolved] = (await api.get("/fulfillment/catalogue-tickets", params={"state": "all"})).json()
    assert resolved["resolvedAt"] is not None
    async with database.engine.connect() as connection:
        published = await connection.exec_driver_sql("SELECT type, aggregate_id FROM fulfillment.outbox ORDER BY seq")
        types = [(row.type, row.aggregate_id) for row in published if row.aggregate_id == "PO-GRR-1"]
    assert types == [
        (OrderFallout.event_type, "PO-GRR-1"),  # held
        (OrderFallout.event_type, "PO-GRR-1"),  # released
        (OrderHandedOff.event_type, "PO-GRR-1"),
    ]


async def test_an_order_missing_two_codes_waits_until_both_are_added(database, api, approved):
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-TWO", ("SIP-TRUNK", "grand-rapids"), ("BUSINESS-TV", "grand-rapids")), uow, CONTEXT)
    code = {"billingSystem": "ICOMS", "market": "GRR", "effectiveFrom": "2026-10-01"}
    first = await api.post(
        "/fulfillment/billing-codes", json=code | {"priceComponent": "SIP-TRUNK", "billingCode": "G1"}
    )
    assert first.json()["releasedOrders"] == []
    status = (await api.get("/fulfillment/orders/PO-TWO")).json()
    assert status["waitingFor"]["what"] == "billing codes for BUSINESS-TV in GRR (ICOMS)"
    second = await api.post(
        "/fulfillment/billing-codes", json=code | {"priceComponent": "BUSINESS-TV", "billingCode": "G2"}
    )
    assert second.json()["releasedOrders"] == ["PO-TWO"]


async def test_a_csv_import_releases_waiting_orders_and_an_export_lists_the_new_code(database, api, approved):
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-CSV", ("HOSTED-VOICE", "grand-rapids")), uow, CONTEXT)
    csv = (
        "price_component,billing_system,market,billing_code,effective_from,effective_to\n"
        "HOSTED-VOICE,ICOMS,GRR,GRRB177,2026-10-01,\n"
        "EPL,ICOMS,GRR,GRRB114,2026-10-01,\n"  # already in the seed map: left as it is
    )
    imported = await api.post("/fulfillment/billing-codes.csv", content=csv, headers={"Content-Type": "text/csv"})
    assert imported.json() == {"added": 1, "unchanged": 1, "releasedOrders": ["PO-CSV"]}
    exported = (await api.get("/fulfillment/billing-codes.csv")).text
    assert "HOSTED-VOICE,ICOMS,GRR,GRRB177,2026-10-01,\n" in exported


async def test_bad_codes_are_problems_with_field_paths_and_change_nothing(api):
    epl_in_grr = {"priceComponent": "EPL", "market": "GRR", "billingCode": "X1", "effectiveFrom": "2027-01-01"}
    wrong_system = await api.post("/fulfillment/billing-codes", json=epl_in_grr | {"billingSystem": "CSG"})
    assert wrong_system.status_code == 422
    assert wrong_system.headers["content-type"] == "application/problem+json"
    assert [p["field"] for p in wrong_system.json()["invalid_params"]] == ["billingSystem"]

    overlapping = await api.post("/fulfillment/billing-codes", json=epl_in_grr | {"billingSystem": "ICOMS"})
    assert overlapping.status_code == 409
    assert "GRRB114" in overlapping.json()["detail"]

    bad_csv = (
        "price_component,billing_system,market,billing_code,effective_from,effective_to\nEPL,ICOMS,ZZZ,X1,2027-01-01,\n"
    )
    refused = await api.post("/fulfillment/billing-codes.csv", content=bad_csv, headers={"Content-Type": "text/csv"})
    assert [p["field"] for p in refused.json()["invalid_params"]] == ["line 2.market"]
    assert (await api.get("/fulfillment/billing-codes", params={"priceComponent": "EPL", "market": "GRR"})).json()[0][
        "billingCode"
    ] == "GRRB114"


async def test_only_the_catalogue_team_changes_the_map(api):
    operations = "Bearer " + session_token_signer().mint("ops-1", [Role.OPERATIONS])
    api.headers["Authorization"] = operations
    refused = await api.post("/fulfillment/billing-codes.csv", content="x", headers={"Content-Type": "text/csv"})
    assert refused.status_code == 403
    assert (await api.get("/fulfillment/billing-codes", params={"market": "GRR"})).status_code == 200


async def test_the_approved_orders_of_one_transaction_are_handed_off_or_held_each_on_its_own_codes(database, approved):
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-BATCH-1", ("EPL", "chicago")), uow, CONTEXT)
        await hand_off(approved("PO-BATCH-2", ("SIP-TRUNK", "grand-rapids")), uow, CONTEXT)  # its code is missing
        await hand_off(approved("PO-BATCH-3", ("EPL", "chicago")), uow, CONTEXT)
        await hand_off(approved("PO-BATCH-3", ("EPL", "chicago"), ("SIP-TRUNK", "chicago"), version=2), uow, CONTEXT)
        await uow.run_deferred()
        events = _events(uow)
    assert sorted((event_type, event["orderId"], event["orderVersion"]) for event_type, event in events) == [
        (OrderFallout.event_type, "PO-BATCH-2", 1),
        (OrderHandedOff.event_type, "PO-BATCH-1", 1),
        (OrderHandedOff.event_type, "PO-BATCH-3", 2),  # version 1 came with a later one: left, as if late
    ]
