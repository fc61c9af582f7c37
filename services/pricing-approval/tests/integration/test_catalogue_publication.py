"""The catalogue in force is announced on catalogue.published, once per version."""

import pytest
import sqlalchemy as sa

from orderdesk_shared.events.pricing_approval import CataloguePublished
from pricing_approval.publication import publish_catalogue

from .conftest import CONTEXT

pytestmark = pytest.mark.integration


async def test_the_catalogue_is_announced_once_per_version_with_what_order_checks_need(database):
    await publish_catalogue(database, CONTEXT)
    await publish_catalogue(database, CONTEXT)  # a restart with the same catalogue

    outbox = database.tables.outbox
    async with database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox.c.type, outbox.c.payload))).all()
    assert [row.type for row in rows] == [CataloguePublished.event_type]
    published = CataloguePublished.model_validate_json(rows[0].payload)
    catalogue = CONTEXT.rules.catalogue
    assert published.version == catalogue.version
    assert {offering.id for offering in published.offerings} == set(catalogue.offerings)
    fiber = next(offering for offering in published.offerings if offering.id == "DIA-FIBER")
    assert (fiber.family, fiber.active, fiber.requires_service_location) == ("internet", True, True)
    assert fiber.characteristics[0].name == "bandwidth_mbps" and 1000 in fiber.characteristics[0].values
    assert 36 in fiber.terms_months
