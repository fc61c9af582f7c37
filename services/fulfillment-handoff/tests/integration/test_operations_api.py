"""Operations' reports through the API: checked against the hand-off, recorded on ops.order-status.v1 through the
outbox, and applied by the consumer as Operations' own reports are."""

from datetime import UTC, datetime, timedelta

import pytest

from fulfillment_handoff.handlers import follow_ops_status, hand_off
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.operations import OpsOrderStatusChanged

CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))

pytestmark = pytest.mark.integration


@pytest.fixture
async def handed_off(database, api, approved, signed_in_as) -> str:
    """An order with two items, handed off today; the API is called by Operations."""
    async with database.unit_of_work() as uow:
        await hand_off(approved("PO-API", ("DIA-FIBER", "chicago"), ("EPL", "chicago")), uow, CONTEXT)
    api.headers.update(signed_in_as(Role.OPERATIONS))
    return "PO-API"


async def report(api, order_id: str, body: dict, *, headers: dict | None = None):
    return await api.post(f"/fulfillment/orders/{order_id}/operations-reports", json=body, headers=headers)


async def apply_recorded_reports(database) -> list[OpsOrderStatusChanged]:
    """What the API recorded for ops.order-status.v1, handled by the consumer's handler as if read back from Kafka."""
    async with database.engine.connect() as connection:
        rows = await connection.exec_driver_sql(
            "SELECT payload FROM fulfillment.outbox WHERE topic = 'ops.order-status.v1' ORDER BY seq"
        )
        reports = [OpsOrderStatusChanged.model_validate_json(row.payload) for row in rows]
    for each in reports:
        async with database.unit_of_work() as uow:
            await follow_ops_status(each, uow, CONTEXT)
    return reports


async def test_a_report_is_accepted_recorded_for_operations_topic_and_applied_by_the_consumer(
    database, api, handed_off
):
    today = datetime.now(UTC).date()
    answer = await report(api, handed_off, {"status": "installed", "effectiveDate": str(today), "itemIds": ["2"]})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "orderId": "PO-API",
        "orderVersion": 1,
        "status": "installed",
        "effectiveDate": str(today),
        "itemIds": ["2"],
        "reportedBy": "a-operations",
    }
    [recorded] = await apply_recorded_reports(database)
    assert recorded.model_dump(mode="json", by_alias=True, exclude_none=True) == answer.json()

    status = (await api.get("/fulfillment/orders/PO-API")).json()
    assert status["fulfillment"]["status"] is None  # one item of two is installed: the order is not
    assert [(item["itemId"], item["status"]) for item in status["fulfillment"]["items"]] == [
        ("1", None),
        ("2", "installed"),
    ]
    assert status["waitingFor"] == {"who": "operations", "what": "accept the order (items still open: 1)"}


async def test_a_specialist_may_report_for_operations_and_a_sales_rep_may_not(api, handed_off, signed_in_as):
    accepted = {"status": "accepted"}
    specialist = await report(api, handed_off, accepted, headers=signed_in_as(Role.SPECIALIST))
    assert (specialist.status_code, specialist.json()["reportedBy"]) == (202, "a-specialist")
    rep = await report(api, handed_off, accepted, headers=signed_in_as(Role.SALES_REP))
    assert rep.status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"status": "installed", "effectiveDate": "yesterday"}, "effectiveDate", "predate the hand-off"),
        ({"status": "installed", "effectiveDate": "tomorrow"}, "effectiveDate", "in the future"),
        ({"status": "installed"}, "effectiveDate", "needs its date"),
        ({"status": "rescheduled", "effectiveDate": "yesterday"}, "effectiveDate", "is past"),
        ({"status": "failed"}, "reason", "needs its reason"),
        ({"status": "accepted", "itemIds": ["1", "7"]}, "itemIds.1", "item 7 is not on order PO-API"),
        ({"status": "lost"}, "status", "Input should be"),
    ],
)
async def test_a_report_that_cannot_be_is_a_problem_naming_the_field(database, api, handed_off, body, field, says):
    today = datetime.now(UTC).date()
    days = {"yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}
    if "effectiveDate" in body:
        body = body | {"effectiveDate": str(days[body["effectiveDate"]])}
    answer = await report(api, handed_off, body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    [problem] = answer.json()["invalid_params"]
    assert problem["field"] == field
    assert says in problem["reason"]
    assert await apply_recorded_reports(database) == []


async def test_a_report_the_hand_off_cannot_take_is_refused_with_the_reason(database, api, handed_off):
    unasked = await report(api, handed_off, {"status": "cancelled"})
    assert unasked.status_code == 409
    assert "no cancel was sent to Operations for order PO-API" in unasked.json()["detail"]

    never = await report(api, "PO-NEVER", {"status": "accepted"})
    assert (never.status_code, never.json()["detail"]) == (404, "order PO-NEVER was never handed off to Operations")

    today = str(datetime.now(UTC).date())
    assert (await report(api, handed_off, {"status": "installed", "effectiveDate": today})).status_code == 202
    await apply_recorded_reports(database)
    late = await report(api, handed_off, {"status": "failed", "reason": "a loose patch cord"})
    assert late.status_code == 409
    assert "it is installed already" in late.json()["detail"]
