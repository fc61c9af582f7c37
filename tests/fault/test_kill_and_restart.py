"""SIGKILL services while orders flow: after a restart every order is ratified, each effect once."""

import asyncio
from collections import Counter

import pytest

from orderdesk_shared.events.order import Stage
from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter, PipelineWatcher
from orderdesk_stack.testing import eventually

pytestmark = pytest.mark.e2e

ORDERS = 80
KILLED = ("serviceability", "pricing-approval", "commission")


async def test_killed_services_lose_no_order_and_duplicate_no_effect(stack):
    batch = generate_orders(ORDERS, seed=2026, invalid_share=0.0)
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter,
    ):
        submitting = asyncio.gather(*(submitter.submit(order, watcher) for order in batch))

        async def received() -> int:
            return watcher.count_reached(Stage.RECEIVED)

        await eventually(
            received, lambda count: count >= ORDERS // 4, what=f"{ORDERS // 4} orders received", pause=0.05
        )
        for service in KILLED:
            await asyncio.to_thread(stack.kill, service)
        await asyncio.sleep(2)
        for service in KILLED:
            await asyncio.to_thread(stack.restart, service)
        order_ids = await submitting

        async def done() -> int:
            return sum(watcher.journeys[order_id].done for order_id in order_ids)

        await eventually(
            done,
            lambda count: count == len(order_ids),
            what=f"all {ORDERS} orders done after the restart",
            timeout=120,
            pause=0.2,
        )

    assert all(Stage.RATIFIED in watcher.journeys[order_id].reached for order_id in order_ids)
    # The checker waits for every service (intake too) to catch up, then counts each effect by order and version.
    report = await check_invariants(stack, order_ids=order_ids, drain_timeout=120)
    assert report.ok, report.problems()
    assert Counter(account.state for account in report.accounts.values()) == {"inProgress": ORDERS}
    assert all("handed off to Operations (version 1)" in account.reason for account in report.accounts.values())
