"""A record whose handler cannot finish (its order's row is locked from outside) is tried three times, then
dead-lettered with its reason, while the records behind it on the same partition are handled."""

import asyncio

import asyncpg
import pytest
from aiokafka.partitioner import DefaultPartitioner

from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter
from orderdesk_stack.provision import asyncpg_dsn
from orderdesk_stack.testing import eventually
from tests.conftest import INTAKE_HANDLER_TIMEOUT_SECONDS, records_for

pytestmark = pytest.mark.e2e

# Orders behind the slow one on its partition, and how many orders may be tried to find them.
BEHIND = 2
TRIED = 60
PAUSED = ("serviceability", "pricing-approval")


async def test_a_record_that_times_out_is_dead_lettered_and_its_partition_flows_on(stack):
    partition_of = _partitioner(stack.topic_partitions)
    orders = iter(generate_orders(TRIED, seed=1616, invalid_share=0.0))
    admin = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    holder = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    try:
        # No order is qualified before the row is locked and the orders behind it are in; none is priced at
        # all, so that the qualification is the one record about the order that intake cannot handle.
        for service in PAUSED:
            await asyncio.to_thread(stack.stop, service)
        async with OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer) as submitter:
            slow_order = await submitter.submit(next(orders))
            # Intake's handler of the order's qualification must lock this row to move the order on.
            locked = holder.transaction()
            await locked.start()
            await holder.execute("SELECT 1 FROM intake.orders WHERE id = $1 FOR UPDATE", slow_order)
            behind = []
            while len(behind) < BEHIND:
                order_id = await submitter.submit(next(orders))
                if partition_of(order_id) == partition_of(slow_order):
                    behind.append(order_id)
        await asyncio.to_thread(stack.restart, "serviceability")

        [stuck] = await records_for(stack.kafka_admin, ServiceabilityQualified.topic, slow_order, count=1)
        dead = await eventually(
            lambda: admin.fetchrow(
                'SELECT error_class, reason, partition, "offset" FROM intake.dead_letters WHERE key = $1', slow_order
            ),
            lambda row: row is not None,
            timeout=120,
        )
        assert dead["error_class"] == "HandlerTimeout"
        assert dead["reason"] == f"handler timed out after {INTAKE_HANDLER_TIMEOUT_SECONDS} s (3 attempts)"
        assert (dead["partition"], dead["offset"]) == (stuck.partition, stuck.offset)

        # Still locked: the qualifications behind it on its partition were handled all the same.
        qualified_behind = [
            record
            for order_id in behind
            for record in await records_for(stack.kafka_admin, ServiceabilityQualified.topic, order_id, count=1)
        ]
        assert {record.partition for record in qualified_behind} == {stuck.partition}
        assert all(record.offset > stuck.offset for record in qualified_behind)
        handled = await eventually(
            lambda: admin.fetchval(
                "SELECT count(*) FROM intake.inbox WHERE consumer = 'intake' AND message_id = ANY($1::text[])",
                [dict(record.headers)["ce_id"].decode() for record in qualified_behind],
            ),
            lambda count: count == BEHIND,
            timeout=60,
        )
        assert handled == BEHIND
        await locked.rollback()
    finally:
        await holder.close()
        await admin.close()
        for service in PAUSED:
            if not stack.supervisor.is_alive(service):
                await asyncio.to_thread(stack.restart, service)


def _partitioner(partitions: int):
    """The partition the services' producers (Kafka's default partitioner) give an order's records."""
    partitioner = DefaultPartitioner()
    every = list(range(partitions))
    return lambda order_id: partitioner(order_id.encode(), every, every)
