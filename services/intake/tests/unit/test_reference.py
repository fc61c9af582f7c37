import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from intake.reference import DEFAULT_DIRECTORY, ReferenceDataError, load_reference_data
from orderdesk_shared.addresses import normalize_address
from orderdesk_shared.events.order import Address

# The offerings the order generator sells, with the tiers it picks from.
GENERATED_OFFERINGS = {
    "DIA-FIBER": ("bandwidth_mbps", (100, 250, 500, 1000, 10000)),
    "EPL": ("bandwidth_mbps", (100, 1000, 10000)),
    "EVPL": ("bandwidth_mbps", (50, 100, 500, 1000)),
    "SDWAN-MANAGED": ("sites", (2, 5, 10, 25)),
    "MANAGED-WIFI": ("access_points", (4, 10, 24)),
    "SIP-TRUNK": ("channels", (10, 23, 46, 96)),
    "HOSTED-VOICE": ("seats", (10, 25, 50, 150)),
    "BUSINESS-TV": ("outlets", (2, 6, 12)),
    "CLOUD-IAAS": ("vcpus", (8, 16, 64)),
    "MANAGED-HOSTING": ("servers", (1, 3, 6)),
}


@pytest.fixture(scope="module")
def seed():
    return load_reference_data()


@pytest.fixture
def copy_of_seed(tmp_path: Path) -> Path:
    for name in ("offerings.v1.json", "accounts.v1.csv", "reps.v1.csv", "installed_products.v1.csv"):
        shutil.copy(DEFAULT_DIRECTORY / name, tmp_path / name)
    return tmp_path


def test_the_shipped_seed_loads_every_offering_family_account_and_rep(seed):
    assert seed.version == "v1"
    assert 14 <= len(seed.offerings) <= 20
    assert {o.family for o in seed.offerings.values()} == {
        "internet",
        "ethernet",
        "managed-network",
        "voice",
        "tv",
        "managed-apps",
        "cloud",
        "hosting",
    }
    assert len(seed.accounts) == 40
    assert len(seed.reps) >= 25


def test_every_generated_offering_is_sellable_with_the_generators_tiers_and_terms(seed):
    for offering_id, (characteristic, tiers) in GENERATED_OFFERINGS.items():
        offering = seed.offerings[offering_id]
        assert offering.active, offering_id
        assert offering.characteristics[characteristic] == tiers, offering_id
        assert offering.terms == (12, 24, 36, 60), offering_id


def test_dedicated_internet_needs_a_service_location_and_cloud_does_not(seed):
    dia = seed.offerings["DIA-FIBER"]
    assert dia.name == "Dedicated Internet Access over fiber"
    assert dia.requires_service_location
    assert not seed.offerings["CLOUD-IAAS"].requires_service_location


def test_retired_offerings_are_flagged_inactive(seed):
    retired = {o.id for o in seed.offerings.values() if not o.active}
    assert retired == {"DIA-COPPER", "PRI-T1"}


def test_characteristics_can_be_words_as_well_as_numbers(seed):
    assert seed.offerings["MANAGED-ROUTER"].characteristics["router_class"] == ("branch", "hub", "datacenter")


def test_accounts_carry_a_billing_address_tax_id_and_market(seed):
    account = seed.accounts["ACC-10001"]
    assert account.legal_name == "Lakeshore Freight Partners LLC"
    assert account.billing_address == Address(
        street="233 S WACKER DR STE 4400", city="CHICAGO", state_or_province="IL", postcode="60606"
    )
    assert account.tax_id == "36-4182275"
    assert account.market == "CHI"
    assert account.active
    assert {a.market for a in seed.accounts.values()} == {"CHI", "MKE", "IND", "CMH", "DET", "MSP"}
    assert {a.id for a in seed.accounts.values() if not a.active} == {"ACC-10010", "ACC-10022"}


def test_seeded_billing_addresses_are_already_normalized(seed):
    for account in seed.accounts.values():
        assert normalize_address(account.billing_address) == account.billing_address, account.id


def test_the_generators_reps_are_all_active_today(seed):
    today = date.today()
    for n in range(1, 25):
        assert seed.reps[f"rep-{n:03d}"].is_active_on(today), n


def test_a_rep_who_left_can_sell_up_to_the_last_day_only(seed):
    rep = seed.reps["rep-090"]
    assert rep.active_to == date(2025, 6, 30)
    assert rep.is_active_on(date(2025, 6, 30))
    assert not rep.is_active_on(date(2025, 7, 1))
    assert not rep.is_active_on(date.today())
    assert rep.active_from == date(2017, 1, 9)
    assert not rep.is_active_on(date(2017, 1, 8))


def test_every_rep_reports_to_a_manager_on_the_roster(seed):
    rep = seed.reps["rep-001"]
    assert rep.manager_id == "rep-101"
    assert seed.reps["rep-101"].manager_id is None


def test_the_newest_complete_version_is_loaded(copy_of_seed: Path):
    (copy_of_seed / "offerings.v2.json").write_text(
        (copy_of_seed / "offerings.v1.json").read_text().replace("Managed hosting", "Managed hosting 2")
    )
    assert load_reference_data(copy_of_seed).version == "v1"  # v2 is incomplete: only its offerings
    shutil.copy(copy_of_seed / "accounts.v1.csv", copy_of_seed / "accounts.v2.csv")
    shutil.copy(copy_of_seed / "reps.v1.csv", copy_of_seed / "reps.v2.csv")
    shutil.copy(copy_of_seed / "installed_products.v1.csv", copy_of_seed / "installed_products.v2.csv")
    data = load_reference_data(copy_of_seed)
    assert data.version == "v2"
    assert data.offerings["MANAGED-HOSTING"].name == "Managed hosting 2"


def test_an_empty_directory_fails_naming_the_files_it_needs(tmp_path: Path):
    with pytest.raises(ReferenceDataError, match=r"offerings\.vN\.json, accounts\.vN\.csv, reps\.vN\.csv"):
        load_reference_data(tmp_path)


def test_a_bad_tax_id_fails_naming_the_line_and_field(copy_of_seed: Path):
    path = copy_of_seed / "accounts.v1.csv"
    path.write_text(path.read_text().replace("36-3927714", "363927714"))  # ACC-10002, line 3
    with pytest.raises(ReferenceDataError) as failure:
        load_reference_data(copy_of_seed)
    assert "accounts.v1.csv line 3, field 'tax_id'" in str(failure.value)
    assert "363927714" in str(failure.value)


def test_a_product_listed_twice_fails_naming_the_second_line_and_field(copy_of_seed: Path):
    path = copy_of_seed / "installed_products.v1.csv"
    first_product = path.read_text().splitlines()[1]
    path.write_text(path.read_text() + first_product + "\n")  # line 80
    with pytest.raises(
        ReferenceDataError, match=r"installed_products\.v1\.csv line 80, field 'product_id': PRD-440017 is listed twice"
    ):
        load_reference_data(copy_of_seed)


def test_a_row_with_a_missing_value_fails_naming_the_line(copy_of_seed: Path):
    path = copy_of_seed / "reps.v1.csv"
    path.write_text(path.read_text() + "rep-099,Late Addition,late.addition@telco.example\n")
    with pytest.raises(ReferenceDataError, match=r"reps\.v1\.csv line 32: the row ends before the column\(s\) team"):
        load_reference_data(copy_of_seed)


def test_a_bad_date_fails_naming_the_line_and_field(copy_of_seed: Path):
    path = copy_of_seed / "reps.v1.csv"
    path.write_text(path.read_text().replace("2025-06-30", "30/06/2025"))  # rep-090's last day, line 30
    with pytest.raises(ReferenceDataError, match=r"reps\.v1\.csv line 30, field 'active_to'"):
        load_reference_data(copy_of_seed)


def test_a_manager_missing_from_the_roster_fails(copy_of_seed: Path):
    path = copy_of_seed / "reps.v1.csv"
    roster = path.read_text()
    path.write_text(roster.replace("chicago-enterprise,rep-101,2019-02-04", "chicago-enterprise,rep-999,2019-02-04"))
    with pytest.raises(ReferenceDataError, match=r"reps\.v1\.csv line 6, field 'manager_id': rep-999"):
        load_reference_data(copy_of_seed)


def test_a_renamed_column_fails_on_the_header(copy_of_seed: Path):
    path = copy_of_seed / "accounts.v1.csv"
    path.write_text(path.read_text().replace("tax_id", "ein", 1))
    with pytest.raises(ReferenceDataError, match=r"accounts\.v1\.csv line 1: the header lacks the column\(s\) tax_id"):
        load_reference_data(copy_of_seed)


def test_a_duplicate_account_fails_naming_the_second_line(copy_of_seed: Path):
    path = copy_of_seed / "accounts.v1.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]))
    with pytest.raises(ReferenceDataError, match=r"accounts\.v1\.csv line 42, field 'account_id': ACC-10001"):
        load_reference_data(copy_of_seed)


def test_an_offering_with_a_disallowed_term_fails_naming_the_offering_and_field(copy_of_seed: Path):
    path = copy_of_seed / "offerings.v1.json"
    document = json.loads(path.read_text())
    document["offerings"][2]["terms"] = [12, 18]
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(ReferenceDataError) as failure:
        load_reference_data(copy_of_seed)
    message = str(failure.value)
    assert "offerings.v1.json offerings.2 (EPL): field 'terms.1'" in message
    assert "18" in message


def test_an_offering_flag_written_as_text_is_refused(copy_of_seed: Path):
    path = copy_of_seed / "offerings.v1.json"
    document = json.loads(path.read_text())
    document["offerings"][0]["active"] = "yes"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(ReferenceDataError, match=r"offerings\.0 \(DIA-FIBER\): field 'active'"):
        load_reference_data(copy_of_seed)


def test_broken_json_fails_naming_the_line(copy_of_seed: Path):
    path = copy_of_seed / "offerings.v1.json"
    text = path.read_text()
    path.write_text(text.replace('"family": "ethernet",', '"family": "ethernet"', 1))
    broken_line = text[: text.index('"family": "ethernet",')].count("\n") + 2
    with pytest.raises(ReferenceDataError, match=rf"offerings\.v1\.json line {broken_line}: not valid JSON"):
        load_reference_data(copy_of_seed)
