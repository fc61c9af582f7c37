"""Replaying orders.handed-off from offset 0 changes no ledger balance: real Kafka, real Postgres, and a
fresh consumer group, so the inbox of the first consumption does not shield the handlers."""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from commission.bootstrap import bootstrap
from commission.handlers import ratify_order
from commission.repository import Ledger
from commission.settings import Settings
from commission.tables import ledger_entries, messaging
from orderdesk_shared.codec import encode
from orderdesk_shared.context import ServiceContext, bind
from orderdesk_shared.events.catalogue import replay_topic
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderType
from orderdesk_stack.testing import eventually, running
from orderdesk_stack.testing_consumers import consumer_for_test
from orderdesk_stack.topics import catalogue_topics, create_topics
from services.commission.tests.builders import handed_off
from services.commission.tests.integration.conftest import RULES

pytestmark = pytest.mark.integration

TIMEOUT = 180.0  # the whole suite shares two cores


async def test_replaying_the_handed_off_topic_changes_no_balance(database, database_url, kafka_admin):
    # A group of its own, so offsets another run committed on a shared broker cannot skip these records; a service
    # reads its replay topic beside its own, named after it.
    first_group = f"commission-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_admin, dict.fromkeys([*catalogue_topics(), replay_topic(first_group)], 3))
    account = f"ACC-{uuid.uuid4().hex[:8].upper()}"
    sales = [
        handed_off(f"PO-{uuid.uuid4().hex[:10].upper()}", order_type, account=account, mrc=mrc, reps=reps)
        for order_type, mrc, reps in [
            (OrderType.ADD, {"DIA-FIBER": "1000.00"}, (("rep-001", "60"), ("rep-002", "40"))),
            (OrderType.ADD, {"SIP-TRUNK": "333.33"}, (("rep-003", "100"),)),
            (OrderType.CHANGE, {"DIA-FIBER": "400.00"}, (("rep-001", "100"),)),  # a downgrade
        ]
    ]
    disconnect = handed_off(
        f"PO-{uuid.uuid4().hex[:10].upper()}", OrderType.DISCONNECT, account=account, mrc={"SIP-TRUNK": "0"}
    )
    handoffs = [*sales, disconnect]
    order_ids = [event.order_id for event in handoffs]
    runtime = bootstrap(Settings(database_url=database_url, **kafka_admin.settings_fields(), service_name=first_group))
    producer = AIOKafkaProducer(**kafka_admin.client_options(), enable_idempotence=True)
    await runtime.start()
    await producer.start()
    try:
        # The sales are installed before the account's later orders arrive, as they would be in life.
        for event in sales[:2]:
            await _send(producer, event)
            await _send(
                producer,
                OpsOrderStatusChanged(
                    order_id=event.order_id, order_version=1, status=OpsStatus.INSTALLED, effective_date=date.today()
                ),
            )
        await eventually(lambda: _all_payable(database, sales[:2]), what="the sales to become payable", timeout=TIMEOUT)
        for event in (sales[2], disconnect):
            await _send(producer, event)
        await eventually(
            lambda: _kinds_recorded(database, order_ids, {"clawback", "downgrade"}),
            what="the disconnect and the downgrade to take commission back",
            timeout=TIMEOUT,
        )
    finally:
        await producer.stop()
        await runtime.stop()
    before, entries_before, ratified_before = await _ledger(database)

    replay = consumer_for_test(
        database,
        kafka_admin,
        bind({OrderHandedOff: ratify_order}, ServiceContext(rules=RULES)),
        group_id=f"commission-replay-{uuid.uuid4().hex[:8]}",
    )
    async with running(replay.run()):

        async def replayed() -> int:
            async with database.engine.connect() as connection:
                return await connection.scalar(
                    sa.select(sa.func.count()).where(messaging.inbox.c.consumer == replay.name)
                )

        await eventually(
            replayed,
            lambda seen: seen >= len(handoffs),
            what="the replay to read orders.handed-off from offset 0",
            timeout=TIMEOUT,
        )

    after, entries_after, ratified_after = await _ledger(database)
    assert after == before
    assert before, "the first consumption recorded no balance"
    assert (entries_after, ratified_after) == (entries_before, ratified_before)


async def _all_payable(database, orders: list[OrderHandedOff]) -> bool:
    async with database.engine.connect() as connection:
        return all(
            [sum(h.payable for h in (await Ledger(connection).holdings(o.order_id)).values()) > 0 for o in orders]
        )


async def _kinds_recorded(database, order_ids: list[str], kinds: set[str]) -> bool:
    async with database.engine.connect() as connection:
        recorded = await connection.execute(
            sa.select(ledger_entries.c.kind).where(ledger_entries.c.order_id.in_(order_ids))
        )
        return kinds <= set(recorded.scalars())


async def _send(producer: AIOKafkaProducer, event) -> None:
    record = encode(event, source="replay-test")
    await producer.send_and_wait(
        record.topic,
        record.value,
        key=record.key.encode(),
        headers=[(name, value.encode()) for name, value in record.headers.items()],
    )


async def _ledger(database):
    async with database.engine.connect() as connection:
        balances = await Ledger(connection).balances()
        entries = await connection.scalar(sa.select(sa.func.count()).select_from(ledger_entries))
        announced = await connection.scalar(
            sa.select(sa.func.count()).where(messaging.outbox.c.type == OrderRatified.event_type)
        )
    return balances, entries, announced
