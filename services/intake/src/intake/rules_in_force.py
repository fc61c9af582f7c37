"""The rules intake validates with: the entry matrix and seed reference files its settings name, read once at start
by its bootstrap (a bad file stops intake there with the reason), with the offerings of the catalogue, the reps of
the roster and the accounts their owners announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from intake.domain.matrix import EntryMatrix
from intake.domain.service_requests import ServiceRequestKinds
from intake.domain.validation import IntakeRules
from intake.reference import account_from_crm, load_reference_data, offerings_from_catalogue
from intake.settings import Settings
from intake.tables import reference_versions
from orderdesk_shared.calendar import CALENDAR_CONTEXT, load_business_calendar
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.markets import load_markets
from orderdesk_shared.reference import CATALOGUE, ROSTER, ReferenceBook

# Each account the CRM describes is a kind of its own, "account/ACC-10001", whose version is when the CRM changed it.
ACCOUNT_KIND_PREFIX = "account/"


def account_kind(account_number: str) -> str:
    return ACCOUNT_KIND_PREFIX + account_number


def account_version(modified_at: datetime) -> str:
    """When the CRM changed an account, written so that later times sort later as text."""
    return modified_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# What intake's handlers and routes decide with: the rules in force and the clock.
IntakeContext = ServiceContext[ReferenceBook[IntakeRules]]


def load_rules(settings: Settings) -> ReferenceBook[IntakeRules]:
    return ReferenceBook(reference_versions, partial(rules_from, load_seed_rules(settings)))


def load_seed_rules(settings: Settings) -> IntakeRules:
    return IntakeRules(
        matrix=_load_matrix(settings.order_entry_matrix),
        reference=load_reference_data(settings.reference_dir),
        markets=load_markets(settings.markets),
        service_requests=_load_service_request_kinds(settings.service_requests),
    )


def _load_matrix(path: Path) -> EntryMatrix:
    with path.open("rb") as file:
        return EntryMatrix.model_validate(tomllib.load(file))


def _load_service_request_kinds(path: Path) -> ServiceRequestKinds:
    """The kinds of service request, their due dates counted in the shared business calendar."""
    with path.open("rb") as file:
        return ServiceRequestKinds.model_validate(
            tomllib.load(file), context={CALENDAR_CONTEXT: load_business_calendar()}
        )


def rules_from(seed: IntakeRules, documents: Mapping[str, dict]) -> IntakeRules:
    """The seed rules, with the announced catalogue's offerings, roster's reps and CRM accounts in place of the
    seed ones."""
    reference = seed.reference
    if CATALOGUE in documents:
        offerings = offerings_from_catalogue(CataloguePublished.model_validate(documents[CATALOGUE]).offerings)
        reference = dataclasses.replace(reference, offerings=offerings)
    if ROSTER in documents:
        reps = {rep.id: rep for rep in RosterPublished.model_validate(documents[ROSTER]).reps}
        reference = dataclasses.replace(reference, reps=reps)
    crm_accounts = [
        account_from_crm(CrmAccountUpdated.model_validate(document))
        for kind, document in documents.items()
        if kind.startswith(ACCOUNT_KIND_PREFIX)
    ]
    if crm_accounts:
        accounts = reference.accounts | {account.id: account for account in crm_accounts}
        reference = dataclasses.replace(reference, accounts=accounts)
    return dataclasses.replace(seed, reference=reference)
