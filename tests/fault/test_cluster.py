"""Infrastructure faults on a three-broker cluster while orders flow: a broker killed or hung, Postgres crashed or
out of disk, instances of a service added and removed. Every order is still ratified and every service is ready."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack import faults
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, OrderSubmitter
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

ORDERS = 30


async def orders_ratified_around(
    stack: Stack, fault: Callable[[], Awaitable[object]], *, seed: int, submit_during_fault: bool = True
) -> object:
    """Submit a first half of the orders, inject the fault while they flow, the second half during it (or, when
    intake's own database is the fault, after it); every order ends ratified and every service ready again.
    Return what the fault returned."""
    batch = generate_orders(ORDERS, seed=seed, invalid_share=0.0)
    first, second = batch[: ORDERS // 2], batch[ORDERS // 2 :]
    async with OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter:
        order_ids = list(await asyncio.gather(*(submitter.submit(order) for order in first)))
        faulting = asyncio.create_task(fault())
        if submit_during_fault:
            order_ids += await asyncio.gather(*(submitter.submit(order) for order in second))
        outcome = await faulting
        if not submit_during_fault:
            order_ids += await asyncio.gather(*(submitter.submit(order) for order in second))

    await every_order_ratified(stack, order_ids)
    for service in SERVICES:
        async with httpx.AsyncClient(base_url=stack.service_url(service.name)) as client:
            assert (await client.get("/readyz")).status_code == 200, f"{service.name} is not ready again"
    return outcome


async def every_order_ratified(stack: Stack, order_ids: list[str], *, timeout: float = 120.0) -> None:
    headers = bearer(stack, "sre-1", Role.SRE)
    async with httpx.AsyncClient(base_url=stack.service_url("intake"), headers=headers) as intake:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            orders = [(await intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}")).json() for order_id in order_ids]
            behind = [(o["id"], o["stage"], o["state"], o["findings"]) for o in orders if o["stage"] != "ratified"]
            if not behind:
                return
            assert asyncio.get_running_loop().time() < deadline, (
                f"{len(behind)} of {len(order_ids)} not ratified: {behind}"
            )
            await asyncio.sleep(1)


def program_state(stack: Stack, program: str) -> str:
    return next(status.state for status in stack.status() if status.name == program)


async def test_the_cluster_replicates_every_topic_three_times_with_two_in_sync(cluster_stack):
    assert cluster_stack.kafka_programs == ["kafka-1", "kafka-2", "kafka-3"]
    replicas = await asyncio.to_thread(cluster_stack.partition_replicas, [faults.BUSY_TOPIC, "__consumer_offsets"])
    assert {len(partition.replicas) for partition in replicas.values()} == {3}
    assert {len(partition.in_sync) for partition in replicas.values()} == {3}


async def test_killing_the_leader_of_a_busy_partition_loses_no_order(cluster_stack):
    killed = await orders_ratified_around(
        cluster_stack, lambda: faults.kill_partition_leader(cluster_stack, down_for=5.0), seed=1601
    )
    assert program_state(cluster_stack, killed) == "RUNNING"
    assert await asyncio.to_thread(cluster_stack.under_replicated_partitions) == []


async def test_a_broker_hung_for_30_s_loses_no_order(cluster_stack):
    paused = await orders_ratified_around(
        cluster_stack, lambda: faults.pause_broker(cluster_stack, seconds=30.0), seed=1602
    )
    assert program_state(cluster_stack, paused) == "RUNNING"
    assert await asyncio.to_thread(cluster_stack.under_replicated_partitions) == []


async def test_postgres_crashing_and_recovering_loses_no_order(cluster_stack):
    def recoveries() -> int:
        return cluster_stack.log_path("postgres").read_text().count("automatic recovery in progress")

    before = recoveries()
    await orders_ratified_around(
        cluster_stack, lambda: faults.restart_postgres_immediately(cluster_stack), seed=1603, submit_during_fault=False
    )
    assert recoveries() == before + 1


async def test_postgres_away_for_a_while_loses_no_order(cluster_stack):
    await orders_ratified_around(
        cluster_stack, lambda: faults.postgres_outage(cluster_stack, seconds=20.0), seed=1606, submit_during_fault=False
    )


async def test_a_full_database_disk_freed_again_loses_no_order(cluster_stack):
    def fill_and_free() -> Awaitable[bool]:
        return faults.fill_and_free_disk(cluster_stack, seconds=15.0)

    await orders_ratified_around(cluster_stack, fill_and_free, seed=1604, submit_during_fault=False)
    assert not cluster_stack.postgres_volume.ballast.exists()


async def test_instances_added_and_removed_mid_flow_lose_no_order(cluster_stack):
    added = await orders_ratified_around(
        cluster_stack, lambda: faults.churn_instances(cluster_stack, "pricing-approval", seconds=15.0), seed=1605
    )
    assert added == ["pricing-approval-2"]
    assert "pricing-approval-2" not in [status.name for status in cluster_stack.status()]
