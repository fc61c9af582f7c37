"""The catalogue in force, announced once per version for the services that check orders against it."""

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.pricing_approval import CatalogueOffering, CataloguePublished, OfferedCharacteristic
from orderdesk_shared.product_catalogue import Catalogue
from pricing_approval.rules_in_force import PricingRules


def catalogue_published(catalogue: Catalogue) -> CataloguePublished:
    """What intake and serviceability need of each offering: family, status, characteristic values, terms."""
    return CataloguePublished(
        version=catalogue.version,
        offerings=[
            CatalogueOffering(
                id=offering.id,
                name=offering.name,
                family=offering.family,
                active=offering.active,
                requires_service_location=offering.requires_service_location,
                characteristics=[
                    OfferedCharacteristic(
                        name=use.name, values=[choice.value for choice in use.product_spec_characteristic_value]
                    )
                    for use in offering.prod_spec_char_value_use
                ],
                terms_months=[term.duration.amount for term in offering.product_offering_term],
            )
            for offering in catalogue.offerings.values()
        ],
    )


async def publish_catalogue(database: Database, context: ServiceContext[PricingRules]) -> None:
    """At start: announce the catalogue in force on catalogue.published unless this version was announced before."""
    catalogue = context.rules.catalogue
    async with database.unit_of_work() as uow:
        if await uow.catalogues.note_first_announcement(catalogue.version):
            uow.emit(catalogue_published(catalogue))
