"""Reading the location inventory CSV: good rows in building form, each bad row with every reason."""

from decimal import Decimal

import pytest

from orderdesk_shared.csv_rows import UnreadableCsv
from serviceability.domain.inventory import COLUMNS, AccessMedium, read_inventory
from serviceability.settings import SEED_INVENTORY

HEADER = ",".join(COLUMNS)
GOOD = "LOC-1,233 South Wacker Drive Suite 4400,Chicago,IL,60606,41.8789,-87.6359,true,0,fiber,10000,CHI"


def test_a_good_row_becomes_a_location_at_its_building_address():
    [(line, location)] = read_inventory(f"{HEADER}\n{GOOD}\n").locations
    assert line == 2
    assert (location.address.street, location.address.city, location.address.postcode) == (
        "233 S WACKER DR",
        "CHICAGO",
        "60606",
    )
    assert (location.building_lit, location.access_medium, location.max_bandwidth_mbps) == (
        True,
        AccessMedium.FIBER,
        10000,
    )
    assert location.latitude == Decimal("41.8789")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,false,350 ft,fiber,10000,CHI",
            "field 'distance_to_fiber_ft': not a whole number of feet (0 or more) (got '350 ft')",
        ),
        ("LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,false,-5,fiber,10000,CHI", "(got '-5')"),
        ("LOC-2,1 N State St,Chicago,IL,60602", "the row ends before the column(s) latitude"),
        ("LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,false,350,fiber,10000,CHI,extra", "the row has more"),
        (
            "LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,maybe,350,fiber,10000,CHI",
            "not true or false (got 'maybe')",
        ),
        (
            "LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,false,350,copper,10000,CHI",
            "not one of fiber, hfc, none (got 'copper')",
        ),
        (
            "LOC-2,1 N State St,Chicago,IL,60602,95,-87.62,false,350,fiber,10000,CHI",
            "'latitude': not a latitude (a number",
        ),
        (
            "LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,false,350,fiber,0,CHI",
            "Mbps (1 or more) (got '0')",
        ),
        ("LOC-2,PO Box 12,Chicago,IL,60602,41.88,-87.62,false,350,fiber,10000,CHI", "is a PO box"),
        (
            "LOC-2,1 N State St,Chicago,IL,60602,41.88,-87.62,true,0,none,100,CHI",
            "a lit building needs an access medium",
        ),
        (
            ",1 N State St,Chicago,IL,60602,41.88,-87.62,false,350,fiber,10000,CHI",
            "'location_id': Field required",
        ),
        (
            "LOC-1,1 N State St,Chicago,IL,60602,41.88,-87.62,false,350,fiber,10000,CHI",
            "LOC-1 is already on line 2",
        ),
        ("LOC-2,233 S Wacker Dr Fl 12,Chicago,IL,60606,41.88,-87.62,false,350,fiber,10000,CHI", "already on line 2"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_reason_and_the_good_rows_still_count(row, reason):
    read = read_inventory(
        f"{HEADER}\n{GOOD}\n{row}\nLOC-3,1 E Wacker Dr,Chicago,IL,60601,41.88,-87.62,true,0,hfc,1000,CHI\n"
    )
    assert [location.location_id for _, location in read.locations] == ["LOC-1", "LOC-3"]
    [rejected] = read.rejected
    assert rejected.line == 3
    assert any(reason in text for text in rejected.reasons), rejected.reasons


def test_a_row_with_several_problems_lists_them_all():
    [rejected] = read_inventory(
        f"{HEADER}\nLOC-9,1 N State St,Chicago,IL,60602,x,y,false,far,fiber,lots,CHI\n"
    ).rejected
    assert len(rejected.reasons) == 4


def test_a_header_without_the_required_columns_is_refused_as_a_whole():
    with pytest.raises(UnreadableCsv, match=r"line 1: the header lacks the column\(s\) distance_to_fiber_ft"):
        read_inventory(HEADER.replace("distance_to_fiber_ft,", "") + "\n")


def test_the_shipped_seed_inventory_reads_cleanly_and_mixes_every_kind_of_site():
    locations = [location for _, location in read_inventory(SEED_INVENTORY.read_text()).locations]
    assert len(locations) >= 300
    assert read_inventory(SEED_INVENTORY.read_text()).rejected == []
    assert {location.market for location in locations} == {"CHI", "MKE", "IND", "CMH", "DET", "MSP", "GRR"}
    lit = [location for location in locations if location.building_lit]
    assert {location.access_medium for location in lit} == {AccessMedium.FIBER, AccessMedium.HFC}
    unlit = [location for location in locations if not location.building_lit]
    assert any(location.distance_to_fiber_ft <= 1000 for location in unlit)
    assert any(location.distance_to_fiber_ft > 1000 for location in unlit)
    assert any(location.access_medium is AccessMedium.NONE for location in unlit)
