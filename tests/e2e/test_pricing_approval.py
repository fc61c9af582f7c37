"""Pricing and approval in the running stack: what needs no person flows on, what does waits for the right one."""

import asyncio
import secrets
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.codec import encode
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.order import Account, Agreement, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.pricing_approval import OrderApproved
from orderdesk_shared.events.serviceability import (
    NetworkReach,
    QualificationResult,
    ServiceabilityQualified,
    SiteQualification,
)
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer, first_record_for, publish_as
from tests.e2e.order_journeys import (
    RENAISSANCE_CENTER_DETROIT,
    gigabit_internet_order,
    until_state,
    waiting_for_the_director,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
async def pricing(stack):
    async with httpx.AsyncClient(base_url=stack.service_url("pricing-approval"), timeout=30.0) as client:
        yield client


async def test_five_percent_off_on_an_on_net_site_is_approved_with_no_human_step(stack, intake, pricing):
    rep = bearer(stack, "rep-001", Role.SALES_REP)
    created = await intake.post(
        PRODUCT_ORDER_PATH, json=gigabit_internet_order(discount_percent=5, seed=5), headers=rep
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    await until_state(intake, order_id, rep, "inProgress", stage="ratified")
    quote = (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).json()
    assert (quote["status"], quote["requiredApprovals"], quote["approvals"]) == ("approved", [], [])
    assert quote["pricing"]["items"][0]["discountPercent"] == "5.00"


async def test_twenty_five_percent_off_waits_for_the_sales_director_and_proceeds_after_approval(stack, intake, pricing):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    director = bearer(stack, "dex-director", Role.SALES_DIRECTOR)
    order_id, request = await waiting_for_the_director(intake, pricing, {"rep": rep, "director": director}, seed=25)
    quote = (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).json()
    [requirement] = quote["requiredApprovals"]
    assert (requirement["role"], requirement["status"]) == ("sales_director", "pending")
    assert requirement["reason"] == "discount 25% on item 1 > 20% → sales_director"

    manager = bearer(stack, "mia-manager", Role.SALES_MANAGER)
    assert order_id not in {
        request["orderId"] for request in (await pricing.get("/pricing/approvals", headers=manager)).json()
    }
    refused = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=manager)
    assert refused.status_code == 403
    await asyncio.sleep(1.0)
    assert (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=rep)).json()["stage"] == "priced"

    granted = await pricing.post(
        f"/pricing/approvals/{request['id']}/approve", json={"comment": "multi-site prospect"}, headers=director
    )
    assert granted.status_code == 200, granted.text
    await until_state(intake, order_id, rep, "inProgress", stage="ratified")


async def test_a_cancelled_order_leaves_the_approvers_queue_and_a_late_approval_is_refused(stack, intake, pricing):
    rep = bearer(stack, "rep-003", Role.SALES_REP)
    director = bearer(stack, "dex-director", Role.SALES_DIRECTOR)
    order_id, request = await waiting_for_the_director(intake, pricing, {"rep": rep, "director": director}, seed=26)

    cancelled = await intake.post(
        "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
        json={"productOrder": {"id": order_id}, "cancellationReason": "the customer signed with a competitor"},
        headers=rep,
    )
    assert cancelled.status_code == 201, cancelled.text

    async def approval() -> dict:
        return (await pricing.get(f"/pricing/approvals/{request['id']}", headers=director)).json()

    await eventually(
        approval, lambda seen: seen["status"] != "pending", what="pricing to hear of the cancel", timeout=30
    )

    still_asked = (await pricing.get("/pricing/approvals", headers=director)).json()
    assert order_id not in {waiting["orderId"] for waiting in still_asked}
    late = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert late.status_code == 409
    detail = late.json()["detail"]
    assert f"order {order_id} was cancelled" in detail and "the customer signed with a competitor" in detail
    assert (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).json()["status"] == "cancelled"


async def test_an_order_without_a_signed_agreement_goes_on_once_the_customer_signed_the_proposal(
    stack, intake, pricing
):
    rep = bearer(stack, "rep-004", Role.SALES_REP)
    body = gigabit_internet_order(discount_percent=5, seed=27)
    for agreement in body["agreement"]:
        agreement.pop("signedDate")
    [contact] = [party["name"] for party in body["relatedParty"] if party["role"] == "contact"]
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()["id"]

    await until_state(intake, order_id, rep, "pending", stage="priced")
    assert (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).json()["status"] == "awaiting-signature"
    specialist = bearer(stack, "sky-specialist", Role.SPECIALIST)
    sent = (await pricing.post(f"/pricing/orders/{order_id}/proposal/send", json={}, headers=specialist)).json()
    signed_on = str(date.fromisoformat(sent["expiresOn"]) - timedelta(days=30))  # the day it was sent
    accepted = await pricing.post(
        f"/pricing/orders/{order_id}/proposal/accept",
        json={"signedBy": contact, "signedOn": signed_on},
        headers=specialist,
    )
    assert accepted.status_code == 200, accepted.text

    await until_state(intake, order_id, rep, "inProgress", stage="ratified")
    approved = OrderApproved.model_validate_json(
        (await first_record_for(stack.kafka_admin, "orders.approved", order_id)).value
    )
    assert (str(approved.order.agreement.signed_date), approved.order.agreement.signed_by) == (signed_on, contact)


async def test_a_near_net_build_paying_back_after_sixty_months_is_rejected_on_the_bus(stack):
    """Serviceability still reports every site on-net, so the near-net fact is put on orders.qualified here."""
    order_id = f"PO-NEARNET-{secrets.token_hex(4).upper()}"
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Prairie Logistics LLC"),
        agreement=Agreement(term_months=36),
        items=[
            OrderItem(
                id="1",
                product_offering_id="DIA-FIBER",
                characteristics={"bandwidth_mbps": 1000},
                price=ItemPrice(mrc_discount_percent=Decimal(5)),
            )
        ],
    )
    site = SiteQualification(
        item_id="1",
        reach=NetworkReach.NEAR_NET,
        result=QualificationResult.QUALIFIED,
        construction_estimate=Decimal(15000 + 45 * 990),
    )
    record = encode(
        ServiceabilityQualified(order_id=order_id, order_version=1, order=order, sites=[site]), source="e2e-test"
    )
    await publish_as(stack, "serviceability", record)

    fallout = OrderFallout.model_validate_json(
        (await first_record_for(stack.kafka_admin, "orders.fallout", order_id)).value
    )
    [finding] = fallout.findings
    assert (fallout.kind, finding.reason_code) == ("rejected", "CAPITAL_POLICY")
    assert "pays back in 62.75 months > 60" in finding.message
    assert "net capex $59,550.00" in finding.message and "monthly contribution $949.05" in finding.message


async def test_intake_checks_orders_against_the_catalogue_and_roster_their_owners_announced(stack, intake):
    rep = bearer(stack, "rep-001", Role.SALES_REP)
    async with httpx.AsyncClient(base_url=stack.service_url("pricing-approval"), timeout=30.0) as pricing:
        offerings = (await pricing.get("/tmf-api/productCatalogManagement/v4/productOffering", headers=rep)).json()
    sold = sorted(offering["id"] for offering in offerings if offering["lifecycleStatus"] == "Active")

    async def intake_reference() -> dict:
        return (await intake.get("/intake/reference", headers=rep)).json()

    reference = await eventually(
        intake_reference,
        lambda seen: None not in (seen["catalogueVersion"], seen["rosterVersion"]),
        what="intake to take the announced catalogue and roster instead of its seed files",
        timeout=30,
        pause=0.5,
    )
    assert reference["offerings"] == sold


def _at(building: dict, body: dict) -> dict:
    """The order with its one item's site at `building`."""
    body["productOrderItem"][0]["product"]["place"] = [{"role": "serviceLocation", **building}]
    return body


WACKER_DRIVE_CHICAGO = {
    "streetNr": "233",
    "streetName": "S Wacker Dr",
    "city": "Chicago",
    "stateOrProvince": "IL",
    "postcode": "60606",
}


async def test_detroits_market_policy_sends_a_discount_a_manager_approves_elsewhere_to_the_director(
    stack, intake, pricing
):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    director = bearer(stack, "dex-director", Role.SALES_DIRECTOR)
    manager = bearer(stack, "mia-manager", Role.SALES_MANAGER)
    orders = {}
    for market, building, seed in (("DET", RENAISSANCE_CENTER_DETROIT, 61), ("CHI", WACKER_DRIVE_CHICAGO, 62)):
        body = _at(building, gigabit_internet_order(discount_percent=17, seed=seed))
        created = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)
        assert created.status_code == 201, created.text
        orders[market] = created.json()["id"]
    for order_id in orders.values():
        await until_state(intake, order_id, rep, "pending", stage="priced")

    asked = {}
    for market, order_id in orders.items():
        quote = (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).json()
        [requirement] = quote["requiredApprovals"]
        asked[market] = (requirement["role"], requirement["reason"])
    assert asked == {
        "DET": (
            "sales_director",
            "discount 17% on item 1 > 15% (market policy DET-DISCOUNT-2026, Detroit: discounts above 15% go to a"
            " sales director while Detroit's price book is under review) → sales_director",
        ),
        "CHI": ("sales_manager", "discount 17% on item 1 > 10% → sales_manager"),
    }
    queues = {
        person: {request["orderId"] for request in (await pricing.get("/pricing/approvals", headers=token)).json()}
        for person, token in (("director", director), ("manager", manager))
    }
    assert orders["DET"] in queues["director"] and orders["DET"] not in queues["manager"]
    assert orders["CHI"] in queues["manager"] and orders["CHI"] not in queues["director"]
