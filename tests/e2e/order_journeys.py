"""Steps the order journeys share, through the public APIs: an order read, waited for, handed off or
waiting for the sales director, and Operations' reports on it."""

import httpx

from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.e2e.test_pricing_approval import _gigabit_internet_order


async def order_of(intake, order_id: str, headers: dict) -> dict:
    return (await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=headers)).json()


async def until_state(intake, order_id: str, headers: dict, state: str, *, stage: str | None = None) -> dict:
    return await eventually(
        lambda: order_of(intake, order_id, headers),
        lambda order: order["state"] == state and stage in (None, order["stage"]),
        what=f"{order_id} to be {state}" + (f" at {stage}" if stage else ""),
    )


async def console_state(console, order_id: str, headers: dict) -> str | None:
    response = await console.get(f"/console/orders/{order_id}", headers=headers)
    return response.json()["state"] if response.status_code == 200 else None


async def operations_report(fulfillment, order_id: str, headers: dict, status: str, **details) -> httpx.Response:
    return await fulfillment.post(
        f"/fulfillment/orders/{order_id}/operations-reports", json={"status": status, **details}, headers=headers
    )


async def handed_off_order(intake, people, *, seed: int) -> str:
    created = await intake.post(
        PRODUCT_ORDER_PATH, json=_gigabit_internet_order(discount_percent=5, seed=seed), headers=people["rep"]
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    return order_id


async def waiting_for_the_director(intake, pricing, people, *, seed: int) -> tuple[str, dict]:
    body = _gigabit_internet_order(discount_percent=25, seed=seed)
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])).json()["id"]
    await until_state(intake, order_id, people["rep"], "pending", stage="priced")
    queue = (await pricing.get("/pricing/approvals", headers=people["director"])).json()
    [request] = [request for request in queue if request["orderId"] == order_id]
    return order_id, request
