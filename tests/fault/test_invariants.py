"""The invariant checker on the running stack: a healthy run passes with every order accounted for; an effect
published twice and an order that went nowhere are each reported, by order."""

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter, PipelineWatcher
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from tests.conftest import first_record_for

pytestmark = pytest.mark.e2e

ORDERS = 30


@pytest.fixture(scope="module")
async def settled_orders(stack) -> list[str]:
    """Orders of every kind (some sites need a survey or an alternate, some orders are invalid), each ratified,
    stopped or waiting for people."""
    batch = generate_orders(ORDERS, seed=1616, invalid_share=0.1, on_net_only=False)
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter,
    ):
        order_ids = await asyncio.gather(*(submitter.submit(order, watcher) for order in batch))
        deadline = asyncio.get_running_loop().time() + 120
        while not watcher.settled(order_ids):
            assert asyncio.get_running_loop().time() < deadline, "the batch did not settle"
            await asyncio.sleep(0.2)
    return list(order_ids)


async def test_a_healthy_run_accounts_for_every_order(stack, settled_orders):
    report = await check_invariants(stack, order_ids=settled_orders)

    assert report.ok, report.problems()
    assert sorted(report.accounts) == sorted(settled_orders)
    assert {account.ending for account in report.accounts.values()} == {"ended", "waiting"}
    assert all(account.reason for account in report.accounts.values())
    # Both the desk and Operations have some: ratified orders wait for the installation, others for people.
    reasons = [account.reason for account in report.accounts.values() if account.ending == "waiting"]
    assert any("handed off to Operations" in reason for reason in reasons)
    assert any("handed off to Operations" not in reason for reason in reasons)


async def test_a_second_event_for_one_order_version_is_a_doubled_effect(stack, settled_orders):
    order_id = settled_orders[0]
    received = await first_record_for(stack.kafka_admin, "orders.received", order_id)
    # The same order version received again under a new event id, as a service bypassing its inbox would publish it.
    headers = dict(received.headers) | {
        "ce_id": str(uuid.uuid4()).encode(),
        "ce_time": datetime.now(UTC).isoformat().encode(),
    }
    producer = AIOKafkaProducer(**stack.kafka_admin.client_options())
    await producer.start()
    try:
        await producer.send_and_wait("orders.received", received.value, key=received.key, headers=list(headers.items()))
    finally:
        await producer.stop()

    report = await check_invariants(stack, order_ids=settled_orders)

    [duplicated] = report.duplicated
    assert f"received of order {order_id} version 1" in duplicated
    assert "2 times" in duplicated
    [regression] = report.regressions
    assert regression.startswith(f"order {order_id} version 1: received at")
    assert report.lost == []
    assert not report.ok


async def test_an_order_intake_accepted_but_which_went_nowhere_is_lost(stack, settled_orders):
    # An order intake committed whose events never left (as if its outbox rows were lost): a copy of a real one.
    lost_id = f"PO-LOST-{uuid.uuid4().hex[:8].upper()}"
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        await database.execute(
            """INSERT INTO intake.orders (id, channel, order_type, account_id, state, stage, version, order_document)
               SELECT $1, channel, order_type, account_id, 'acknowledged', 'received', 1,
                      jsonb_set(order_document, '{id}', to_jsonb($1::text))
               FROM intake.orders WHERE id = $2""",
            lost_id,
            settled_orders[0],
        )
        report = await check_invariants(stack, order_ids=[*settled_orders, lost_id])
    finally:
        await database.execute("DELETE FROM intake.orders WHERE id = $1", lost_id)
        await database.close()

    assert report.lost == [lost_id]
    lost = report.accounts[lost_id]
    assert (lost.ending, lost.state) == ("unaccounted", "acknowledged")
    assert "nothing anywhere says why" in lost.reason
