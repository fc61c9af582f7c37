"""The location inventory: where our plant reaches, read from CSV one row at a time.

Columns (DOMAIN.md, "Serviceability"): location_id, street, city, state, postcode, latitude,
longitude, building_lit, distance_to_fiber_ft, access_medium, max_bandwidth_mbps, market (others are ignored). A
location is a building: its address is kept USPS-normalized without a unit, the form order sites are matched
in. A bad row is reported with every reason and never stops the good ones.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, model_validator

from orderdesk_shared.addresses import UnreadableAddress, building_address
from orderdesk_shared.csv_rows import read_csv_rows
from orderdesk_shared.events.order import Address
from orderdesk_shared.field_problems import FieldProblem

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


def _cell(parse: Callable[[str], object], expected: str) -> BeforeValidator:
    """A cell read by `parse`, refused as not `expected` when it cannot."""

    def read(value: object) -> object:
        try:
            return parse(value) if isinstance(value, str) else value
        except (ValueError, InvalidOperation):
            raise ValueError(f"not {expected}") from None

    return BeforeValidator(read)


class _LocationRow(BaseModel):
    model_config = ConfigDict(extra="ignore")  # an inventory export may carry columns of its own

    location_id: Annotated[str, _cell(_matching(_LOCATION_ID), "an id (letters, digits, '-', '_', '.')")]
    street: str
    city: str
    state: str
    postcode: str
    latitude: Annotated[Decimal, _cell(_between(-90, 90), "a latitude (a number from -90 to 90)")]
    longitude: Annotated[Decimal, _cell(_between(-180, 180), "a longitude (a number from -180 to 180)")]
    building_lit: Annotated[bool, _cell(_yes_or_no, "true or false")]
    distance_to_fiber_ft: Annotated[int, _cell(_whole_number(0), "a whole number of feet (0 or more)")]
    access_medium: Annotated[AccessMedium, _cell(AccessMedium, "one of fiber, hfc, none")]
    max_bandwidth_mbps: Annotated[int, _cell(_whole_number(1), "a whole number of Mbps (1 or more)")]
    market: Annotated[str, _cell(_matching(_MARKET), "a market code (2 to 5 capital letters)")]
    _building: Address = PrivateAttr()

    @model_validator(mode="after")
    def _a_building_we_can_read(self) -> "_LocationRow":
        address = Address(street=self.street, city=self.city, state_or_province=self.state, postcode=self.postcode)
        try:
            self._building = building_address(address)
        except UnreadableAddress as error:
            raise ValueError(f"the address cannot be read: {error.reason}") from None
        return self

    @model_validator(mode="after")
    def _lit_over_some_medium(self) -> "_LocationRow":
        if self.building_lit and self.access_medium is AccessMedium.NONE:
            raise ValueError("a lit building needs an access medium (fiber or hfc), not none")
        return self

    def location(self) -> Location:
        return Location(
            location_id=self.location_id,
            address=self._building,
            latitude=self.latitude,
            longitude=self.longitude,
            building_lit=self.building_lit,
            distance_to_fiber_ft=self.distance_to_fiber_ft,
            access_medium=self.access_medium,
            max_bandwidth_mbps=self.max_bandwidth_mbps,
            market=self.market,
        )


COLUMNS = tuple(_LocationRow.model_fields)


def read_inventory(text: str) -> InventoryFile:
    """Every good row as a Location, every bad row with its reasons; ids and buildings must be unique in the file.

    Raises UnreadableCsv when the header lacks columns."""
    locations: list[tuple[int, Location]] = []
    rejected: list[RejectedRow] = []
    line_of_id: dict[str, int] = {}
    line_of_building: dict[tuple[str, str, str, str], int] = {}
    for row in read_csv_rows(text, _LocationRow):
        problems = [FieldProblem(problem.field, problem.reason) for problem in row.problems]
        if row.value is not None:
            location = row.value.location()
            building = _building_key(location.address)
            if location.location_id in line_of_id:
                already = f"{location.location_id} is already on line {line_of_id[location.location_id]}"
                problems.append(FieldProblem("location_id", already))
            elif building in line_of_building:
                problems.append(FieldProblem("", f"the building is already on line {line_of_building[building]}"))
            else:
                line_of_id[location.location_id] = row.line
                line_of_building[building] = row.line
                locations.append((row.line, location))
                continue
        reasons = tuple(map(str, problems))
        rejected.append(RejectedRow(line=row.line, location_id=row.cells.get("location_id"), reasons=reasons))
    return InventoryFile(locations=locations, rejected=rejected)


def _building_key(address: Address) -> tuple[str, str, str, str]:
    return (address.street, address.city, address.state_or_province, address.postcode)
