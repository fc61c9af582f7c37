"""SIGKILL services while orders flow: after a restart every order is ratified, each effect once."""

import asyncio

import asyncpg
import pytest

from orderdesk_shared.events.order import Stage
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter, PipelineWatcher
from orderdesk_stack.provision import asyncpg_dsn

pytestmark = pytest.mark.e2e

ORDERS = 80
KILLED = ("serviceability", "pricing-approval", "commission")


async def test_killed_services_lose_no_order_and_duplicate_no_effect(stack):
    batch = generate_orders(ORDERS, seed=2026, invalid_share=0.0)
    async with (
        PipelineWatcher(stack.kafka_bootstrap) as watcher,
        OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter,
    ):
        submitting = asyncio.gather(*(submitter.submit(order, watcher) for order in batch))
        while watcher.count_reached(Stage.RECEIVED) < ORDERS // 4:
            await asyncio.sleep(0.05)
        for service in KILLED:
            await asyncio.to_thread(stack.kill, service)
        await asyncio.sleep(2)
        for service in KILLED:
            await asyncio.to_thread(stack.restart, service)
        order_ids = await submitting
        deadline = asyncio.get_running_loop().time() + 120
        while not watcher.settled(order_ids):
            assert asyncio.get_running_loop().time() < deadline, (
                f"{sum(watcher.journeys[o].done for o in order_ids)} of {ORDERS} orders ratified after the restart"
            )
            await asyncio.sleep(0.2)

    assert all(Stage.RATIFIED in watcher.journeys[order_id].reached for order_id in order_ids)
    connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    try:
        for table in (
            "serviceability.qualifications",
            "pricing_approval.quotes",
            "fulfillment.handoffs",
            "commission.ratifications",
        ):
            rows = await connection.fetch(
                f"SELECT order_id, count(*) AS n FROM {table} WHERE order_id = ANY($1::text[]) GROUP BY order_id",
                order_ids,
            )
            assert len(rows) == ORDERS, f"{table}: {len(rows)} of {ORDERS} orders have an effect"
            assert all(row["n"] == 1 for row in rows), f"{table}: an order has its effect twice"
        # Intake learns of each ratification from the topic too, a moment later than the watcher.
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            stages = await connection.fetch(
                "SELECT stage, count(*) FROM intake.orders WHERE id = ANY($1::text[]) GROUP BY stage", order_ids
            )
            if [(row["stage"], row["count"]) for row in stages] == [("ratified", ORDERS)]:
                break
            assert asyncio.get_running_loop().time() < deadline, f"intake's stages: {[tuple(row) for row in stages]}"
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
