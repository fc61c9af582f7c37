"""The location inventory: where our plant reaches, read from CSV one row at a time.

Columns (DOMAIN.md, "Serviceability"): location_id, street, city, state, postcode, latitude,
longitude, building_lit, distance_to_fiber_ft, access_medium, max_bandwidth_mbps, market. A location
is a building: its address is kept USPS-normalized without a unit, the form order sites are matched
in. A bad row is reported with every reason and never stops the good ones.
"""

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from orderdesk_shared.addresses import UnreadableAddress, building_address
from orderdesk_shared.events.order import Address

COLUMNS = (
    "location_id",
    "street",
    "city",
    "state",
    "postcode",
    "latitude",
    "longitude",
    "building_lit",
    "distance_to_fiber_ft",
    "access_medium",
    "max_bandwidth_mbps",
    "market",
)
_LOCATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MARKET = re.compile(r"^[A-Z]{2,5}$")
_YES, _NO = frozenset({"true", "yes", "y", "1"}), frozenset({"false", "no", "n", "0"})


class AccessMedium(StrEnum):
    FIBER = "fiber"
    HFC = "hfc"
    NONE = "none"


@dataclass(frozen=True)
class Location:
    location_id: str
    address: Address
    latitude: Decimal
    longitude: Decimal
    building_lit: bool
    distance_to_fiber_ft: int
    access_medium: AccessMedium
    max_bandwidth_mbps: int
    market: str


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: its line in the file (the header is line 1) and every reason."""

    line: int
    location_id: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class InventoryFile:
    locations: list[tuple[int, Location]]  # with the line each came from
    rejected: list[RejectedRow]


class UnreadableInventory(ValueError):
    """The file as a whole cannot be read (not CSV text, or columns missing from its header)."""


def read_inventory(text: str) -> InventoryFile:
    """Every good row as a Location, every bad row with its reasons; ids and buildings must be unique in the file."""
    reader = csv.DictReader(io.StringIO(text), restkey="_extra")
    header = [name.strip() for name in reader.fieldnames or []]
    if missing := [column for column in COLUMNS if column not in header]:
        raise UnreadableInventory(f"the header lacks the column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    reader.fieldnames = header
    locations: list[tuple[int, Location]] = []
    rejected: list[RejectedRow] = []
    line_of_id: dict[str, int] = {}
    line_of_building: dict[tuple[str, str, str, str], int] = {}
    for row in reader:
        line = reader.line_num
        location, reasons = _read_row(row)
        location_id = (row.get("location_id") or "").strip() or None
        if location is not None:
            building = _building_key(location.address)
            if location.location_id in line_of_id:
                reasons.append(
                    f"location_id {location.location_id} is already on line {line_of_id[location.location_id]}"
                )
            elif building in line_of_building:
                reasons.append(f"the building is already on line {line_of_building[building]}")
            else:
                line_of_id[location.location_id] = line
                line_of_building[building] = line
                locations.append((line, location))
                continue
        rejected.append(RejectedRow(line=line, location_id=location_id, reasons=tuple(reasons)))
    return InventoryFile(locations=locations, rejected=rejected)


def _building_key(address: Address) -> tuple[str, str, str, str]:
    return (address.street, address.city, address.state_or_province, address.postcode)


def _read_row(row: dict) -> tuple[Location | None, list[str]]:
    reasons: list[str] = []
    if row.get("_extra"):
        reasons.append(f"{len(COLUMNS)} columns expected, the row has more")
    values = {column: (row.get(column) or "").strip() for column in COLUMNS}
    absent = [column for column in COLUMNS if row.get(column) is None]
    if absent:
        reasons.append(f"the row ends before the column(s) {', '.join(absent)}")
    empty = [column for column in COLUMNS if row.get(column) is not None and not values[column]]
    if empty:
        reasons.append(f"no value for {', '.join(empty)}")

    def check(column: str, parse, problem: str):
        if not values[column]:
            return None
        try:
            return parse(values[column])
        except (ValueError, InvalidOperation):
            reasons.append(f"{column} {values[column]!r} {problem}")
            return None

    location_id = check("location_id", _matching(_LOCATION_ID), "is not an id (letters, digits, '-', '_', '.')")
    latitude = check("latitude", _between(-90, 90), "is not a latitude (a number from -90 to 90)")
    longitude = check("longitude", _between(-180, 180), "is not a longitude (a number from -180 to 180)")
    lit = check("building_lit", _yes_or_no, "is not true or false")
    distance = check("distance_to_fiber_ft", _whole_number(0), "is not a whole number of feet (0 or more)")
    medium = check("access_medium", AccessMedium, "is not one of fiber, hfc, none")
    max_bandwidth = check("max_bandwidth_mbps", _whole_number(1), "is not a whole number of Mbps (1 or more)")
    market = check("market", _matching(_MARKET), "is not a market code (2 to 5 capital letters)")
    address = None
    if all(values[column] for column in ("street", "city", "state", "postcode")):
        try:
            address = building_address(
                Address(
                    street=values["street"],
                    city=values["city"],
                    state_or_province=values["state"],
                    postcode=values["postcode"],
                )
            )
        except UnreadableAddress as error:
            reasons.append(f"the address cannot be read: {error.reason}")
    if lit and medium is AccessMedium.NONE:
        reasons.append("a lit building needs an access medium (fiber or hfc), not none")
    if reasons:
        return None, reasons
    return (
        Location(
            location_id=location_id,
            address=address,
            latitude=latitude,
            longitude=longitude,
            building_lit=lit,
            distance_to_fiber_ft=distance,
            access_medium=medium,
            max_bandwidth_mbps=max_bandwidth,
            market=market,
        ),
        reasons,
    )


def _matching(pattern: re.Pattern):
    def parse(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(value)
        return value

    return parse


def _between(low: int, high: int):
    def parse(value: str) -> Decimal:
        number = Decimal(value)
        if not number.is_finite() or not low <= number <= high:
            raise ValueError(value)
        return number

    return parse


def _whole_number(minimum: int):
    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(value)
        return number

    return parse


def _yes_or_no(value: str) -> bool:
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise ValueError(value)
