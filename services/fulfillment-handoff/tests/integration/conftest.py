"""Fulfillment's real, migrated schema, its API in-process, and approved orders to hand off."""

from decimal import Decimal

import httpx
import pytest

from fulfillment_handoff.main import create_app
from fulfillment_handoff.settings import Settings
from fulfillment_handoff.tables import messaging
from fulfillment_handoff.unit_of_work import FulfillmentUnitOfWork
from orderdesk_shared.auth import Role
from orderdesk_shared.db import Database
from orderdesk_shared.events.order import (
    Account,
    Address,
    Channel,
    OrderItem,
    OrderType,
    ProductOrder,
    ServiceLocation,
)
from orderdesk_shared.events.pricing_approval import OrderApproved, Pricing
from orderdesk_stack.testing import session_token_signer

SITES = {
    "chicago": Address(street="233 S WACKER DR", city="CHICAGO", state_or_province="IL", postcode="60606"),
    "grand-rapids": Address(street="50 MONROE AVE NW", city="GRAND RAPIDS", state_or_province="MI", postcode="49503"),
}


@pytest.fixture
async def database_url(service_database) -> str:
    return await service_database("fulfillment-handoff")


@pytest.fixture
async def database(database_url):
    db = Database(url=database_url, tables=messaging, source="fulfillment-handoff", unit_of_work=FulfillmentUnitOfWork)
    yield db
    await db.dispose()


@pytest.fixture
async def api(database_url):
    """The service's HTTP API on its database, signed in as the catalogue team (no consumer or relay started)."""
    settings = Settings(database_url=database_url)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fulfillment") as client:
        client.headers["Authorization"] = bearer(Role.CATALOG_ADMIN)
        yield client
    await app.state.runtime.database.dispose()


def bearer(role: Role) -> str:
    return "Bearer " + session_token_signer().mint(f"a-{role}", [role])


@pytest.fixture
def signed_in_as():
    """`signed_in_as(Role.OPERATIONS)`: the headers of a request by `a-operations`, in that role."""
    return lambda role: {"Authorization": bearer(role)}


@pytest.fixture
def approved():
    """Builds approved orders: `approved("PO-1", ("EPL", "chicago"))`."""
    return approved_order


def approved_order(order_id: str, *items: tuple[str, str], version: int = 1) -> OrderApproved:
    """An approved order for `items` as (offering, site name), priced without catalogue components."""
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        items=[
            OrderItem(id=str(n), product_offering_id=offering, location=ServiceLocation(address=SITES[site]))
            for n, (offering, site) in enumerate(items, start=1)
        ],
    )
    pricing = Pricing(items=[], mrc_total=Decimal(0), nrc_total=Decimal(0), total_contract_value=Decimal(0))
    return OrderApproved(order_id=order_id, order_version=version, order=order, sites=[], pricing=pricing, approvals=[])
