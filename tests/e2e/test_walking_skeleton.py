"""An order crosses every service through the public API, as one trace."""

import asyncio
import copy
import secrets

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from orderdesk_stack.tracing import JaegerQuery, Span
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

SERVICE_VIEWS = {
    "serviceability": "/serviceability/orders/{}",
    "pricing-approval": "/pricing/orders/{}",
    "fulfillment-handoff": "/fulfillment/orders/{}",
    "commission": "/commission/orders/{}",
}


def _order_body(*, valid: bool = True) -> dict:
    [order] = generate_orders(1, seed=secrets.randbelow(10_000), invalid_share=0.0 if valid else 1.0)
    return order.body


async def _wait_for_stage(intake: httpx.AsyncClient, order_id: str, headers: dict, stage: str) -> dict:
    async def order() -> dict:
        return (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=headers)).json()

    return await eventually(order, lambda seen: seen["stage"] == stage, what=f"{order_id} reaching {stage}")


async def test_an_order_flows_from_intake_to_ratification_as_one_trace(stack, intake, jaeger):
    [generated] = generate_orders(1, seed=secrets.randbelow(10_000), invalid_share=0.0)
    # The rep who sold it: commission shows a rep only the orders they sold.
    rep = bearer(stack, generated.submitted_by, Role.SALES_REP)
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"

    created = await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep | {"traceparent": traceparent})
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert created.headers["Location"].endswith(order_id)

    order = await _wait_for_stage(intake, order_id, rep, "ratified")
    assert (order["stage"], order["state"]) == ("ratified", "inProgress")

    for service, path in SERVICE_VIEWS.items():
        async with httpx.AsyncClient(base_url=stack.service_url(service)) as client:
            view = await client.get(path.format(order_id), headers=rep)
        assert view.status_code == 200, f"{service}: {view.text}"
        assert view.json()["orderId"] == order_id

    spans = await jaeger.wait_for_spans(
        trace_id, lambda spans: {span["service"] for span in spans} >= {"intake", *SERVICE_VIEWS}
    )
    names = {(span["service"], span["name"]) for span in spans}
    assert ("commission", "orders.handed-off process") in names
    assert ("fulfillment-handoff", "orders.handed-off publish") in names
    assert any(service == "intake" and name.startswith("POST") for service, name in names), "no HTTP server span"
    # Commission ratifies a poll's hand-offs together, in a batch span linked to the order's trace.
    process = next(span for span in spans if (span["service"], span["name"]) == ("commission", ORDER_HANDED_OFF))
    await eventually(lambda: _batch_linked_to(jaeger, process, RATIFY_BATCH), lambda spans: bool(spans))


ORDER_HANDED_OFF = "orders.handed-off process"
RATIFY_BATCH = "ratify_hand_offs before commit"


async def _batch_linked_to(jaeger: JaegerQuery, span: Span, operation: str) -> list[Span]:
    """The spans of the trace of the service's batch work `operation` that links to `span` ([] until there is one)."""
    async with httpx.AsyncClient(base_url=jaeger.base_url) as client:
        response = await client.get(
            "/api/traces", params={"service": span["service"], "operation": operation, "limit": "100"}
        )
    response.raise_for_status()
    for found in response.json()["data"] or ():
        batch = await jaeger.trace(found["traceID"].rjust(32, "0"))
        if any(link["span_id"] == span["span_id"] for root in batch for link in root["links"]):
            return batch
    return []


async def test_an_order_whose_splits_do_not_add_up_is_rejected_with_a_finding(stack, intake):
    rep = bearer(stack, "rep-002", Role.SALES_REP)
    created = await intake.post(PRODUCT_ORDER_PATH, json=_order_body(valid=False), headers=rep)
    assert created.status_code == 201
    order = created.json()
    assert order["state"] == "rejected"
    assert order["stage"] == "received"
    [finding] = order["findings"]
    assert finding["reasonCode"] == "INVALID_VALUE"
    assert finding["fieldPath"] == "salesReps"
    assert "100" in finding["fix"]


async def test_bad_input_is_a_problem_with_field_paths_and_nothing_is_created(stack, intake):
    rep = bearer(stack, "rep-003", Role.SALES_REP)
    body = _order_body() | {"externalId": f"OPP-BAD-{secrets.token_hex(4)}"}  # no other test's order has it
    body["productOrderItem"][0].pop("id")
    body["requestedCompletionDate"] = "soon"
    response = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert (response.json()["@type"], response.json()["code"], response.json()["status"]) == ("Error", "400", "400")
    fields = {problem["field"] for problem in response.json()["invalid_params"]}
    assert fields == {"requestedCompletionDate", "productOrderItem.0.id"}
    listed = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": body["externalId"]}, headers=rep)
    assert listed.json() == []


async def test_a_repeated_idempotency_key_returns_the_first_order(stack, intake):
    rep = bearer(stack, "rep-004", Role.SALES_REP) | {"Idempotency-Key": secrets.token_hex(8)}
    body = _order_body()
    first = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=rep)
    again = await intake.post(PRODUCT_ORDER_PATH, json=copy.deepcopy(body), headers=rep)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


async def test_parallel_submissions_with_one_idempotency_key_make_one_order(stack, intake):
    rep = bearer(stack, "rep-004", Role.SALES_REP) | {"Idempotency-Key": secrets.token_hex(8)}
    body = _order_body()
    answers = await asyncio.gather(
        *(intake.post(PRODUCT_ORDER_PATH, json=copy.deepcopy(body), headers=rep) for _ in range(5))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 200, 201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    listed = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": body["externalId"]}, headers=rep)
    assert len(listed.json()) == 1


async def test_only_sales_roles_may_submit_and_everyone_must_sign_in(stack, intake):
    body = _order_body()
    assert (await intake.post(PRODUCT_ORDER_PATH, json=body)).status_code == 401
    forbidden = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=bearer(stack, "ops-1", Role.OPERATIONS))
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/json"


async def test_every_service_reports_ready_and_exposes_metrics(stack):
    for service in ("intake", *SERVICE_VIEWS):
        async with httpx.AsyncClient(base_url=stack.service_url(service)) as client:
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics/")
        assert ready.status_code == 200, f"{service}: {ready.text}"
        assert set(ready.json()["checks"]) == {"database", "kafka", "relay", "consumer"}
        assert "orderdesk_events_handled_total" in metrics.text
