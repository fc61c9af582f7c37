"""Serviceability decides sites for the offerings of the catalogue pricing-approval announces."""

import pytest

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.pricing_approval import OfferedCharacteristic
from pricing_approval.publication import catalogue_published
from pricing_approval.rules_in_force import load_rules as load_pricing_rules
from pricing_approval.settings import Settings as PricingSettings
from serviceability.handlers import follow_catalogue
from serviceability.rules_in_force import load_rules
from serviceability.settings import Settings

pytestmark = pytest.mark.integration


async def test_a_bandwidth_tier_dropped_from_the_catalogue_is_no_longer_offered_at_sites(database):
    rules = load_rules(Settings.model_construct())
    assert 10000 in (await rules.through(database)).offerings["DIA-FIBER"].bandwidth_tiers_mbps  # the seed copy

    published = catalogue_published(load_pricing_rules(PricingSettings.model_construct()).catalogue)
    without_10g = [
        offering.model_copy(
            update={"characteristics": [OfferedCharacteristic(name="bandwidth_mbps", values=[100, 1000])]}
        )
        if offering.id == "DIA-FIBER"
        else offering
        for offering in published.offerings
    ]
    async with database.unit_of_work() as uow:
        await follow_catalogue(
            published.model_copy(update={"version": "catalogue/2", "offerings": without_10g}),
            uow,
            ServiceContext(rules),
        )

    offered = (await rules.through(database)).offerings
    assert offered["DIA-FIBER"].bandwidth_tiers_mbps == (100, 1000)
    assert rules.versions == {"catalogue": "catalogue/2"}
    assert "CLOUD-IAAS" not in offered  # needs no site: not decided here
