"""qualify_sites against serviceability's real, migrated schema."""

import pytest

from orderdesk_shared.db import Database
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderType, ProductOrder, ServiceLocation
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.handlers import qualify_sites
from serviceability.tables import messaging

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("serviceability"), tables=messaging, source="serviceability")
    yield db
    await db.dispose()


async def test_every_site_of_a_validated_order_is_decided_once(database):
    order = ProductOrder(
        id="PO-1",
        channel=Channel.CRM,
        order_type=OrderType.ADD,
        account=Account(id="ACC-1"),
        items=[
            OrderItem(id="1", product_offering_id="DIA-FIBER", location=ServiceLocation(location_id="LOC-1")),
            OrderItem(id="2", product_offering_id="SIP-TRUNK", location=ServiceLocation(location_id="LOC-2")),
        ],
    )
    validated = OrderValidated(order_id="PO-1", order_version=1, order=order)

    async with database.unit_of_work() as uow:
        await qualify_sites(validated, uow)
        [qualified] = uow.emitted
    async with database.unit_of_work() as uow:
        await qualify_sites(validated, uow)
        assert uow.emitted == []

    event = ServiceabilityQualified.model_validate_json(qualified.value)
    assert [(site.item_id, site.location_id) for site in event.sites] == [("1", "LOC-1"), ("2", "LOC-2")]
    assert event.order == order
