"""Intake validates against the catalogue and roster their owners announce, not only its seed files."""

from datetime import date

import pytest

from commission.rules_in_force import load_roster
from commission.settings import Settings as CommissionSettings
from intake.domain.validation import IntakeRules, validate
from intake.handlers import follow_catalogue, follow_crm_account, follow_roster
from intake.rules_in_force import load_rules
from intake.settings import Settings
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.reference import ReferenceBook
from orderdesk_stack.order_generator import generate_orders
from pricing_approval.publication import catalogue_published
from pricing_approval.rules_in_force import load_rules as load_pricing_rules
from pricing_approval.settings import Settings as PricingSettings

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 28)


def _catalogue(version: str, *, retired: frozenset[str] = frozenset()) -> CataloguePublished:
    published = catalogue_published(load_pricing_rules(PricingSettings.model_construct()).catalogue)
    offerings = [o.model_copy(update={"active": o.id not in retired}) for o in published.offerings]
    return published.model_copy(update={"version": version, "offerings": offerings})


async def _announce(database: Database, rules: ReferenceBook[IntakeRules], catalogue: CataloguePublished) -> None:
    async with database.unit_of_work() as uow:
        await follow_catalogue(catalogue, uow, ServiceContext(rules))


async def test_an_offering_retired_in_the_announced_catalogue_is_refused_from_then_on(database):
    [generated] = generate_orders(1, seed=41, invalid_share=0.0)
    order = to_canonical(ProductOrderCreate.model_validate(generated.body), order_id="PO-C1", submitted_by="rep-001")
    sold = order.items[0].product_offering_id
    rules = load_rules(Settings.model_construct())

    assert (await rules.through(database)).reference.offerings[sold].active  # the seed file, before any catalogue
    assert rules.versions == {}

    await _announce(database, rules, _catalogue("catalogue/2", retired=frozenset({sold})))
    findings = validate(order, await rules.through(database), today=TODAY).findings
    assert rules.versions == {"catalogue": "catalogue/2"}
    assert [(f.reason_code, f.message) for f in findings] == [
        ("UNKNOWN_OFFERING", f"product offering {sold} is no longer sold")
    ]

    await _announce(database, rules, _catalogue("catalogue/3"))  # sold again
    assert validate(order, await rules.through(database), today=TODAY).findings == []
    assert rules.versions == {"catalogue": "catalogue/3"}


async def test_a_catalogue_announced_again_is_in_force_again(database):
    rules = load_rules(Settings.model_construct())
    for version in ("catalogue/1", "catalogue/2", "catalogue/1"):
        await _announce(database, rules, _catalogue(version))
    await rules.through(database)
    assert rules.versions == {"catalogue": "catalogue/1"}


async def test_a_rep_who_left_in_the_announced_roster_can_no_longer_sell(database):
    [generated] = generate_orders(1, seed=41, invalid_share=0.0)
    order = to_canonical(ProductOrderCreate.model_validate(generated.body), order_id="PO-R1", submitted_by="rep-001")
    [seller] = [rep.rep_id for rep in order.sales_reps][:1]
    roster = load_roster(CommissionSettings.model_construct().reference)
    left = [
        rep.model_copy(update={"active_to": date(2026, 10, 31)}) if rep.id == seller else rep
        for rep in roster.reps.values()
    ]
    rules = load_rules(Settings.model_construct())

    async with database.unit_of_work() as uow:
        await follow_roster(RosterPublished(version="roster/2", reps=left), uow, ServiceContext(rules))
    findings = validate(order, await rules.through(database), today=TODAY).findings

    assert rules.versions == {"roster": "roster/2"}
    assert [(f.reason_code, f.message) for f in findings] == [("INVALID_VALUE", f"sales rep {seller} is not active")]


def _crm_account(status: str, modified_at: str) -> CrmAccountUpdated:
    return CrmAccountUpdated.model_validate(
        {
            "accountNumber": "ACC-20001",
            "legalName": "Harbor Point Logistics LLC",
            "billingAddress": {"street": "200 E Randolph St", "city": "Chicago", "state": "IL", "postalCode": "60601"},
            "taxId": "36-5550101",
            "market": "CHI",
            "status": status,
            "modifiedAt": modified_at,
        }
    )


async def test_an_account_the_crm_describes_is_checked_as_the_crm_last_changed_it(database):
    generated = generate_orders(10, seed=43, invalid_share=0.0)
    orders = (
        to_canonical(ProductOrderCreate.model_validate(g.body), order_id="PO-A1", submitted_by="x") for g in generated
    )
    seeded = next(order for order in orders if order.account.id)  # an order for an existing account
    order = seeded.model_copy(update={"account": seeded.account.model_copy(update={"id": "ACC-20001"})})
    rules = load_rules(Settings.model_construct())

    async def account_findings() -> list[str]:
        findings = validate(order, await rules.through(database), today=TODAY).findings
        return [f.message for f in findings if f.field_path == "account.id"]

    async def from_crm(record: CrmAccountUpdated) -> bool:
        async with database.unit_of_work() as uow:
            return await follow_crm_account(record, uow, ServiceContext(rules))

    assert await account_findings() == ["there is no account ACC-20001"]  # not in the seed file

    assert await from_crm(_crm_account("active", "2026-11-27T09:00:00-06:00"))
    assert await account_findings() == []

    assert await from_crm(_crm_account("closed", "2026-11-27T16:30:00Z"))
    assert await account_findings() == ["account ACC-20001 is closed"]

    # The earlier record, delivered again late: the account stays as the CRM last changed it.
    assert not await from_crm(_crm_account("active", "2026-11-27T09:00:00-06:00"))
    assert await account_findings() == ["account ACC-20001 is closed"]
