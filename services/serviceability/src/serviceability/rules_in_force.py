"""The rules serviceability decides by: the policy and seed offerings its settings name, read once at start by its
bootstrap (a bad file stops the service there with the reason), with the site offerings of the catalogue
pricing-approval announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
import tomllib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.field_problems import described, field_problems
from orderdesk_shared.reference import CATALOGUE, ReferenceBook
from serviceability.domain.rules import Policy, Rules, SiteOffering, site_offerings
from serviceability.settings import Settings
from serviceability.tables import reference_versions

T = TypeVar("T")


class RulesError(ValueError):
    """A policy or offerings file is missing or malformed; the message names the file and the field."""


def load_rules(settings: Settings) -> ReferenceBook[Rules]:
    return ReferenceBook(reference_versions, partial(rules_from, load_seed_rules(settings)))


def load_seed_rules(settings: Settings) -> Rules:
    """The policy, its SLAs counted in the business calendar (every service's), and the seed offerings."""
    calendar = load_business_calendar()
    policy = _validated(settings.policy, lambda data: Policy.model_validate(data, context={CALENDAR_CONTEXT: calendar}))
    offerings = _validated(
        settings.offerings,
        lambda data: {
            offering_id: SiteOffering.model_validate({"id": offering_id, **fields})
            for offering_id, fields in data.items()
        },
    )
    families = {offering.family for offering in offerings.values()}
    if unknown := sorted(policy.off_net.offering_families - families):
        raise RulesError(
            f"{settings.policy.name}: off_net.offering_families: "
            + ", ".join(f"{family!r} is not a family of any offering" for family in unknown)
        )
    return Rules(policy=policy, offerings=offerings)


def rules_from(seed: Rules, documents: Mapping[str, dict]) -> Rules:
    """The seed rules, with the announced catalogue's site offerings in place of the seed copy."""
    if CATALOGUE not in documents:
        return seed
    catalogue = CataloguePublished.model_validate(documents[CATALOGUE])
    return dataclasses.replace(seed, offerings=site_offerings(catalogue.offerings))


def _validated(path: Path, read: Callable[[dict], T]) -> T:
    try:
        with path.open("rb") as file:
            return read(tomllib.load(file))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RulesError(f"{path.name}: {error}") from error
    except ValidationError as error:
        raise RulesError(f"{path.name}: {described(field_problems(error, quoting=True))}") from error
