"""Steps the order journeys share, through the public APIs: the gigabit Internet orders they submit (the near-net
building's too), an order read, waited for, handed off or waiting for the sales director, and Operations' reports
on it."""

import copy
from decimal import Decimal

import httpx

from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually

# Dedicated Internet at 1 Gbps on a 36-month term lists at $1,665.00 a month (catalogue v1).
LIST_MRC = Decimal("1665.00")


# A building near-net in the seed inventory, 950 ft from our fiber: an order there waits for a site survey.
NEAR_NET_BUILDING = {
    "streetNr": "2900",
    "streetName": "East 106th Street, Building 2",
    "city": "Chicago",
    "stateOrProvince": "IL",
    "postcode": "60617",
}

# A building in Detroit (market DET), whose market policies move discount thresholds and require a VoIP clause.
RENAISSANCE_CENTER_DETROIT = {
    "streetNr": "100",
    "streetName": "Renaissance Ctr",
    "city": "Detroit",
    "stateOrProvince": "MI",
    "postcode": "48243",
}


def gigabit_internet_item(place: list[dict], *, mrc: float, nrc: float | None = None) -> dict:
    """Order item 1: 1 Gbps Dedicated Internet for 36 months at `place`, at `mrc` a month (and `nrc` once)."""
    prices = [{"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": mrc}}}]
    if nrc is not None:
        prices.append({"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": nrc}}})
    return {
        "id": "1",
        "action": "add",
        "productOffering": {"id": "DIA-FIBER"},
        "itemTerm": [{"duration": {"amount": 36, "units": "month"}}],
        "product": {"productCharacteristic": [{"name": "bandwidth_mbps", "value": 1000}], "place": place},
        "itemPrice": prices,
    }


def gigabit_internet_order(*, discount_percent: int, seed: int) -> dict:
    """A generated new-logo order whose one item is 1 Gbps Internet at `discount_percent` off list."""
    body = next(
        order.body for order in generate_orders(40, seed=seed, invalid_share=0.0) if order.body["orderType"] == "new"
    )
    [item, *_] = body["productOrderItem"]
    net_mrc = LIST_MRC * (100 - discount_percent) / 100
    place = copy.deepcopy(item["product"]["place"])
    body["productOrderItem"] = [gigabit_internet_item(place, mrc=float(net_mrc), nrc=1500)]
    return body


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
        PRODUCT_ORDER_PATH, json=gigabit_internet_order(discount_percent=5, seed=seed), headers=people["rep"]
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    return order_id


async def waiting_for_the_director(intake, pricing, people, *, seed: int) -> tuple[str, dict]:
    body = gigabit_internet_order(discount_percent=25, seed=seed)
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])).json()["id"]
    await until_state(intake, order_id, people["rep"], "pending", stage="priced")
    queue = (await pricing.get("/pricing/approvals", headers=people["director"])).json()
    [request] = [request for request in queue if request["orderId"] == order_id]
    return order_id, request
