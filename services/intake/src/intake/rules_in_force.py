"""The rules intake validates with: its seed files, with the offerings of the catalogue, the reps of the roster
and the accounts their owners announced, when heard (see orderdesk_shared.reference)."""

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime

from intake.domain.validation import IntakeRules, intake_rules
from intake.reference import account_from_crm, offerings_from_catalogue
from intake.tables import reference_versions
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.reference import CATALOGUE, ROSTER, ReferenceBook

# Each account the CRM describes is a kind of its own, "account/ACC-10001", whose version is when the CRM changed it.
ACCOUNT_KIND_PREFIX = "account/"


def account_kind(account_number: str) -> str:
    return ACCOUNT_KIND_PREFIX + account_number


def account_version(modified_at: datetime) -> str:
    """When the CRM changed an account, written so that later times sort later as text."""
    return modified_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rules_from(documents: Mapping[str, dict]) -> IntakeRules:
    """The seed rules, with the announced catalogue's offerings, roster's reps and CRM accounts in place of the
    seed ones."""
    rules = intake_rules()
    reference = rules.reference
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
    return dataclasses.replace(rules, reference=reference)


RULES_IN_FORCE = ReferenceBook(reference_versions, rules_from)
