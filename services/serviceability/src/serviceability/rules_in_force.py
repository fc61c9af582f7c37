"""The rules serviceability decides by: its policy, with the site offerings of the catalogue
pricing-approval announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
from collections.abc import Mapping

from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.reference import CATALOGUE, ReferenceBook
from serviceability.domain.rules import Rules, serviceability_rules, site_offerings
from serviceability.tables import reference_versions


def rules_from(documents: Mapping[str, dict]) -> Rules:
    """The seed rules, with the announced catalogue's site offerings in place of the seed copy."""
    rules = serviceability_rules()
    if CATALOGUE not in documents:
        return rules
    catalogue = CataloguePublished.model_validate(documents[CATALOGUE])
    return dataclasses.replace(rules, offerings=site_offerings(catalogue.offerings))


RULES_IN_FORCE = ReferenceBook(reference_versions, rules_from)
