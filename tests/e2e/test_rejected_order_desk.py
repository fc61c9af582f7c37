"""The rejected-order desk through the public API: find, correct, resubmit, cancel."""

from collections import Counter

import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

API = PRODUCT_ORDER_PATH.rsplit("/", 1)[0]
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def _body(*, valid: bool, seed: int) -> dict:
    [order] = generate_orders(1, seed=seed, invalid_share=0.0 if valid else 1.0)
    return order.body


async def _stage(intake, order_id: str, headers: dict, wanted: str) -> dict:
    async def order() -> dict:
        return (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=headers)).json()

    return await eventually(order, lambda seen: seen["stage"] == wanted, what=f"{order_id} reaching {wanted}")


async def test_a_specialist_corrects_a_rejected_order_and_it_flows_on_under_the_same_id(stack, intake):
    rep, specialist = bearer(stack, "rep-001", Role.SALES_REP), bearer(stack, "dana", Role.SPECIALIST)
    body = _body(valid=False, seed=301)
    rejected = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)).json()
    assert rejected["state"] == "rejected"

    queue = (
        await intake.get(PRODUCT_ORDER_PATH, params={"state": "rejected,pending", "limit": 500}, headers=specialist)
    ).json()
    assert rejected["id"] in {order["id"] for order in queue}

    reps = [party for party in body["relatedParty"] if party["role"] == "salesRep"]
    fixed_parties = [party for party in body["relatedParty"] if party["role"] != "salesRep"] + [
        {**reps[0], "splitPercent": 100}
    ]
    corrected = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{rejected['id']}", json={"relatedParty": fixed_parties}, headers=specialist | MERGE_PATCH
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["id"], corrected.json()["state"], corrected.json()["findings"]) == (
        rejected["id"],
        "inProgress",
        [],
    )

    await _stage(intake, rejected["id"], specialist, "ratified")
    history = (await intake.get(f"{PRODUCT_ORDER_PATH}/{rejected['id']}/history", headers=specialist)).json()
    assert [(entry["version"], entry["action"], entry["actor"]) for entry in history] == [
        (1, "submitted", "rep-001"),
        (2, "corrected", "dana"),
    ]
    assert history[0]["findings"][0]["reasonCode"] == "INVALID_VALUE"

    again = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{rejected['id']}", json={"externalId": "X"}, headers=specialist | MERGE_PATCH
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/json"


async def test_a_correction_that_breaks_the_order_is_a_problem_with_field_paths(stack, intake):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    rejected = (await intake.post(PRODUCT_ORDER_PATH, json=_body(valid=False, seed=302), headers=rep)).json()
    response = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{rejected['id']}", json={"requestedCompletionDate": "soon"}, headers=rep | MERGE_PATCH
    )
    assert response.status_code == 400
    assert [problem["field"] for problem in response.json()["invalid_params"]] == ["requestedCompletionDate"]
    unchanged = (await intake.get(f"{PRODUCT_ORDER_PATH}/{rejected['id']}", headers=rep)).json()
    assert unchanged["state"] == "rejected"
    assert unchanged["requestedCompletionDate"] == rejected["requestedCompletionDate"]


async def test_a_correction_naming_an_order_type_orderdesk_does_not_know_is_a_finding_on_the_next_version(
    stack, intake
):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    rejected = (await intake.post(PRODUCT_ORDER_PATH, json=_body(valid=False, seed=305), headers=rep)).json()
    # orderType is OrderDesk's extension: the spec allows any value there, so it is no reason to refuse the request.
    response = await intake.patch(
        f"{PRODUCT_ORDER_PATH}/{rejected['id']}",
        json={"orderType": "upgrade"},
        headers=rep | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["state"] == "rejected"
    assert ("INVALID_VALUE", "orderType") in {(f["reasonCode"], f["fieldPath"]) for f in corrected["findings"]}
    assert corrected["orderType"] != "upgrade"  # taken from the items


async def test_an_order_is_cancelled_once_and_the_cancellation_is_in_its_history(stack, intake):
    rep = bearer(stack, "rep-003", Role.SALES_REP)
    pending = (await intake.post(PRODUCT_ORDER_PATH, json=_body(valid=False, seed=303), headers=rep)).json()
    request = {"productOrder": {"id": pending["id"]}, "cancellationReason": "customer chose another provider"}

    cancelled = await intake.post(f"{API}/cancelProductOrder", json=request, headers=rep)
    assert cancelled.status_code == 201, cancelled.text
    assert cancelled.json()["state"] == "done"
    assert (await intake.get(f"{PRODUCT_ORDER_PATH}/{pending['id']}", headers=rep)).json()["state"] == "cancelled"
    assert (await intake.post(f"{API}/cancelProductOrder", json=request, headers=rep)).status_code == 409
    history = (await intake.get(f"{PRODUCT_ORDER_PATH}/{pending['id']}/history", headers=rep)).json()
    assert [entry["action"] for entry in history] == ["submitted", "cancelled"]


async def test_the_desk_sees_which_findings_each_rep_makes_most(stack, intake):
    rep = bearer(stack, "rep-004", Role.SALES_REP)
    path, since = "/intake/coaching/findings", {"since": "2000-01-01T00:00:00Z"}
    bodies = [_body(valid=False, seed=seed) for seed in (304, 305)]
    named = Counter(party["id"] for body in bodies for party in body["relatedParty"] if party["role"] == "salesRep")

    async def invalid_values() -> Counter:
        counts = (await intake.get(path, params=since, headers=bearer(stack, "dana", Role.SPECIALIST))).json()
        made = Counter()
        for row in counts:
            if row["reasonCode"] == "INVALID_VALUE":
                made[row["rep"]] += row["count"]  # on every channel
        return made

    made_before = await invalid_values()  # other tests on the shared stack name these reps too
    for body in bodies:
        await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)

    # Each rep named on an order is coached on it, whoever keyed it in.
    made = await invalid_values()
    assert {rep_id: made[rep_id] - made_before[rep_id] for rep_id in named} == dict(named)
    assert (await intake.get(path, params=since, headers=rep)).status_code == 403
