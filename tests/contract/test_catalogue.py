"""Pricing-approval's catalogue prices everything intake lets an order carry: the same offerings, with
the same characteristic values and terms (pricing will own the catalogue, and intake will follow it)."""

import itertools
from datetime import date

import pytest

from intake.reference import load_reference_data
from orderdesk_shared.events.order import Account, Channel, ItemAction, OrderItem, OrderType, ProductOrder
from orderdesk_shared.product_catalogue import load_catalogue
from pricing_approval.domain.pricing import quote_order
from pricing_approval.settings import CATALOGUE_DIRECTORY

INTAKE_OFFERINGS = load_reference_data().offerings
CATALOGUE = load_catalogue(CATALOGUE_DIRECTORY)


@pytest.fixture(params=sorted(INTAKE_OFFERINGS), ids=str)
def offering_id(request):
    return request.param


def test_the_catalogue_describes_the_offering_as_intake_does(offering_id):
    sold, priced = INTAKE_OFFERINGS[offering_id], CATALOGUE.offerings.get(offering_id)
    assert priced is not None, f"{offering_id} is not in the pricing catalogue"
    assert (priced.family, priced.active, priced.requires_service_location) == (
        sold.family,
        sold.active,
        sold.requires_service_location,
    )
    assert priced.characteristics == {name: tuple(map(str, values)) for name, values in sold.characteristics.items()}
    assert priced.terms == sold.terms


def test_every_characteristic_value_on_every_term_has_a_list_price(offering_id):
    sold = INTAKE_OFFERINGS[offering_id]
    names = list(sold.characteristics)
    for values, term in itertools.product(itertools.product(*sold.characteristics.values()), sold.terms):
        order = ProductOrder(
            id="PO-CONTRACT",
            channel=Channel.API,
            order_type=OrderType.CHANGE,
            account=Account(id="ACC-10001"),
            items=[
                OrderItem(
                    id="1",
                    action=ItemAction.MODIFY,
                    product_offering_id=offering_id,
                    characteristics=dict(zip(names, values, strict=True)),
                    item_term_months=term,
                )
            ],
        )
        [line] = quote_order(order, catalogue=CATALOGUE, order_date=date(2026, 11, 30)).lines
        assert line.list_mrc > 0, f"{offering_id} {dict(zip(names, values, strict=True))} {term} months"
