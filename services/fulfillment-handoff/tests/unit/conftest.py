"""Handlers driven in memory: the fake unit of work with the seed billing-code map, the rules the service loads,
a fixed clock, and approved orders to hand off."""

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fulfillment_handoff.reference import load_seed_billing_codes
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.order import Account, Address, Channel, OrderItem, OrderType, ProductOrder, ServiceLocation
from orderdesk_shared.events.pricing_approval import OrderApproved, Pricing

# The service's directory name is no Python name, so its test modules are imported by their dotted path.
fakes = importlib.import_module("services.fulfillment-handoff.tests.unit.fakes")

RULES = load_rules(Settings.model_construct())
NOW = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
SITES = {
    "chicago": Address(street="233 S WACKER DR", city="CHICAGO", state_or_province="IL", postcode="60606"),
    "grand-rapids": Address(street="50 MONROE AVE NW", city="GRAND RAPIDS", state_or_province="MI", postcode="49503"),
    "dallas": Address(street="1500 MARILLA ST", city="DALLAS", state_or_province="TX", postcode="75201"),  # no market
}


@pytest.fixture
def context() -> ServiceContext:
    return ServiceContext(rules=RULES, clock=lambda: NOW)


@pytest.fixture
def uow():
    """A transaction of the service's, in memory, on the seed billing-code map."""
    return fakes.FakeFulfillmentUnitOfWork(load_seed_billing_codes(RULES.markets))


@pytest.fixture
def approved():
    """Builds approved orders: `approved("PO-1", ("DIA-FIBER", "chicago"))`."""
    return approved_order


def approved_order(
    order_id: str, *items: tuple[str, str], version: int = 1, completion: date | None = None
) -> OrderApproved:
    """An approved order for `items` as (offering, site name), priced without catalogue components."""
    order = ProductOrder(
        id=order_id,
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(legal_name="Acme"),
        requested_completion_date=completion,
        items=[
            OrderItem(id=str(n), product_offering_id=offering, location=ServiceLocation(address=SITES[site]))
            for n, (offering, site) in enumerate(items, start=1)
        ],
    )
    pricing = Pricing(items=[], mrc_total=Decimal(0), nrc_total=Decimal(0), total_contract_value=Decimal(0))
    return OrderApproved(order_id=order_id, order_version=version, order=order, sites=[], pricing=pricing, approvals=[])
