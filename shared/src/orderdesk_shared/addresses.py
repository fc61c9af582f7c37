"""US postal addresses in one normalized form (USPS Publication 28), so the same place always reads the same.

`normalize_address` gives an uppercase copy with standard street-suffix, directional and unit
abbreviations ("233 south wacker drive, suite 4400" -> "233 S WACKER DR STE 4400"), a two-letter
state and a five-digit ZIP; `building_address` the same without the unit ("233 S WACKER DR").
Pure: parsing is done locally by usaddress-scourgify, no lookup service.
"""

import re
from collections.abc import Callable
from functools import lru_cache

import usaddress
from scourgify import normalize_address_record
from scourgify.address_constants import STATE_ABBREVIATIONS
from scourgify.exceptions import (
    AddressNormalizationError,
    AddressValidationError,
    AmbiguousAddressError,
    IncompleteAddressError,
    UnParseableAddressError,
)

from orderdesk_shared.events.order import Address

_US = {"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"}
_STATES = frozenset(STATE_ABBREVIATIONS.values())
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_PO_BOX = re.compile(r"\bP\.?\s*O\.?\s*BOX\b|\bPOST\s+OFFICE\s+BOX\b", re.IGNORECASE)
_EXAMPLE = "e.g. 233 S Wacker Dr Ste 4400"
# A street ending in a plain number: most often a suite, floor or unit, which differs from order to order in the same
# building.
_LAST_NUMBER = re.compile(r"(?<=\s)[1-9][0-9]*$")


class UnreadableAddress(ValueError):
    """The address cannot be read as a US postal address; `reason` says why, in plain words, for the rep."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_address(address: Address) -> Address:
    """A USPS-style normalized copy of `address`; raises UnreadableAddress when it cannot be read."""
    record = _normalized_record(address)
    return _address(
        record, street=" ".join(part for part in (record["address_line_1"], record["address_line_2"]) if part)
    )


def building_address(address: Address) -> Address:
    """The normalized address of the building `address` is in: without its unit (suite, floor, building, ...)."""
    record = _normalized_record(address)
    return _address(record, street=record["address_line_1"])


def _address(record: dict[str, str | None], *, street: str) -> Address:
    return Address(
        street=street, city=record["city"], state_or_province=record["state"], postcode=record["postal_code"]
    )


def _normalized_record(address: Address) -> dict[str, str | None]:
    street, city, state, postcode = (
        " ".join(part.split()) for part in (address.street, address.city, address.state_or_province, address.postcode)
    )
    if " ".join(address.country.upper().replace(".", "").split()) not in _US:
        raise UnreadableAddress(f"only US addresses can be served, not country {address.country!r}")
    for value, name in ((street, "street"), (city, "city"), (state, "state"), (postcode, "ZIP code")):
        if not value:
            raise UnreadableAddress(f"the {name} is missing")
    zip_code = _ZIP.match(postcode)
    if zip_code is None:
        raise UnreadableAddress(f"the ZIP code {postcode!r} is not a 5-digit US ZIP code (or ZIP+4)")
    if _PO_BOX.search(street):
        raise UnreadableAddress(f"{street!r} is a PO box; give the street address of the building")

    try:
        record = normalize_address_record(
            {"address_line_1": street, "city": city, "state": state, "postal_code": zip_code[1]}
        )
    except UnParseableAddressError as error:
        raise UnreadableAddress(
            f"{street!r} could not be read as a building number and street name ({_EXAMPLE})"
        ) from error
    except AmbiguousAddressError as error:
        raise UnreadableAddress(
            f"{street!r} holds more than a street address (a person's name, another city, state or ZIP code, "
            f"or text in brackets); give only the number, street and suite ({_EXAMPLE})"
        ) from error
    except (IncompleteAddressError, AddressValidationError) as error:
        raise UnreadableAddress(f"the address is incomplete or badly formed: {error.error}") from error
    except AddressNormalizationError as error:  # scourgify's only other case: a unit type with no unit number
        raise UnreadableAddress(
            f"{street!r} names a unit (Suite, Apt, Floor, ...) without its number, or could not be read ({_EXAMPLE})"
        ) from error
    except usaddress.RepeatedLabelError as error:
        raise UnreadableAddress(f"{street!r} repeats a part of the address ({_EXAMPLE})") from error

    if record["state"] not in _STATES:
        raise UnreadableAddress(f"the state {state!r} is not a US state or its two-letter code")
    return record


def remembered_per_building(normalize: Callable[[Address], Address], *, maxsize: int) -> Callable[[Address], Address]:
    """`normalize` (normalize_address or building_address), remembered per building rather than per address: the
    same customers' sites come back order after order with another suite, floor or unit, and parsing is the dearest
    step of reading an order.

    A street's last number is parsed as a stand-in of the same length and trailing zeros, which the parser cannot
    tell from it (it sees only such features of a number), so the number fares as the stand-in did: put back where
    the stand-in ends the result, or dropped with it (building_address drops the unit). Any doubt (the stand-in's
    digits elsewhere in the result) parses the address itself."""
    remembered = lru_cache(maxsize=maxsize)(normalize)

    def per_building(address: Address) -> Address:
        if (last := _LAST_NUMBER.search(address.street)) is None:
            return remembered(address)
        number = last[0]
        zeros = len(number) - len(number.rstrip("0"))
        stand_in = "9" * (len(number) - zeros) + "0" * zeros
        if stand_in == number:
            return remembered(address)
        try:
            normalized = remembered(address.model_copy(update={"street": address.street[: last.start()] + stand_in}))
        except UnreadableAddress:
            return normalize(address)  # its reason names the street as given
        if stand_in not in normalized.street:
            return normalized
        rest, _, end = normalized.street.rpartition(" ")
        if end != stand_in or stand_in in rest:
            return remembered(address)
        return normalized.model_copy(update={"street": f"{rest} {number}" if rest else number})

    return per_building
