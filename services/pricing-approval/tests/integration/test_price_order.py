"""price_order against pricing-approval's real, migrated schema."""

from decimal import Decimal

import pytest

from orderdesk_shared.db import Database
from orderdesk_shared.events.order import Account, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from pricing_approval.handlers import price_order
from pricing_approval.tables import messaging

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("pricing-approval"), tables=messaging, source="pricing-approval")
    yield db
    await db.dispose()


async def test_an_order_needing_no_approval_is_priced_and_approved_at_once(database):
    order = ProductOrder(
        id="PO-1",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        items=[OrderItem(id="1", product_offering_id="DIA", item_term_months=12, price=ItemPrice(mrc=Decimal(100)))],
    )
    qualified = ServiceabilityQualified(order_id="PO-1", order_version=1, order=order, sites=[])

    async with database.unit_of_work() as uow:
        await price_order(qualified, uow)
        priced, approved = uow.emitted
    async with database.unit_of_work() as uow:
        await price_order(qualified, uow)
        assert uow.emitted == []

    assert OrderPriced.model_validate_json(priced.value).pricing.total_contract_value == Decimal(1200)
    assert OrderApproved.model_validate_json(approved.value).approvals == []
