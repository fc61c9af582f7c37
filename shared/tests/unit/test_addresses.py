import re

import pytest

from orderdesk_shared.addresses import UnreadableAddress, building_address, normalize_address, remembered_per_building
from orderdesk_shared.events.order import Address


def address(street: str, city: str = "Chicago", state: str = "IL", postcode: str = "60606", **kw) -> Address:
    return Address(street=street, city=city, state_or_province=state, postcode=postcode, **kw)


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        (
            address("233 south wacker drive, suite 4400", "chicago", "illinois", "60606-6306"),
            address("233 S WACKER DR STE 4400", "CHICAGO", "IL", "60606"),
        ),
        (
            address("41 South High St., Ste. 2600", " columbus ", "Ohio", "43215"),
            address("41 S HIGH ST STE 2600", "COLUMBUS", "OH", "43215"),
        ),
        (
            address("1 Monument Circle   Suite 500", "Indianapolis", "in", "462041234"),
            address("1 MONUMENT CIR STE 500", "INDIANAPOLIS", "IN", "46204"),
        ),
        (
            address("212 3rd Ave. North", "Minneapolis", "Minn", "55401"),
            address("212 3RD AVE N", "MINNEAPOLIS", "MN", "55401"),
        ),
        (
            address("5000 Tuttle Crossing Boulevard, Building B", "Dublin", "OH", "43016"),
            address("5000 TUTTLE CROSSING BLVD BLDG B", "DUBLIN", "OH", "43016"),
        ),
        (
            address("1000 N. Water Street, Floor 17", "Milwaukee", "WI", "53202", country="USA"),
            address("1000 N WATER ST FL 17", "MILWAUKEE", "WI", "53202"),
        ),
    ],
)
def test_messy_addresses_come_out_in_usps_form(typed: Address, normalized: Address):
    assert normalize_address(typed) == normalized


@pytest.mark.parametrize(
    "typed",
    [
        address("233 south wacker drive, suite 4400", "chicago", "illinois", "60606-6306"),
        address("1 e   washington st apt #3", "Indianapolis", "IN", "46204"),
        address("100 E Wisconsin Ave, 20th Floor", "Milwaukee", "WI", "53202"),
        address("1 N State St (Rear)"),
    ],
)
def test_normalizing_twice_changes_nothing_more(typed: Address):
    once = normalize_address(typed)
    assert normalize_address(once) == once


def test_the_same_place_typed_two_ways_normalizes_the_same():
    assert normalize_address(address("233 S. Wacker Dr., Ste 4400")) == normalize_address(
        address("233 south wacker drive suite 4400", "CHICAGO", "Illinois", "60606-6306")
    )


@pytest.mark.parametrize(
    ("typed", "building"),
    [
        (address("233 south wacker drive, suite 4400"), "233 S WACKER DR"),
        (address("5000 Tuttle Crossing Boulevard, Building B", "Dublin", "OH", "43016"), "5000 TUTTLE CROSSING BLVD"),
        (address("100 E Wisconsin Ave, 20th Floor", "Milwaukee", "WI", "53202"), "100 E WISCONSIN AVE"),
        (address("1 N State St"), "1 N STATE ST"),
    ],
)
def test_every_unit_of_a_building_shares_the_building_address(typed: Address, building: str):
    assert building_address(typed) == normalize_address(
        address(building, typed.city, typed.state_or_province, typed.postcode)
    )


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (address("asdf qwer zxcv"), "could not be read as a building number and street name"),
        (address("Attn John Smith 233 S Wacker Dr"), "could not be read as a building number and street name"),
        (address("233 S Wacker Dr Suite"), "names a unit (Suite, Apt, Floor, ...) without its number"),
        (address("PO Box 1234"), "is a PO box; give the street address"),
        (address("   "), "the street is missing"),
        (address("233 S Wacker Dr", postcode="6060"), "'6060' is not a 5-digit US ZIP code"),
        (address("233 S Wacker Dr", state="Ilinois"), "'Ilinois' is not a US state"),
        (address("100 King St W", "Toronto", "ON", "60606", country="CA"), "only US addresses"),
    ],
)
def test_an_unreadable_address_says_why_in_plain_words(typed: Address, reason: str):
    with pytest.raises(UnreadableAddress) as failure:
        normalize_address(typed)
    assert reason in failure.value.reason
    assert isinstance(failure.value, ValueError)
    assert "UNPARSEABLE" not in str(failure.value)  # the library's own shouting is not shown to the rep


STREETS_WITH_A_LAST_NUMBER = [
    "233 S WACKER DR STE 4400",
    "233 S WACKER DR STE 4401",
    "233 s wacker dr ste 990",
    "99 Elm St Unit 99",  # the building number is the suite's stand-in
    "77 W Jackson Blvd Floor 20",
    "100 Highway 101",  # a number that is the street's own
    "350 Fifth Avenue 3400",
    "Main St 4",
    "9900 N Michigan Ave Ste 9900",  # the stand-in's digits are in the building number too
]


@pytest.mark.parametrize("normalize", [normalize_address, building_address])
@pytest.mark.parametrize("street", STREETS_WITH_A_LAST_NUMBER)
def test_a_remembered_address_reads_as_if_parsed_itself(normalize, street):
    remembered = remembered_per_building(normalize, maxsize=16)
    try:
        expected = normalize(address(street))
    except UnreadableAddress as error:
        with pytest.raises(UnreadableAddress, match=re.escape(error.reason)):
            remembered(address(street))
        return
    for _ in range(2):  # parsed, then remembered
        assert remembered(address(street)) == expected


def test_another_suite_of_a_building_is_not_parsed_again():
    parsed: list[str] = []

    def counted(typed: Address) -> Address:
        parsed.append(typed.street)
        return building_address(typed)

    remembered = remembered_per_building(counted, maxsize=16)
    suites = [remembered(address(f"233 S Wacker Dr Ste {suite}")) for suite in (4400, 4700, 1200, 3100)]

    assert suites == [address("233 S WACKER DR", "CHICAGO")] * 4
    assert parsed == ["233 S Wacker Dr Ste 9900"], "one parse, of the building with a stand-in suite"
