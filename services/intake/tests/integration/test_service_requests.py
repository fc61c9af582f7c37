"""The desk's service requests over intake's API on the real schema: opened on an order by a specialist with its
kind's team and due time, listed per order and across orders (a department's, the overdue), changed by the desk or
the owning department's role, and told on orders.service-requests."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.records import SubmittedOrder
from intake.handlers import submit_order
from intake.tables import messaging
from orderdesk_shared.auth import Role
from orderdesk_shared.events.catalogue import EVENT_TYPES
from orderdesk_shared.events.intake import ServiceRequestChanged
from orderdesk_stack.testing import session_token_signer

from ..builders import NOW, SEED_RULES, generated_order

pytestmark = pytest.mark.integration

SPECIALIST = session_token_signer().bearer("spec-ana", Role.SPECIALIST)
OPERATIONS = session_token_signer().bearer("ops-olu", Role.OPERATIONS)
REP = session_token_signer().bearer("rep-001", Role.SALES_REP)


async def _stored_order(database, order_id: str) -> None:
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(generated_order(order_id)), uow, rules=SEED_RULES, now=NOW)


async def _open(api, order_id: str, **body) -> dict:
    response = await api.post(f"/intake/orders/{order_id}/service-requests", json=body, headers=SPECIALIST)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_specialist_opens_a_request_the_department_works_it_and_each_change_is_told(api, database):
    await _stored_order(database, "PO-SR1")
    before = datetime.now(UTC)
    review = await _open(api, "PO-SR1", kind="engineering-review", description="check the fibre route")
    construction = await _open(api, "PO-SR1", kind="construction", description="lay the lateral", owner="crew-7")

    assert (review["status"], review["owner"], review["department"], review["openedBy"]) == (
        "open",
        "network-engineering",
        "engineering",
        "spec-ana",
    )
    # Three business days: never sooner than three calendar days.
    assert datetime.fromisoformat(review["dueAt"]) >= before + timedelta(days=3)
    assert construction["owner"] == "crew-7" and not construction["overdue"]

    listed = await api.get("/intake/orders/PO-SR1/service-requests", headers=REP)
    assert [request["id"] for request in listed.json()] == [review["id"], construction["id"]]
    operations = await api.get("/intake/service-requests", params={"department": "operations"}, headers=OPERATIONS)
    assert [request["id"] for request in operations.json()] == [construction["id"]]

    # Operations works its construction request, not engineering's.
    refused = await api.patch(f"/intake/service-requests/{review['id']}", json={"status": "done"}, headers=OPERATIONS)
    assert refused.status_code == 403
    started = await api.patch(
        f"/intake/service-requests/{construction['id']}", json={"status": "in_progress"}, headers=OPERATIONS
    )
    assert (started.json()["status"], started.json()["changedBy"]) == ("in_progress", "ops-olu")
    done = await api.patch(
        f"/intake/service-requests/{review['id']}", json={"status": "done", "note": "route fine"}, headers=SPECIALIST
    )
    assert (done.json()["status"], done.json()["note"]) == ("done", "route fine")

    still_open = await api.get("/intake/service-requests", headers=SPECIALIST)
    assert [request["id"] for request in still_open.json()] == [construction["id"]]
    async with database.engine.connect() as connection:
        rows = await connection.execute(messaging.outbox.select().order_by(messaging.outbox.c.seq))
        told = [EVENT_TYPES[row.type].model_validate_json(row.payload) for row in rows]
    changes = [event for event in told if isinstance(event, ServiceRequestChanged)]
    assert [(event.request.id, event.request.status, event.previous_status) for event in changes] == [
        (review["id"], "open", None),
        (construction["id"], "open", None),
        (construction["id"], "in_progress", "open"),
        (review["id"], "done", "open"),
    ]
    assert {event.topic for event in changes} == {"orders.service-requests"}


async def test_a_request_past_its_due_time_is_listed_overdue(api, database):
    await _stored_order(database, "PO-SR2")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    late = await _open(api, "PO-SR2", kind="billing-fix", description="credit the install fee", dueAt=soon)
    await _open(api, "PO-SR2", kind="billing-fix", description="move the billing date")
    await asyncio.sleep(1.2)

    overdue = await api.get("/intake/service-requests", params={"overdue": "true"}, headers=SPECIALIST)
    assert [(request["id"], request["overdue"]) for request in overdue.json()] == [(late["id"], True)]


async def test_bad_input_unknown_and_ended_requests_are_problems(api, database):
    await _stored_order(database, "PO-SR3")
    unknown_kind = await api.post(
        "/intake/orders/PO-SR3/service-requests", json={"kind": "plumbing", "description": "x"}, headers=SPECIALIST
    )
    assert unknown_kind.status_code == 422
    assert unknown_kind.headers["content-type"].startswith("application/problem+json")
    assert "kind" in unknown_kind.text
    by_rep = await api.post(
        "/intake/orders/PO-SR3/service-requests", json={"kind": "billing-fix", "description": "x"}, headers=REP
    )
    assert by_rep.status_code == 403
    no_order = await api.post(
        "/intake/orders/PO-NONE/service-requests", json={"kind": "billing-fix", "description": "x"}, headers=SPECIALIST
    )
    assert no_order.status_code == 404
    assert (
        await api.patch("/intake/service-requests/SR-NONE", json={"status": "done"}, headers=SPECIALIST)
    ).status_code == 404

    cancelled = await _open(api, "PO-SR3", kind="billing-fix", description="credit the install fee")
    path = f"/intake/service-requests/{cancelled['id']}"
    assert (await api.patch(path, json={"status": "cancelled"}, headers=SPECIALIST)).status_code == 200
    again = await api.patch(path, json={"status": "open"}, headers=SPECIALIST)
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]
    assert (await api.get("/intake/service-requests", headers=REP)).status_code == 403
