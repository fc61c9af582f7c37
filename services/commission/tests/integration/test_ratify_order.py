"""ratify_order against commission's real, migrated schema."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from commission.handlers import ratify_order
from commission.tables import messaging, ratifications
from orderdesk_shared.db import Database
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fulfillment import OrderHandedOff, ProcessingPath
from orderdesk_shared.events.order import Account, Channel, OrderType, ProductOrder, SalesRep
from orderdesk_shared.events.pricing_approval import Pricing

pytestmark = pytest.mark.integration


def _handed_off(order_id: str) -> OrderHandedOff:
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        sales_reps=[
            SalesRep(rep_id="rep-1", split_percent=Decimal(70)),
            SalesRep(rep_id="rep-2", split_percent=Decimal(30)),
        ],
        items=[],
    )
    pricing = Pricing(items=[], mrc_total=Decimal("1000.01"), nrc_total=Decimal(0), total_contract_value=Decimal(0))
    return OrderHandedOff(
        order_id=order_id,
        order_version=1,
        order=order,
        sites=[],
        pricing=pricing,
        approvals=[],
        processing_path=ProcessingPath.STANDARD,
        billing_lines=[],
    )


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("commission"), tables=messaging, source="commission")
    yield db
    await db.dispose()


async def test_a_handed_off_order_is_ratified_once_and_split_across_its_reps(database):
    async with database.unit_of_work() as uow:
        await ratify_order(_handed_off("PO-1"), uow)
        [ratified] = uow.emitted
    async with database.unit_of_work() as uow:
        await ratify_order(_handed_off("PO-1"), uow)  # the same fact again
        assert uow.emitted == []

    event = OrderRatified.model_validate_json(ratified.value)
    assert (event.commission_total, [rep.amount for rep in event.reps]) == (
        Decimal("1000.01"),
        [Decimal("700.01"), Decimal("300.00")],
    )
    async with database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(ratifications.c.order_id, ratifications.c.commission_total))).all()
    assert rows == [("PO-1", Decimal("1000.01"))]
