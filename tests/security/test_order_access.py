"""Per-order access and four eyes on the live stack (issue #15), as an attacker holding a valid token would try them:
another rep's order, the listed reps, a reused Idempotency-Key, approving an order one corrected or submitted,
deciding a dispute on one's own commission or on an order one corrected. Each is refused with a clear 4xx and
changes nothing."""

import copy
import secrets
from datetime import date, timedelta

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer
from tests.e2e.order_journeys import gigabit_internet_order, until_state

pytestmark = pytest.mark.e2e

CANCEL_PATH = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
# Reps of the seed roster, so that the orders are valid and earn commission.
NAMED_REP, OTHER_ROSTER_REP = "rep-020", "rep-021"


@pytest.fixture
async def services(stack):
    clients = {
        service.name: httpx.AsyncClient(base_url=stack.service_url(service.name), timeout=30.0)
        for service in stack.services
    }
    yield clients
    for client in clients.values():
        await client.aclose()


def _order(*, discount_percent: int, reps: list[tuple[str, int]], seed: int) -> dict:
    """A 1 Gbps Internet order at `discount_percent` off (over 20% waits for a sales director), naming `reps`."""
    body = gigabit_internet_order(discount_percent=discount_percent, seed=seed)
    body["externalId"] = f"SEC-{secrets.token_hex(6).upper()}"
    parties = [party for party in body["relatedParty"] if party["role"] != "salesRep"]
    body["relatedParty"] = parties + [{"role": "salesRep", "id": rep, "splitPercent": split} for rep, split in reps]
    return body


async def _submitted(services, headers: dict, body: dict) -> str:
    created = await services["intake"].post(PRODUCT_ORDER_PATH, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def _waiting_for_a_director(services, headers: dict, body: dict) -> str:
    order_id = await _submitted(services, headers, body)
    await until_state(services["intake"], order_id, headers, "pending", stage="priced")
    return order_id


def _refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    tmf_route = response.request.url.path.startswith("/tmf-api/")
    assert response.headers["content-type"] == ("application/json" if tmf_route else "application/problem+json")
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail


async def _pending_request(services, director: dict, order_id: str, *, version: int) -> dict:
    """The approval request asked of a sales director for this version of the order."""
    queue = await eventually(
        lambda: _queue(services, director),
        lambda waiting: any(r["orderId"] == order_id and r["orderVersion"] == version for r in waiting),
    )
    [request] = [r for r in queue if r["orderId"] == order_id and r["orderVersion"] == version]
    return request


async def _queue(services, headers: dict) -> list[dict]:
    return (await services["pricing-approval"].get("/pricing/approvals", headers=headers)).json()


async def test_another_rep_neither_sees_nor_changes_an_order_and_a_named_rep_sees_it(stack, services):
    owner = bearer(stack, "rep-sec-owner", Role.SALES_REP)
    intruder = bearer(stack, "rep-sec-intruder", Role.SALES_REP)
    body = _order(discount_percent=25, reps=[(NAMED_REP, 100)], seed=151)
    order_id = await _waiting_for_a_director(services, owner, body)
    intake, pricing = services["intake"], services["pricing-approval"]
    before = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=owner)).json()
    await eventually(
        lambda: services["console"].get(f"/console/orders/{order_id}", headers=owner), lambda r: r.status_code == 200
    )

    hidden = [
        await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=intruder),
        await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}/history", headers=intruder),
        await intake.patch(
            f"{PRODUCT_ORDER_PATH}/{order_id}",
            json={"relatedParty": [{"role": "salesRep", "id": "rep-sec-intruder", "splitPercent": 100}]},
            headers=intruder | {"Content-Type": "application/merge-patch+json"},
        ),
        await pricing.get(f"/pricing/orders/{order_id}", headers=intruder),
        await pricing.get(f"/pricing/orders/{order_id}/decisions", headers=intruder),
        await pricing.get(f"/pricing/orders/{order_id}/proposal", headers=intruder),
        await pricing.get(f"/pricing/orders/{order_id}/proposal.pdf", headers=intruder),
        await pricing.post(f"/pricing/orders/{order_id}/proposal/send", json={}, headers=intruder),
        await services["serviceability"].get(f"/serviceability/orders/{order_id}", headers=intruder),
        await services["console"].get(f"/console/orders/{order_id}", headers=intruder),
    ]
    for response in hidden:
        _refused(response, 404, order_id)
    not_mine = {"productOrder": {"id": order_id}, "cancellationReason": "not mine to cancel"}
    cancel = await intake.post(CANCEL_PATH, json=not_mine, headers=intruder)
    # The order a cancellation names is its input: refused as invalid (400, as TMF622 documents), as an unknown one is.
    assert cancel.status_code == 400, cancel.text
    assert cancel.json()["invalid_params"] == [{"field": "productOrder.id", "reason": f"no product order {order_id}"}]
    listed = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": body["externalId"]}, headers=intruder)
    assert (listed.json(), listed.headers["X-Total-Count"]) == ([], "0")
    searched = await services["console"].get("/console/orders", params={"q": order_id}, headers=intruder)
    assert searched.json() == []

    after = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=owner)).json()
    assert (after["state"], after["stage"], after["relatedParty"]) == (
        before["state"],
        "priced",
        before["relatedParty"],
    )
    assert (await intake.get(CANCEL_PATH, params={"productOrder.id": order_id}, headers=owner)).json() == []
    proposal = (await pricing.get(f"/pricing/orders/{order_id}/proposal", headers=owner)).json()
    assert proposal["sentAt"] is None

    named = bearer(stack, NAMED_REP, Role.SALES_REP)
    assert (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=named)).status_code == 200
    assert (await pricing.get(f"/pricing/orders/{order_id}", headers=named)).status_code == 200
    mine = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": body["externalId"]}, headers=named)
    assert [order["id"] for order in mine.json()] == [order_id]


async def test_only_a_specialist_changes_the_listed_reps(stack, services):
    owner = bearer(stack, NAMED_REP, Role.SALES_REP)
    body = _order(discount_percent=25, reps=[(NAMED_REP, 50), (OTHER_ROSTER_REP, 50)], seed=152)
    order_id = await _waiting_for_a_director(services, owner, body)
    intake = services["intake"]
    patch_headers = {"Content-Type": "application/merge-patch+json"}
    others = [party for party in body["relatedParty"] if party["role"] != "salesRep"]
    all_mine = {"relatedParty": [*others, {"role": "salesRep", "id": NAMED_REP, "splitPercent": 100}]}

    refused = await intake.patch(f"{PRODUCT_ORDER_PATH}/{order_id}", json=all_mine, headers=owner | patch_headers)
    _refused(refused, 403, "only a specialist", order_id)
    unchanged = (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}/history", headers=owner)).json()
    assert [version["action"] for version in unchanged] == ["submitted"]

    specialist = bearer(stack, "sky-specialist", Role.SPECIALIST)
    corrected = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}", json=all_mine, headers=specialist | patch_headers
    )
    assert corrected.status_code == 200, corrected.text
    reps = [(p["id"], p["splitPercent"]) for p in corrected.json()["relatedParty"] if p["role"] == "salesRep"]
    assert reps == [(NAMED_REP, 100)]


async def test_one_idempotency_key_from_two_reps_makes_each_their_own_order(stack, services):
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first_rep, second_rep = (bearer(stack, f"rep-sec-key-{n}", Role.SALES_REP) | key for n in (1, 2))
    first_body = _order(discount_percent=5, reps=[(NAMED_REP, 100)], seed=153)
    second_body = _order(discount_percent=5, reps=[(OTHER_ROSTER_REP, 100)], seed=154)
    intake = services["intake"]

    first = await intake.post(PRODUCT_ORDER_PATH, json=first_body, headers=first_rep)
    second = await intake.post(PRODUCT_ORDER_PATH, json=second_body, headers=second_rep)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["externalId"] == second_body["externalId"]

    again = await intake.post(PRODUCT_ORDER_PATH, json=copy.deepcopy(second_body), headers=second_rep)
    assert (again.status_code, again.json()["id"]) == (200, second.json()["id"])
    listed = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": first_body["externalId"]}, headers=second_rep)
    assert listed.json() == []


async def test_whoever_corrected_an_order_may_not_approve_it_and_another_approver_may(stack, services):
    owner = bearer(stack, "rep-sec-corrected", Role.SALES_REP)
    order_id = await _waiting_for_a_director(
        services, owner, _order(discount_percent=25, reps=[(NAMED_REP, 100)], seed=155)
    )
    intake, pricing = services["intake"], services["pricing-approval"]
    patch = {"requestedCompletionDate": str(date.today() + timedelta(days=90))}
    patch_headers = {"Content-Type": "application/merge-patch+json"}

    rep_and_director = bearer(stack, "pat-both", Role.SALES_REP, Role.SALES_DIRECTOR)
    not_theirs = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}", json=patch, headers=rep_and_director | patch_headers
    )
    _refused(not_theirs, 403, "may not change", order_id)

    specialist_and_director = bearer(stack, "sam-desk-and-director", Role.SPECIALIST, Role.SALES_DIRECTOR)
    corrected = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}", json=patch, headers=specialist_and_director | patch_headers
    )
    assert corrected.status_code == 200, corrected.text
    director = bearer(stack, "dex-director", Role.SALES_DIRECTOR)
    request = await _pending_request(services, director, order_id, version=2)

    refused = await pricing.post(
        f"/pricing/approvals/{request['id']}/approve", json={}, headers=specialist_and_director
    )
    _refused(refused, 403, "sam-desk-and-director corrected order", "another person must decide")
    still = (await pricing.get(f"/pricing/approvals/{request['id']}", headers=specialist_and_director)).json()
    assert (still["status"], still["decidedBy"]) == ("pending", None)
    denied = await pricing.post(
        f"/pricing/approvals/{request['id']}/deny", json={"comment": "mine to deny"}, headers=specialist_and_director
    )
    _refused(denied, 403, "corrected order")

    granted = await pricing.post(f"/pricing/approvals/{request['id']}/approve", json={}, headers=director)
    assert granted.status_code == 200, granted.text
    await until_state(intake, order_id, owner, "inProgress", stage="ratified")


async def test_the_submitter_may_not_approve_their_own_order(stack, services):
    submitter = bearer(stack, "rep-sec-self", Role.SALES_REP, Role.SALES_DIRECTOR)
    order_id = await _waiting_for_a_director(
        services, submitter, _order(discount_percent=25, reps=[(NAMED_REP, 100)], seed=156)
    )
    request = await _pending_request(services, bearer(stack, "dex-director", Role.SALES_DIRECTOR), order_id, version=1)
    refused = await services["pricing-approval"].post(
        f"/pricing/approvals/{request['id']}/approve", json={}, headers=submitter
    )
    _refused(refused, 403, "rep-sec-self submitted order", order_id)
    still = (await services["pricing-approval"].get(f"/pricing/orders/{order_id}", headers=submitter)).json()
    assert (still["status"], [a["status"] for a in still["approvals"]]) == ("pending-approval", ["pending"])


async def test_an_analyst_named_on_the_commission_may_not_decide_its_dispute(stack, services):
    seller = bearer(stack, "rep-sec-seller", Role.SALES_REP)
    order_id = await _submitted(services, seller, _order(discount_percent=5, reps=[(NAMED_REP, 100)], seed=157))
    commission = services["commission"]
    rep_and_analyst = bearer(stack, NAMED_REP, Role.SALES_REP, Role.COMMISSION_ANALYST)
    await eventually(
        lambda: commission.get(f"/commission/orders/{order_id}", headers=rep_and_analyst),
        lambda answer: answer.status_code == 200,
    )
    rep = bearer(stack, NAMED_REP, Role.SALES_REP)
    opened = await commission.post(
        f"/commission/orders/{order_id}/disputes", json={"claim": "the split should be higher"}, headers=rep
    )
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["disputeId"]
    decision = {"decision": "approve", "reason": "looks right to me", "adjustment": "500.00"}

    refused = await commission.post(
        f"/commission/disputes/{dispute_id}/decision", json=decision, headers=rep_and_analyst
    )
    _refused(refused, 403, f"{NAMED_REP} is named on order {order_id}", "another person must decide")
    still = (await commission.get(f"/commission/disputes/{dispute_id}", headers=rep_and_analyst)).json()
    assert (still["state"], still["decidedBy"], still["adjustment"]) == ("open", None, None)

    other_analyst = bearer(stack, "ann-analyst", Role.COMMISSION_ANALYST)
    rejected = await commission.post(
        f"/commission/disputes/{dispute_id}/decision",
        json={"decision": "reject", "reason": "the split is as signed"},
        headers=other_analyst,
    )
    assert (rejected.status_code, rejected.json()["decidedBy"]) == (200, "ann-analyst")


async def test_an_analyst_who_corrected_the_order_may_not_decide_its_dispute(stack, services):
    owner = bearer(stack, "rep-sec-disputed", Role.SALES_REP)
    order_id = await _waiting_for_a_director(
        services, owner, _order(discount_percent=25, reps=[(NAMED_REP, 100)], seed=158)
    )
    desk_and_analyst = bearer(stack, "cal-desk-and-analyst", Role.SPECIALIST, Role.COMMISSION_ANALYST)
    corrected = await services["intake"].patch(
        f"{PRODUCT_ORDER_PATH}/{order_id}",
        json={"requestedCompletionDate": str(date.today() + timedelta(days=90))},
        headers=desk_and_analyst | {"Content-Type": "application/merge-patch+json"},
    )
    assert corrected.status_code == 200, corrected.text
    director = bearer(stack, "dex-director", Role.SALES_DIRECTOR)
    request = await _pending_request(services, director, order_id, version=2)
    approved = await services["pricing-approval"].post(
        f"/pricing/approvals/{request['id']}/approve", json={}, headers=director
    )
    assert approved.status_code == 200, approved.text
    await until_state(services["intake"], order_id, owner, "inProgress", stage="ratified")

    commission = services["commission"]
    rep = bearer(stack, NAMED_REP, Role.SALES_REP)
    opened = await commission.post(
        f"/commission/orders/{order_id}/disputes", json={"claim": "the split should be higher"}, headers=rep
    )
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["disputeId"]
    refused = await commission.post(
        f"/commission/disputes/{dispute_id}/decision",
        json={"decision": "approve", "reason": "I fixed it myself", "adjustment": "500.00"},
        headers=desk_and_analyst,
    )
    _refused(refused, 403, f"cal-desk-and-analyst corrected order {order_id}", "another person must decide")
    still = (await commission.get(f"/commission/disputes/{dispute_id}", headers=desk_and_analyst)).json()
    assert (still["state"], still["decidedBy"], still["adjustment"]) == ("open", None, None)
