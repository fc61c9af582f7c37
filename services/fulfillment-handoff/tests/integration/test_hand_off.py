"""hand_off against fulfillment's real, migrated schema."""

from decimal import Decimal

import pytest

from fulfillment_handoff.handlers import hand_off
from fulfillment_handoff.tables import messaging
from orderdesk_shared.db import Database
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.pricing_approval import OrderApproved, Pricing

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("fulfillment-handoff"), tables=messaging, source="fulfillment-handoff")
    yield db
    await db.dispose()


async def test_an_approved_order_is_handed_off_once_with_a_billing_line_per_item(database):
    order = ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        items=[OrderItem(id="1", product_offering_id="EPL"), OrderItem(id="2", product_offering_id="SIP-TRUNK")],
    )
    pricing = Pricing(items=[], mrc_total=Decimal(0), nrc_total=Decimal(0), total_contract_value=Decimal(0))
    approved = OrderApproved(order_id="PO-1", order_version=1, order=order, sites=[], pricing=pricing, approvals=[])

    async with database.unit_of_work() as uow:
        await hand_off(approved, uow)
        [handed_off] = uow.emitted
    async with database.unit_of_work() as uow:
        await hand_off(approved, uow)
        assert uow.emitted == []

    package = OrderHandedOff.model_validate_json(handed_off.value)
    assert [line.item_id for line in package.billing_lines] == ["1", "2"]
    assert package.order == order
