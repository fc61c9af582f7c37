"""The rules intake validates with: its seed files, with the offerings of the catalogue and the reps of
the roster their owners announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
from collections.abc import Mapping

from intake.domain.validation import IntakeRules, intake_rules
from intake.reference import offerings_from_catalogue
from intake.tables import reference_versions
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.reference import CATALOGUE, ROSTER, ReferenceBook


def rules_from(documents: Mapping[str, dict]) -> IntakeRules:
    """The seed rules, with the announced catalogue's offerings and roster's reps in place of the seed ones."""
    rules = intake_rules()
    reference = rules.reference
    if CATALOGUE in documents:
        offerings = offerings_from_catalogue(CataloguePublished.model_validate(documents[CATALOGUE]).offerings)
        reference = dataclasses.replace(reference, offerings=offerings)
    if ROSTER in documents:
        reps = {rep.id: rep for rep in RosterPublished.model_validate(documents[ROSTER]).reps}
        reference = dataclasses.replace(reference, reps=reps)
    return dataclasses.replace(rules, reference=reference)


RULES_IN_FORCE = ReferenceBook(reference_versions, rules_from)
