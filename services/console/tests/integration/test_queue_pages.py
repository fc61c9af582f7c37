"""The work queues' pages as a signed-in person sees them: the console's escalations from its own read model, and the
queues serviceability, fulfillment-handoff and commission keep, reached over HTTP with the person's token."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from console.domain.sla import RaisedLevel
from console.domain.timeline import OrderRow
from console.main import create_app
from console.settings import Settings
from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.processes import free_ports
from services.console.tests.builders import order_row
from services.console.tests.integration.conftest import browse_as, notice, row_text

pytestmark = pytest.mark.integration

# A catalog admin's form adding Grand Rapids' Hosted Voice code to ICOMS.
BILLING_CODE_FORM = {
    "price_component": "HOSTED-VOICE",
    "billing_system": "ICOMS",
    "market": "GRR",
    "billing_code": "GRRH001",
    "effective_from": "2026-10-01",
}


@pytest.mark.parametrize(
    ("role", "queue_links"),
    [
        (Role.OPERATIONS, {"Site surveys"}),
        (Role.CATALOG_ADMIN, {"Missing billing codes"}),
        (Role.COMMISSION_ANALYST, {"Disputes"}),
        (Role.SALES_REP, set()),
    ],
)
async def test_each_role_finds_the_queues_it_works_in_the_navigation(console_app, services, role, queue_links):
    async with await browse_as(console_app, "pat", role) as browser:
        page = (await browser.get("/")).text
    navigation = re.search(r"<nav>.*?</nav>", page, re.S).group(0)
    shown = {name for name in ("Site surveys", "Missing billing codes", "Disputes") if f">{name}</a>" in navigation}
    assert shown == queue_links
    assert ">Escalations</a>" in navigation


async def test_operations_completes_a_site_survey_through_serviceability(console_app, services):
    services.answer(
        "GET",
        "/serviceability/siteSurveys",
        [
            {
                "surveyId": "SV-1",
                "orderId": "PO-NEAR",
                "site": "2900 E 106TH ST, CHICAGO, IL 60617",
                "reach": "near-net",
                "state": "open",
                "openedAt": "2026-11-30T14:00:00Z",
                "dueAt": "2026-12-07T14:00:00Z",
            }
        ],
    )
    services.answer(
        "POST",
        "/serviceability/siteSurveys/SV-1/completion",
        {
            "surveyId": "SV-1",
            "orderId": "PO-NEAR",
            "site": "2900 E 106TH ST, CHICAGO, IL 60617",
            "orderOutcome": "qualified",
        },
    )
    async with await browse_as(console_app, "olga", Role.OPERATIONS) as browser:
        queue = (await browser.get("/site-surveys")).text
        assert row_text(queue, "data-survey-id", "SV-1").startswith(
            "PO-NEAR 2900 E 106TH ST, CHICAGO, IL 60617 near-net"
        )
        assert "2026-11-30 14:00 UTC 2026-12-07 14:00 UTC" in row_text(queue, "data-survey-id", "SV-1")
        assert '<a href="/orders/PO-NEAR">' in queue
        done = await browser.post(
            "/site-surveys/SV-1/complete",
            data={"distance_to_fiber_ft": " 700 ", "notes": "along the rail spur", "photos": "p/1.jpg\n\n p/2.jpg \n"},
        )
    assert notice(done.text) == "Completed the survey of 2900 E 106TH ST, CHICAGO, IL 60617: order PO-NEAR is qualified"
    completion = services.calls[-2]  # then the queue again
    assert (completion.method, completion.path, completion.caller) == (
        "POST",
        "/serviceability/siteSurveys/SV-1/completion",
        "olga",
    )
    assert completion.body == {
        "distanceToFiberFt": "700",
        "notes": "along the rail spur",
        "photos": ["p/1.jpg", "p/2.jpg"],
    }


async def test_a_refused_completion_shows_serviceabilitys_reason_and_others_see_no_form(console_app, services):
    services.answer("GET", "/serviceability/siteSurveys", [{"surveyId": "SV-2", "orderId": "PO-2", "site": "x"}])
    services.refuse_field(
        "POST", "/serviceability/siteSurveys/SV-2/completion", "distanceToFiberFt", "Input should be a valid integer"
    )
    async with await browse_as(console_app, "olga", Role.OPERATIONS) as browser:
        refused = await browser.post("/site-surveys/SV-2/complete", data={"distance_to_fiber_ft": "far"})
    assert notice(refused.text) == (
        "Serviceability refused: 422 1 field(s) need fixing (distanceToFiberFt: Input should be a valid integer)"
    )
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as browser:
        watched = (await browser.get("/site-surveys")).text
    assert "PO-2" in row_text(watched, "data-survey-id", "SV-2")
    assert "Complete survey" not in watched
    assert "Operations completes site surveys" in watched


async def test_a_catalog_admin_adds_a_missing_billing_code_and_hears_which_orders_it_released(console_app, services):
    ticket = {
        "id": 7,
        "priceComponent": "HOSTED-VOICE",
        "billingSystem": "ICOMS",
        "market": "GRR",
        "openedAt": "2026-11-30T15:00:00Z",
        "resolvedAt": None,
        "orders": ["PO-A", "PO-B"],
    }
    services.answer("GET", "/fulfillment/catalogue-tickets", [ticket])
    services.answer("POST", "/fulfillment/billing-codes", {"added": 1, "unchanged": 0, "releasedOrders": ["PO-A"]}, 201)
    async with await browse_as(console_app, "cora", Role.CATALOG_ADMIN) as browser:
        queue = (await browser.get("/catalogue-tickets")).text
        assert row_text(queue, "data-ticket-id", "7").startswith(
            "HOSTED-VOICE ICOMS GRR 2026-11-30 15:00 UTC PO-A , PO-B"
        )
        added = await browser.post(
            "/billing-codes",
            data=BILLING_CODE_FORM | {"billing_code": " GRRH001 "},  # the console trims what a person types
        )
    assert notice(added.text) == "Added GRRH001 for HOSTED-VOICE on ICOMS in GRR: orders released: PO-A"
    [_, adding, _] = services.calls
    assert (adding.path, adding.caller) == ("/fulfillment/billing-codes", "cora")
    assert adding.body == {
        "priceComponent": "HOSTED-VOICE",
        "billingSystem": "ICOMS",
        "market": "GRR",
        "billingCode": "GRRH001",
        "effectiveFrom": "2026-10-01",
    }


async def test_a_refused_billing_code_shows_fulfillments_reason(console_app, services):
    services.answer(
        "POST",
        "/fulfillment/billing-codes",
        {"title": "Conflict", "detail": "the map has a code in that period already: HOSTED-VOICE ..."},
        status=409,
    )
    async with await browse_as(console_app, "cora", Role.CATALOG_ADMIN) as browser:
        refused = await browser.post(
            "/billing-codes",
            data=BILLING_CODE_FORM,
        )
    assert notice(refused.text) == (
        "Fulfillment refused: 409 the map has a code in that period already: HOSTED-VOICE ..."
    )
    assert "No billing code is missing." in refused.text  # the queue again, empty as the stand-in has it


async def test_an_analyst_decides_open_disputes_and_sees_commissions_reason_when_it_refuses(console_app, services):
    services.answer(
        "GET",
        "/commission/disputes",
        [
            {
                "disputeId": "D-1",
                "orderId": "PO-9",
                "repId": "rep-001",
                "claim": "site 2 was missed",
                "openedOn": "2026-11-20",
            }
        ],
    )
    services.answer(
        "POST",
        "/commission/disputes/D-1/decision",
        {"disputeId": "D-1", "orderId": "PO-9", "repId": "rep-001", "state": "approved", "adjustment": "150.00"},
    )
    async with await browse_as(console_app, "carla", Role.COMMISSION_ANALYST) as browser:
        queue = (await browser.get("/disputes")).text
        assert row_text(queue, "data-dispute-id", "D-1").startswith("PO-9 rep-001 site 2 was missed 2026-11-20")
        approved = await browser.post(
            "/disputes/D-1/decision", data={"decision": "approve", "reason": "on the contract", "adjustment": "150.00"}
        )
        assert notice(approved.text) == "Approved the dispute of rep-001 on PO-9: adjustment 150.00"
        services.refuse_field(
            "POST", "/commission/disputes/D-1/decision", "adjustment", "an approval needs a non-zero adjustment"
        )
        refused = await browser.post("/disputes/D-1/decision", data={"decision": "approve", "reason": "ok"})
    assert notice(refused.text) == (
        "Commission refused: 422 1 field(s) need fixing (adjustment: an approval needs a non-zero adjustment)"
    )
    listing, approving, _, refusing, _ = services.calls
    assert (listing.path, listing.query, listing.caller) == ("/commission/disputes", {"state": "open"}, "carla")
    assert approving.body == {"decision": "approve", "reason": "on the contract", "adjustment": "150.00"}
    assert refusing.body == {"decision": "approve", "reason": "ok", "adjustment": None}


async def test_a_service_that_does_not_answer_is_said_so(service_database):
    [closed_port] = free_ports(1)
    app = create_app(
        Settings(database_url=await service_database("console"), commission_url=f"http://127.0.0.1:{closed_port}")
    )
    try:
        async with await browse_as(app, "carla", Role.COMMISSION_ANALYST) as browser:
            queue = (await browser.get("/disputes")).text
            nothing_done = await browser.post("/disputes/D-1/decision", data={"decision": "reject", "reason": "late"})
    finally:
        await app.state.runtime.database.dispose()
    assert '<p class="notice">Commission did not answer: ConnectError' in queue
    assert notice(nothing_done.text).startswith("Commission did not answer, so nothing was done: ConnectError")


def _in_jeopardy(order_id: str, jeopardy: str | None, *, entered: datetime, state=OrderState.IN_PROGRESS) -> OrderRow:
    return order_row(order_id, stage=Stage.VALIDATED, state=state, since=entered, jeopardy=jeopardy)


async def test_escalations_list_orders_in_jeopardy_the_most_severe_and_oldest_first(console_app):
    now = datetime.now(UTC)
    prefix = f"PO-ESC-{now.timestamp():.0f}"
    orders = {
        "high-old": _in_jeopardy(f"{prefix}-1", "high", entered=now - timedelta(days=3, hours=2)),
        "critical-escalated-twice": _in_jeopardy(f"{prefix}-2", "critical", entered=now - timedelta(hours=30)),
        "critical-escalated-once": _in_jeopardy(f"{prefix}-3", "critical", entered=now - timedelta(days=4)),
        "medium": _in_jeopardy(f"{prefix}-4", "medium", entered=now - timedelta(minutes=20)),
        "calm": _in_jeopardy(f"{prefix}-5", None, entered=now - timedelta(days=9)),
        "cancelled": _in_jeopardy(f"{prefix}-6", "critical", entered=now, state=OrderState.CANCELLED),
    }
    reached = {"critical-escalated-twice": ["sales-ops manager", "team lead"], "critical-escalated-once": ["team lead"]}
    async with console_app.state.runtime.database.unit_of_work() as uow:
        for name, row in orders.items():
            await uow.orders.save([(row, now)])
            await uow.jeopardy.claim(
                [RaisedLevel(row.id, 1, "validated", f"escalated to {rung}") for rung in reached.get(name, [])], at=now
            )
        # A rung reached at an earlier stage is not the current stage's escalation.
        await uow.jeopardy.claim([RaisedLevel(orders["medium"].id, 1, "received", "escalated to team lead")], at=now)

    async with await browse_as(console_app, "dana", Role.SPECIALIST) as browser:
        page = (await browser.get("/escalations")).text
    listed = [order_id for order_id in re.findall(r'<tr data-order-id="([^"]+)"', page) if order_id.startswith(prefix)]
    assert listed == [
        orders[name].id for name in ("critical-escalated-twice", "critical-escalated-once", "high-old", "medium")
    ]
    assert row_text(page, "data-order-id", orders["critical-escalated-twice"].id).startswith(
        f"{orders['critical-escalated-twice'].id} critical sales-ops manager validated inProgress 1d 6h"
    )
    assert " high not yet validated inProgress 3d 2h " in row_text(page, "data-order-id", orders["high-old"].id)
    assert " medium not yet validated inProgress under 1h " in row_text(page, "data-order-id", orders["medium"].id)
