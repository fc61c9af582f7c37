"""The console in a real browser (Debian's Chromium, headless) against the running stack: what people do with it."""

import copy
import json
import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import expect

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from tests.browser.console_pages import mark_loaded, screenshot, sign_in, still_loaded, until_in_console
from tests.conftest import bearer
from tests.e2e.order_journeys import gigabit_internet_order
from tests.e2e.test_fulfillment_handoff import GRAND_RAPIDS
from tests.e2e.test_serviceability import NEAR_NET_ORDER

pytestmark = pytest.mark.e2e

STAGES = ["received", "validated", "qualified", "priced", "approved", "handed-off", "ratified"]


async def test_a_specialist_finds_a_rejected_order_corrects_it_and_sees_it_move_on(stack, intake, console):
    [generated] = generate_orders(1, seed=811, invalid_share=1.0)
    body = generated.body
    rejected = (
        await intake.post(PRODUCT_ORDER_PATH, json=body, headers=bearer(stack, "rep-001", Role.SALES_REP))
    ).json()
    assert rejected["state"] == "rejected"
    order_id = rejected["id"]
    await until_in_console(stack, order_id, state="rejected")

    await sign_in(console, "dana", Role.SPECIALIST)
    await console.get_by_role("link", name="Work queue").click()
    await expect(console.locator(f'tr[data-order-id="{order_id}"]')).to_contain_text("rejected")
    await console.get_by_role("link", name="Coaching").click()
    await expect(console.locator("table.coaching")).to_contain_text("INVALID_VALUE")
    await console.get_by_label("Search").fill(body["externalId"])  # the CRM's id, as the rep quotes it
    await console.get_by_label("Search").press("Enter")
    await console.get_by_role("link", name=order_id).click()
    await expect(console.locator("#state")).to_have_text("rejected")
    trace_id = await console.locator("#trace-id").text_content()
    await expect(console.locator("#trace-link")).to_have_attribute("href", re.compile(f"/trace/{trace_id}$"))
    await expect(console.locator("#blocker")).not_to_be_empty()
    await expect(console.get_by_text("none until the order is priced")).to_be_visible()  # no proposal to link to
    await screenshot(console, "specialist-rejected-order")

    # The generated order's fault: its reps' splits do not add up to 100. Give the first rep all of it.
    reps = [party for party in body["relatedParty"] if party["role"] == "salesRep"]
    others = [party for party in body["relatedParty"] if party["role"] != "salesRep"]
    patch = {"relatedParty": [*others, {**reps[0], "splitPercent": 100}]}
    await console.get_by_label("JSON merge patch on what was submitted").fill(json.dumps(patch))
    await console.get_by_role("button", name="Resubmit").click()
    await expect(console.get_by_role("status")).to_have_text("Resubmitted: intake has it inProgress")
    await mark_loaded(console)

    # The page follows the order by itself, without a reload, as it moves through the stages.
    await expect(console.locator("#state")).not_to_have_text("rejected", timeout=60_000)
    await expect(console.locator("#stage")).to_have_text("ratified", timeout=60_000)
    timeline = console.locator("table.timeline")
    await expect(timeline).to_contain_text(re.compile("rejected at [a-z]+: INVALID_VALUE"))
    await expect(timeline).to_contain_text("ratified")
    await expect(console.locator("tr.kind-validated").last).to_contain_text("dana")
    await expect(console.locator("tr.kind-validated").last).to_contain_text("corrected, then validated")
    await expect(console.locator("#correction")).to_be_hidden()
    assert await still_loaded(console)
    await screenshot(console, "specialist-corrected-order-moved-on")


async def test_an_approver_approves_a_25_percent_discount_from_the_queue(stack, intake, console):
    created = await intake.post(
        PRODUCT_ORDER_PATH,
        json=gigabit_internet_order(discount_percent=25, seed=825),
        headers=bearer(stack, "rep-002", Role.SALES_REP),
    )
    order_id = created.json()["id"]
    waiting = await until_in_console(stack, order_id, state="pending", stage="priced")
    assert waiting["assignee"] == "sales_director"

    await sign_in(console, "dex-director", Role.SALES_DIRECTOR)
    await console.get_by_role("link", name="My approvals").click()
    row = console.locator(f'tr[data-order-id="{order_id}"]')
    await expect(row).to_contain_text("discount 25%")
    await screenshot(console, "approver-queue")
    await row.get_by_placeholder("comment").fill("multi-site prospect")
    await row.get_by_role("button", name="Approve").click()
    await expect(console.get_by_role("status")).to_have_text(f"Approved the sales_director approval of {order_id}")
    await expect(console.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)

    await console.goto(f"/orders/{order_id}")
    await expect(console.locator("#stage")).to_have_text(re.compile("approved|handed-off|ratified"), timeout=60_000)
    await expect(console.locator("table.timeline")).to_contain_text("dex-director (sales_director)")
    await screenshot(console, "approver-approved-order")
    # What the proposal link gives the signed-in approver (the browser's own PDF viewer would show it).
    proposal = await console.request.get(await console.get_by_role("link", name="proposal PDF").get_attribute("href"))
    assert proposal.headers["content-type"] == "application/pdf"
    assert (await proposal.body()).startswith(b"%PDF")


async def test_the_dashboard_charts_the_orders_in_the_console(stack, intake, console):
    rep = bearer(stack, "rep-003", Role.SALES_REP)
    for generated in generate_orders(3, seed=903, invalid_share=0.0):
        created = await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)
        await until_in_console(stack, created.json()["id"])

    await sign_in(console, "sam", Role.SALES_MANAGER)
    await expect(console.locator("#per-stage")).to_have_attribute("data-rendered", "yes")
    charted = await console.evaluate("Chart.getChart('per-stage').data")
    async with httpx.AsyncClient(base_url=stack.service_url("console")) as client:
        figures = (await client.get("/console/dashboard", headers=rep)).json()
    assert charted["labels"] == STAGES
    assert sum(charted["datasets"][0]["data"]) >= 3
    assert sum(charted["datasets"][0]["data"]) <= sum(stage["orders"] for stage in figures["perStage"])

    # The orders just sent are open and young, and were received in the last hours.
    aging = await console.evaluate("Chart.getChart('aging-by-stage').data")
    assert aging["labels"] == STAGES
    assert [dataset["label"] for dataset in aging["datasets"]] == figures["agingByStage"]["buckets"]
    assert sum(aging["datasets"][0]["data"]) >= 3
    throughput = await console.evaluate("Chart.getChart('throughput').data")
    assert [dataset["label"] for dataset in throughput["datasets"]] == ["received", "handed off", "ratified"]
    assert len(throughput["labels"]) == 24
    assert sum(throughput["datasets"][0]["data"]) >= 3
    await screenshot(console, "dashboard")

    # One more order: the charts take it in without a reload.
    await mark_loaded(console)
    charted_orders = "Chart.getChart('per-stage').data.datasets[0].data.reduce((sum, n) => sum + n, 0)"
    before = await console.evaluate(charted_orders)
    [generated] = generate_orders(1, seed=904, invalid_share=0.0)
    await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)
    await console.wait_for_function(f"{charted_orders} > {before}")
    assert await still_loaded(console)


async def test_an_order_a_specialist_takes_or_is_handed_shows_in_my_orders(stack, intake, console):
    rep = bearer(stack, "rep-004", Role.SALES_REP)
    order_ids = []
    for generated in generate_orders(2, seed=1204, invalid_share=1.0):
        created = await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)
        order_ids.append(created.json()["id"])
        await until_in_console(stack, order_ids[-1], state="rejected")
    taken, handed = order_ids

    await sign_in(console, "dana", Role.SPECIALIST)
    await console.goto(f"/orders/{taken}")
    await console.get_by_role("button", name="Assign to me").click()
    await expect(console.get_by_role("status")).to_have_text(f"{taken} is assigned to dana.")
    await expect(console.locator("#assigned-to")).to_have_text("dana")
    await expect(console.locator("tr.kind-assigned")).to_contain_text("took the order")

    await console.get_by_role("link", name="Work queue").click()
    await console.get_by_role("link", name="My orders").click()
    await expect(console.get_by_role("heading", name="My orders")).to_be_visible()
    await expect(console.locator(f'tr[data-order-id="{taken}"]')).to_contain_text("dana")
    await expect(console.locator(f'tr[data-order-id="{handed}"]')).to_have_count(0)

    # Another specialist hands dana an order: it shows in her list without a reload.
    await mark_loaded(console)
    eve = stack.token_signer.mint("eve", [Role.SPECIALIST])
    async with httpx.AsyncClient(base_url=stack.service_url("console"), cookies={TOKEN_COOKIE: eve}) as client:
        await client.post(f"/orders/{handed}/assign", data={"assignee": "dana"})
    await expect(console.locator(f'tr[data-order-id="{handed}"]')).to_contain_text("dana")
    await expect(console.locator("#order-count")).to_have_text("2 orders")
    assert await still_loaded(console)
    await screenshot(console, "my-orders")


async def test_operations_completes_a_site_survey_from_the_queue_and_the_order_is_qualified(stack, intake, console):
    order = copy.deepcopy(NEAR_NET_ORDER) | {"externalId": "OPP-NEAR-NET-CONSOLE"}
    # Another account than the e2e tests' orders for this building, which it would otherwise duplicate.
    order["relatedParty"][0] = {"role": "customer", "id": "ACC-10009"}
    created = await intake.post(PRODUCT_ORDER_PATH, json=order, headers=bearer(stack, "rep-001", Role.SALES_REP))
    order_id = created.json()["id"]
    await until_in_console(stack, order_id, state="held")

    await sign_in(console, "olga", Role.OPERATIONS)
    await console.get_by_role("link", name="Site surveys").click()
    survey = console.locator(f'tr[data-order-id="{order_id}"]')
    await expect(survey).to_contain_text("near-net")
    await screenshot(console, "operations-site-survey-queue")
    await survey.get_by_label("Distance to fiber (ft)").fill("7000000")  # one zero too many
    await survey.get_by_role("button", name="Complete survey").click()
    await expect(console.get_by_role("status")).to_have_text(
        "Serviceability refused: 422 1 field(s) need fixing"
        " (distanceToFiberFt: Input should be less than or equal to 1000000)"
    )

    survey = console.locator(f'tr[data-order-id="{order_id}"]')
    await survey.get_by_label("Distance to fiber (ft)").fill("700")
    await survey.get_by_label("Notes").fill("route along the rail spur")
    await survey.get_by_label("Photos, one reference a line").fill("survey/2900-e-106th/1.jpg")
    await survey.get_by_role("button", name="Complete survey").click()
    await expect(console.get_by_role("status")).to_have_text(
        re.compile(f"Completed the survey of .+: order {order_id} is qualified")
    )
    await expect(console.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)

    # Qualified with the surveyed estimate, the build waits at pricing for the capital approvals it calls for.
    await console.goto(f"/orders/{order_id}")
    await expect(console.locator("#stage")).to_have_text("priced", timeout=60_000)
    await screenshot(console, "operations-surveyed-order-priced")


async def test_a_catalog_admin_adds_the_missing_billing_codes_and_the_held_order_is_handed_off(stack, intake, console):
    # Hosted voice in west Michigan: the seed map has no voice codes for the Grand Rapids market yet.
    body = next(o.body for o in generate_orders(40, seed=931, invalid_share=0.0) if o.body["orderType"] == "new")
    body.pop("requestedCompletionDate")  # billed from today, so codes effective from today cover it
    body["productOrderItem"] = [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "HOSTED-VOICE"},
            "itemTerm": [{"duration": {"amount": 36, "units": "month"}}],
            "product": {
                "productCharacteristic": [{"name": "seats", "value": 25}],
                "place": [{"role": "serviceLocation", **GRAND_RAPIDS}],
            },
            # The catalogue's list price for 25 seats on 36 months: no approval stands in the way.
            "itemPrice": [
                {"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 643.77}}},
                {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 750}}},
            ],
        }
    ]
    created = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=bearer(stack, "rep-001", Role.SALES_REP))
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    await until_in_console(stack, order_id, state="held", stage="approved")

    await sign_in(console, "cora", Role.CATALOG_ADMIN)
    await console.get_by_role("link", name="Missing billing codes").click()
    tickets = console.locator("table.catalogue-tickets tr", has=console.get_by_role("link", name=order_id))
    await expect(tickets.first).to_contain_text("GRR")
    await screenshot(console, "catalog-admin-missing-billing-codes")
    for n in range(await tickets.count()):
        ticket = tickets.first
        component = await ticket.locator("code").text_content()
        await ticket.get_by_label("Billing code").fill(f"GRRH{n:03d}")
        await ticket.get_by_role("button", name="Add code").click()
        await expect(console.get_by_role("status")).to_contain_text(
            f"Added GRRH{n:03d} for {component} on ICOMS in GRR"
        )
    await expect(console.get_by_role("status")).to_have_text(re.compile(f"orders released: {order_id}$"))
    await expect(tickets).to_have_count(0)

    await console.goto(f"/orders/{order_id}")
    await expect(console.locator("#stage")).to_have_text(re.compile("handed-off|ratified"), timeout=60_000)
    await expect(console.locator("table.timeline")).to_contain_text("handed off to Operations")
    await screenshot(console, "catalog-admin-released-order")


async def test_a_commission_analyst_decides_a_reps_dispute_and_the_adjustment_reaches_the_timeline(
    stack, intake, console
):
    [generated] = generate_orders(1, seed=947, invalid_share=0.0)
    rep = bearer(stack, "rep-001", Role.SALES_REP)
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)).json()["id"]
    await until_in_console(stack, order_id, stage="ratified")
    [seller, *_] = [party["id"] for party in generated.body["relatedParty"] if party["role"] == "salesRep"]
    async with httpx.AsyncClient(base_url=stack.service_url("commission"), timeout=10.0) as commission:
        opened = await commission.post(
            f"/commission/orders/{order_id}/disputes",
            json={"claim": "the second site was left out"},
            headers=bearer(stack, seller, Role.SALES_REP),
        )
    assert opened.status_code == 201, opened.text

    await sign_in(console, "carla", Role.COMMISSION_ANALYST)
    await console.get_by_role("link", name="Disputes").click()
    dispute = console.locator(f'tr[data-order-id="{order_id}"]')
    await expect(dispute).to_contain_text(seller)
    await expect(dispute).to_contain_text("the second site was left out")
    await screenshot(console, "analyst-dispute-queue")
    await dispute.get_by_label("reason for approving").fill("site 2 is on the contract")
    await dispute.get_by_role("button", name="Approve").click()
    await expect(console.get_by_role("status")).to_have_text(
        "Commission refused: 422 1 field(s) need fixing (adjustment: an approval needs a non-zero adjustment)"
    )

    dispute = console.locator(f'tr[data-order-id="{order_id}"]')
    await dispute.get_by_label("adjustment").fill("150")
    await dispute.get_by_label("reason for approving").fill("site 2 is on the contract")
    await dispute.get_by_role("button", name="Approve").click()
    await expect(console.get_by_role("status")).to_have_text(
        f"Approved the dispute of {seller} on {order_id}: adjustment 150.00"
    )
    await expect(console.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)

    await console.goto(f"/orders/{order_id}")
    await expect(console.locator("table.timeline")).to_contain_text(
        re.compile(rf"commission adjusted for {seller} by 150(\.00)?: dispute \S+ approved: site 2 is on the contract")
    )
    await screenshot(console, "analyst-dispute-adjustment-in-timeline")


async def _gigabit_order_in_console(stack, intake, *, rep: str, discount_percent: int, seed: int, **shown) -> str:
    """A rep's 1 Gbps Internet order at `discount_percent` off, once the console shows it as `shown`."""
    body = gigabit_internet_order(discount_percent=discount_percent, seed=seed)
    created = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=bearer(stack, rep, Role.SALES_REP))
    order_id = created.json()["id"]
    await until_in_console(stack, order_id, **shown)
    return order_id


async def test_a_rep_cancels_an_order_waiting_for_approval_from_its_page(stack, intake, console):
    order_id = await _gigabit_order_in_console(
        stack, intake, rep="rep-003", discount_percent=25, seed=1431, state="pending", stage="priced"
    )

    await sign_in(console, "rep-003", Role.SALES_REP)
    await console.goto(f"/orders/{order_id}")
    await console.get_by_label("Reason for cancelling").fill("the customer chose another provider")
    await console.get_by_role("button", name="Cancel the order").click()
    await expect(console.get_by_role("status")).to_have_text(f"Cancelled {order_id}.")
    await mark_loaded(console)
    # The page follows the cancel by itself as the console hears of it.
    await expect(console.locator("#state")).to_have_text("cancelled")
    await expect(console.locator("table.timeline")).to_contain_text("cancelled at priced")
    await expect(console.locator("#items")).to_have_text("item 1: cancelled")
    await expect(console.get_by_role("button", name="Cancel the order")).to_be_hidden()
    assert await still_loaded(console)
    await screenshot(console, "rep-cancelled-order")


async def test_a_failed_install_waits_in_the_work_queue_with_its_reason_and_leaves_it_when_rescheduled(
    stack, intake, console
):
    order_id = await _gigabit_order_in_console(
        stack, intake, rep="rep-001", discount_percent=5, seed=1505, stage="ratified", state="inProgress"
    )

    await sign_in(console, "olga", Role.OPERATIONS)
    await console.goto(f"/orders/{order_id}")
    report = console.locator("#operations-report")
    await report.get_by_label("Status").select_option("failed")
    await report.get_by_label("Reason (a failure's)").fill("no access to the riser")
    await report.get_by_role("button", name="Report").click()
    await expect(console.get_by_role("status")).to_have_text(
        f"Reported failed for {order_id}: the order follows when fulfillment has it."
    )
    await expect(console.locator("#state")).to_have_text("failed")
    await expect(console.locator("#blocker")).to_contain_text("no access to the riser")

    await sign_in(console, "dana", Role.SPECIALIST)
    await console.get_by_role("link", name="Work queue").click()
    row = console.locator(f'tr[data-order-id="{order_id}"]')
    await expect(row).to_contain_text("failed")
    await expect(row).to_contain_text("Operations failed the installation: no access to the riser")
    await screenshot(console, "specialist-failed-install-in-queue")

    # The specialist agrees a new date with Operations and the customer, and reports it for Operations.
    await row.get_by_role("link", name=order_id).click()
    report = console.locator("#operations-report")
    await report.get_by_label("Status").select_option("rescheduled")
    next_week = (date.today() + timedelta(days=7)).isoformat()
    await report.get_by_label("Date (scheduled for, installed on)").fill(next_week)
    await report.get_by_role("button", name="Report").click()
    await expect(console.locator("#state")).to_have_text("inProgress")
    await console.get_by_role("link", name="Work queue").click()
    await expect(console.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)
    await screenshot(console, "specialist-rescheduled-install-left-the-queue")
