"""Restart the Kafka broker while orders flow: producers, relays and consumers reconnect, nothing is lost."""

import asyncio

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, OrderSubmitter
from orderdesk_stack.services import SERVICES
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

ORDERS = 40


async def test_orders_submitted_around_a_broker_restart_are_all_ratified(stack):
    batch = generate_orders(ORDERS, seed=4242, invalid_share=0.0)
    async with OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter:
        before = await asyncio.gather(*(submitter.submit(order) for order in batch[: ORDERS // 2]))
        await asyncio.to_thread(stack.restart, "kafka")
        after = await asyncio.gather(*(submitter.submit(order) for order in batch[ORDERS // 2 :]))

    headers = bearer(stack, "sre-1", Role.SRE)
    async with httpx.AsyncClient(base_url=stack.service_url("intake"), headers=headers) as intake:

        async def not_ratified() -> list[tuple]:
            orders = [(await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}")).json() for order_id in before + after]
            return [(o["id"], o["stage"], o["state"], o["findings"]) for o in orders if o["stage"] != "ratified"]

        await eventually(
            not_ratified, lambda behind: not behind, what=f"all {ORDERS} orders ratified", timeout=120, pause=1
        )

    for service in SERVICES:
        async with httpx.AsyncClient(base_url=stack.service_url(service.name)) as client:
            assert (await client.get("/readyz")).status_code == 200, f"{service.name} is not ready again"
