"""The rules serviceability decides by: its policy, with the site offerings of the catalogue
pricing-approval announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk_shared.calendar import load_business_calendar
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.reference import CATALOGUE, ReferenceBook
from serviceability.domain.rules import DEFAULT_OFFERINGS, DEFAULT_POLICY, Rules, site_offerings
from serviceability.tables import reference_versions


class RulesSettings(BaseSettings):
    """Where the rules are: SERVICEABILITY_POLICY and SERVICEABILITY_OFFERINGS (default: the shipped files); the
    business calendar is every service's (orderdesk_shared.calendar.CalendarSettings)."""

    model_config = SettingsConfigDict(env_prefix="SERVICEABILITY_", extra="ignore")

    policy: Path = DEFAULT_POLICY
    offerings: Path = DEFAULT_OFFERINGS


@cache
def serviceability_rules() -> Rules:
    """The seed rules serviceability runs with, loaded once; the app loads them at start so a bad file stops it
    there."""
    settings = RulesSettings()
    return Rules.load(calendar=load_business_calendar(), policy_path=settings.policy, offerings_path=settings.offerings)


def rules_from(documents: Mapping[str, dict]) -> Rules:
    """The seed rules, with the announced catalogue's site offerings in place of the seed copy."""
    rules = serviceability_rules()
    if CATALOGUE not in documents:
        return rules
    catalogue = CataloguePublished.model_validate(documents[CATALOGUE])
    return dataclasses.replace(rules, offerings=site_offerings(catalogue.offerings))


RULES_IN_FORCE = ReferenceBook(reference_versions, rules_from)
