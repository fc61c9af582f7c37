"""The invariant checker on the running stack: a healthy run passes with every order accounted for; an effect
published twice and an order that went nowhere are each reported, by order."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from orderdesk_shared.events.intake import OrderValidated
from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.paths import RUN_DIR_ENV
from orderdesk_stack.pipeline import OrderSubmitter, PipelineWatcher
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.testing import eventually
from tests.conftest import first_record_for

pytestmark = pytest.mark.e2e

ORDERS = 30


@pytest.fixture(scope="module")
def started_at() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
async def settled_orders(stack, started_at) -> list[str]:
    """Orders of every kind (some sites need a survey or an alternate, some orders are invalid), each ratified,
    stopped or waiting for people."""
    batch = generate_orders(ORDERS, seed=1616, invalid_share=0.1, on_net_only=False)
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        OrderSubmitter(stack.service_url("intake"), signer=stack.token_signer, concurrency=4) as submitter,
    ):
        order_ids = await asyncio.gather(*(submitter.submit(order, watcher) for order in batch))

        async def done() -> int:
            return sum(watcher.journeys[order_id].done for order_id in order_ids)

        await eventually(
            done, lambda count: count == len(order_ids), what="the batch to settle", timeout=120, pause=0.2
        )
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


async def test_the_command_checks_the_orders_since_a_time(stack, settled_orders, started_at):
    env = os.environ | {
        RUN_DIR_ENV: str(stack.run_dir),
        "ORDERDESK_PG_PORT": str(stack.pg_port),
        "ORDERDESK_KAFKA_PORT": str(stack.kafka_port),
        "ORDERDESK_KAFKA_CONTROLLER_PORT": str(stack.kafka_controller_port),
        "ORDERDESK_SERVICE_PORT_BASE": str(stack.service_port_base),
    }
    command = [str(Path(sys.executable).with_name("orderdesk")), "check", "--orders-since", started_at.isoformat()]
    checked = await asyncio.create_subprocess_exec(*command, "--json", env=env, stdout=asyncio.subprocess.PIPE)
    output, _ = await checked.communicate()

    assert checked.returncode == 0, output.decode()
    report = json.loads(output)
    assert report["ok"] is True
    assert sorted(report["accounts"]) == sorted(settled_orders)


async def test_a_second_event_for_one_order_version_is_a_doubled_effect(stack, settled_orders):
    # On an order of its own (intake forgets it afterwards, so no later check of the session meets these records):
    # a copy of a real order's received and ratified events, then received again under a new event id and time, as
    # a service bypassing its inbox would publish it: the effect twice, and the order gone back from ratified.
    real = await a_ratified_order(stack, settled_orders)
    async with order_only_intake_has(stack, real, state="inProgress", stage="ratified") as order_id:
        received = await first_record_for(stack.kafka_admin, "orders.received", real)
        ratified = await first_record_for(stack.kafka_admin, "orders.ratified", real)
        producer = AIOKafkaProducer(**stack.kafka_admin.client_options())
        await producer.start()
        try:
            for record in (received, ratified, received):
                headers = dict(record.headers) | {
                    "ce_id": str(uuid.uuid4()).encode(),
                    "ce_time": datetime.now(UTC).isoformat().encode(),
                    "ce_subject": order_id.encode(),
                }
                value = record.value.replace(real.encode(), order_id.encode())
                await producer.send_and_wait(record.topic, value, key=order_id.encode(), headers=list(headers.items()))
        finally:
            await producer.stop()
        report = await check_invariants(stack, order_ids=[*settled_orders, order_id])

    [duplicated] = report.duplicated
    assert f"received of order {order_id} version 1 2 times" in duplicated
    [regression] = report.regressions
    assert regression.startswith(f"order {order_id} version 1: received at")
    assert "after ratified at" in regression
    assert not report.ok


async def test_an_effect_a_service_stored_twice_is_reported(stack, settled_orders):
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        # A second validation of one order version in intake's outbox, under its own event id, marked published.
        validated = await database.fetchrow(
            "SELECT * FROM intake.outbox WHERE type = $1 AND aggregate_id = ANY($2::text[]) LIMIT 1",
            OrderValidated.event_type,
            settled_orders,
        )
        twin_id = str(uuid.uuid4())
        await database.execute(
            """INSERT INTO intake.outbox (id, aggregate_type, aggregate_id, type, topic, payload, headers, published_at)
               SELECT $2::text::uuid, aggregate_type, aggregate_id, type, topic, payload,
                      headers || jsonb_build_object('ce_id', $2::text), published_at
               FROM intake.outbox WHERE id = $1""",
            validated["id"],
            twin_id,
        )
        # The same approval decided twice, as two approvers deciding one request at once would leave it.
        approved_twice = settled_orders[1]
        decided = await database.fetch(
            """INSERT INTO pricing_approval.approval_decisions
                   (request_id, order_id, order_version, role, decision, actor, decided_at)
               SELECT 'AR-TWICE', $1, 1, 'deal-desk', 'granted', approver, now()
               FROM unnest(ARRAY['dana', 'eve']) AS approver
               RETURNING id""",
            approved_twice,
        )
        try:
            report = await check_invariants(stack, order_ids=settled_orders)
        finally:
            await database.execute("DELETE FROM intake.outbox WHERE id = $1", twin_id)
            await database.execute(
                "DELETE FROM pricing_approval.approval_decisions WHERE id = ANY($1::bigint[])",
                [row["id"] for row in decided],
            )
    finally:
        await database.close()

    order_id = validated["aggregate_id"]
    assert f"intake recorded the validation of order {order_id} version 1 2 times in its outbox" in report.duplicated
    approval = (
        f"pricing-approval holds the approval decision of order_id {approved_twice}, order_version 1, "
        "role deal-desk 2 times in pricing_approval.approval_decisions"
    )
    assert approval in report.duplicated


async def a_ratified_order(stack, order_ids: list[str]) -> str:
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        return await database.fetchval(
            "SELECT min(id) FROM intake.orders WHERE stage = 'ratified' AND id = ANY($1::text[])", order_ids
        )
    finally:
        await database.close()


@asynccontextmanager
async def order_only_intake_has(stack, like: str, *, state: str, stage: str) -> AsyncIterator[str]:
    """An order intake committed (a copy of a real one) whose events never left, as if its outbox rows were lost;
    deleted afterwards, so later checks of the session do not meet it."""
    order_id = f"PO-NOWHERE-{uuid.uuid4().hex[:8].upper()}"
    database = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
    try:
        await database.execute(
            """INSERT INTO intake.orders (id, channel, order_type, account_id, state, stage, version, order_document)
               SELECT $1, channel, order_type, account_id, $3, $4, 1,
                      jsonb_set(order_document, '{id}', to_jsonb($1::text))
               FROM intake.orders WHERE id = $2""",
            order_id,
            like,
            state,
            stage,
        )
        yield order_id
    finally:
        await database.execute("DELETE FROM intake.orders WHERE id = $1", order_id)
        await database.close()


async def test_an_order_intake_accepted_but_which_went_nowhere_is_lost(stack, settled_orders):
    async with order_only_intake_has(stack, settled_orders[0], state="acknowledged", stage="received") as lost_id:
        report = await check_invariants(stack, order_ids=[*settled_orders, lost_id])

    assert report.lost == [lost_id]
    lost = report.accounts[lost_id]
    assert (lost.ending, lost.state) == ("unaccounted", "acknowledged")
    assert "nothing anywhere says why" in lost.reason


async def test_an_order_whose_record_a_service_could_not_read_is_dead_lettered_with_the_reason(stack, settled_orders):
    async with order_only_intake_has(stack, settled_orders[0], state="inProgress", stage="validated") as order_id:
        # Its validated event as a bug in intake (the topic's owner) would write it: the items are not a list.
        poison = b'{"orderId":"' + order_id.encode() + b'","orderVersion":1,"order":{"items":"not a list"}}'
        headers = {
            "ce_specversion": "1.0",
            "ce_id": str(uuid.uuid4()),
            "ce_type": OrderValidated.event_type,
            "ce_source": "intake",
            "ce_time": datetime.now(UTC).isoformat(),
            "content-type": "application/json",
        }
        producer = AIOKafkaProducer(**stack.kafka_connection_for("intake").client_options())
        await producer.start()
        try:
            await producer.send_and_wait(
                OrderValidated.topic,
                poison,
                key=order_id.encode(),
                headers=[(name, value.encode()) for name, value in headers.items()],
            )
        finally:
            await producer.stop()
        report = await check_invariants(stack, order_ids=[*settled_orders, order_id])

    assert report.lost == []
    dead = report.accounts[order_id]
    assert dead.ending == "dead_lettered"
    assert f"serviceability dead-lettered {OrderValidated.event_type} from orders.validated: ValidationError" in (
        dead.reason
    )
