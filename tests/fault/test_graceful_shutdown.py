"""SIGTERM while a batch is in hand: the service finishes it, commits its transaction and its offsets, and only
then exits, so nothing it read is left for the next start."""

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter
from orderdesk_stack.provision import asyncpg_dsn
from orderdesk_stack.testing import eventually
from tests.conftest import records_for

pytestmark = pytest.mark.e2e


async def test_a_service_stopped_with_a_batch_in_hand_commits_it_before_it_exits(stack):
    admin = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    holder = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    try:
        await asyncio.to_thread(stack.stop, "serviceability")
        async with OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer) as submitter:
            order_id = await submitter.submit(generate_orders(1, seed=1617, invalid_share=0.0)[0])
        stage_before = await admin.fetchval("SELECT stage FROM intake.orders WHERE id = $1", order_id)
        # Intake's batch holding the order's qualification waits on this lock: the batch in hand at SIGTERM.
        locked = holder.transaction()
        await locked.start()
        await holder.execute("SELECT 1 FROM intake.orders WHERE id = $1 FOR UPDATE", order_id)
        await asyncio.to_thread(stack.restart, "serviceability")
        await eventually(
            lambda: admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'intake' AND wait_event_type = 'Lock'"
            ),
            lambda waiting: waiting > 0,
            timeout=60,
        )

        stopping = asyncio.create_task(asyncio.to_thread(stack.stop, "intake"))
        await asyncio.sleep(1.0)
        await locked.rollback()
        await stopping

        # Intake is down; what it had in hand is committed all the same: the order moved on, the offset past it.
        assert await admin.fetchval("SELECT stage FROM intake.orders WHERE id = $1", order_id) != stage_before
        [qualified] = await records_for(stack.kafka_admin, ServiceabilityQualified.topic, order_id, count=1)
        partition = TopicPartition(qualified.topic, qualified.partition)
        assert await _committed(stack, "intake", partition) > qualified.offset
    finally:
        await holder.close()
        await admin.close()
        for program in ("serviceability", "intake"):
            if not stack.supervisor.is_alive(program):
                await asyncio.to_thread(stack.restart, program)


async def _committed(stack, group: str, partition: TopicPartition) -> int:
    consumer = AIOKafkaConsumer(**stack.kafka_admin.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.committed(partition) or 0
    finally:
        await consumer.stop()
