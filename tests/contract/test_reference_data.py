"""Seed data one service copies from another agrees with its source."""

from commission.rules_in_force import load_roster
from commission.settings import Settings as CommissionSettings
from intake.reference import load_reference_data
from orderdesk_shared.addresses import building_address
from pricing_approval.publication import catalogue_published
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings as PricingSettings
from serviceability.domain.inventory import read_inventory
from serviceability.domain.rules import site_offerings
from serviceability.rules_in_force import load_seed_rules
from serviceability.settings import SEED_INVENTORY, Settings

SERVICEABILITY_SEED = load_seed_rules(Settings.model_construct())


def test_serviceability_knows_every_offering_served_at_a_site_as_intake_sells_it():
    catalogue = load_reference_data().offerings.values()
    sold_at_a_site = {
        offering.id: (offering.family, tuple(offering.characteristics.get("bandwidth_mbps", ())))
        for offering in catalogue
        if offering.requires_service_location
    }
    known = {
        offering.id: (offering.family, offering.bandwidth_tiers_mbps)
        for offering in SERVICEABILITY_SEED.offerings.values()
    }
    assert known == sold_at_a_site


def test_the_site_offerings_of_the_announced_catalogue_are_those_of_serviceability_seed_copy():
    announced = catalogue_published(load_rules(PricingSettings.model_construct()).catalogue)
    assert site_offerings(announced.offerings) == SERVICEABILITY_SEED.offerings


def test_every_reference_account_building_is_in_the_seed_inventory():
    buildings = {location.address for _, location in read_inventory(SEED_INVENTORY.read_text()).locations}
    accounts = load_reference_data().accounts.values()
    missing = [account.id for account in accounts if building_address(account.billing_address) not in buildings]
    assert not missing, f"accounts whose building is not in serviceability's seed inventory: {missing}"


def test_intakes_rep_list_is_a_copy_of_the_roster_commission_owns():
    roster = load_roster(CommissionSettings.model_construct().reference).reps
    reps = load_reference_data().reps
    assert {rep_id: (rep.team, rep.manager_id, rep.active_from, rep.active_to) for rep_id, rep in reps.items()} == {
        rep_id: (rep.team, rep.manager_id, rep.active_from, rep.active_to) for rep_id, rep in roster.items()
    }
