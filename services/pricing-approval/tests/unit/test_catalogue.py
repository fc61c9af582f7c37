import json
from decimal import Decimal
from pathlib import Path

import pytest

from orderdesk_shared.product_catalogue import CatalogueError, load_catalogue
from pricing_approval.settings import CATALOGUE_DIRECTORY

SHIPPED = json.loads((CATALOGUE_DIRECTORY / "catalogue.v1.json").read_text())


def _write(directory: Path, document: dict, version: int = 1) -> Path:
    (directory / f"catalogue.v{version}.json").write_text(json.dumps(document))
    return directory


def _broken(tmp_path: Path, change) -> str:
    document = json.loads(json.dumps(SHIPPED))
    change(document)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(_write(tmp_path, document))
    return str(raised.value)


def _offering(document: dict, offering_id: str) -> dict:
    return next(offering for offering in document["productOffering"] if offering["id"] == offering_id)


def test_the_shipped_catalogue_loads_with_every_offering_family_and_its_promotions():
    catalogue = load_catalogue(CATALOGUE_DIRECTORY)
    families = {offering.family for offering in catalogue.offerings.values()}
    assert families == {"internet", "ethernet", "managed-network", "voice", "tv", "managed-apps", "cloud", "hosting"}
    assert "FREEINSTALL26" in catalogue.promotions


def test_prices_are_read_exactly_never_through_a_float():
    hosted_voice = load_catalogue(CATALOGUE_DIRECTORY).offerings["HOSTED-VOICE"]
    [price] = hosted_voice.components("recurring", {"seats": "25"})
    assert price.price.value == Decimal("699.75")


def test_the_highest_numbered_catalogue_is_the_one_loaded(tmp_path):
    _write(tmp_path, SHIPPED, version=1)
    _write(tmp_path, SHIPPED | {"version": "catalogue/2"}, version=2)
    assert load_catalogue(tmp_path).version == "catalogue/2"


def test_a_directory_without_a_catalogue_is_reported(tmp_path):
    with pytest.raises(CatalogueError, match=r"no catalogue\.vN\.json"):
        load_catalogue(tmp_path)


def test_broken_json_names_the_line(tmp_path):
    (tmp_path / "catalogue.v1.json").write_text('{\n  "version": "catalogue/1",\n  "currency": \n}')
    with pytest.raises(CatalogueError, match=r"catalogue\.v1\.json line 4: not valid JSON"):
        load_catalogue(tmp_path)


def test_a_price_with_fractions_of_a_cent_names_the_offering_and_the_field(tmp_path):
    text = (CATALOGUE_DIRECTORY / "catalogue.v1.json").read_text()
    (tmp_path / "catalogue.v1.json").write_text(text.replace('"value": 525}', '"value": 525.005}'))
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(tmp_path)
    assert "productOffering.3 (EVPL).productOfferingPrice.0 (EVPL-MRC-50M).price.value" in str(raised.value)


def test_a_characteristic_value_without_a_recurring_price_is_refused(tmp_path):
    def drop_the_500_mbps_tier(document):
        prices = _offering(document, "EVPL")["productOfferingPrice"]
        prices[:] = [price for price in prices if price["id"] != "EVPL-MRC-500M"]

    assert "EVPL: no recurring price for {'bandwidth_mbps': '500'}" in _broken(tmp_path, drop_the_500_mbps_tier)


def test_a_price_id_used_twice_is_refused_because_billing_codes_key_on_it(tmp_path):
    def reuse_an_id(document):
        _offering(document, "EVPL")["productOfferingPrice"][0]["id"] = "DIA-FIBER-MRC-100M"

    assert "price id listed twice: DIA-FIBER-MRC-100M" in _broken(tmp_path, reuse_an_id)


def test_a_characteristic_without_a_default_is_refused(tmp_path):
    def no_default(document):
        for value in _offering(document, "SIP-TRUNK")["prodSpecCharValueUse"][0]["productSpecCharacteristicValue"]:
            value.pop("isDefault", None)

    assert "SIP-TRUNK: characteristic channels needs exactly one default value" in _broken(tmp_path, no_default)


def test_a_term_discount_for_a_term_the_offering_does_not_sell_is_refused(tmp_path):
    def discount_a_12_month_term(document):
        router = _offering(document, "MANAGED-ROUTER")
        router["productOfferingPrice"].append(
            {
                "id": "MANAGED-ROUTER-TERM-12",
                "name": "12-month term discount",
                "priceType": "discount",
                "percentage": 2,
                "productOfferingTerm": [{"duration": {"amount": 12, "units": "month"}}],
            }
        )

    message = _broken(tmp_path, discount_a_12_month_term)
    assert "MANAGED-ROUTER-TERM-12: term 12 is not one of MANAGED-ROUTER's terms" in message


def test_a_promotion_ending_before_it_starts_is_refused(tmp_path):
    def reversed_dates(document):
        document["promotion"][0]["validTo"] = "2026-06-30"

    assert "PROMO-FIBER-INSTALL-2026H2: validTo is before validFrom" in _broken(tmp_path, reversed_dates)
