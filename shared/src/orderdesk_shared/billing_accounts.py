"""Billing account numbers in each billing system's format, made and checked here only.

- CSG: 16 digits, the desk's system/principal prefix 8155, an 11-digit serial and a Luhn check digit
  (8155 0000 0000 0428 as CSG prints it, stored without the spaces).
- ICOMS: `ICM-` and 9 digits: an 8-digit serial and a Luhn check digit (ICM-000000422).

The serial comes from intake's one sequence of account serials, so a number is never given twice; the check digit
lets either billing system (and Operations keying it in) catch a mistyped digit.
"""

import re

CSG = "CSG"
ICOMS = "ICOMS"
_CSG_PREFIX = "8155"
_ICOMS_PREFIX = "ICM-"
_SERIAL_DIGITS = {CSG: 11, ICOMS: 8}
_FORMAT = {CSG: re.compile(r"^8155\d{12}$"), ICOMS: re.compile(r"^ICM-\d{9}$")}


def billing_account_number(billing_system: str, serial: int) -> str:
    """The billing system's account number for a serial; raises ValueError for an unknown system or a serial too
    long for the format."""
    digits = _SERIAL_DIGITS.get(billing_system)
    if digits is None:
        raise ValueError(f"no account number format for billing system {billing_system!r}")
    if not 0 < serial < 10**digits:
        raise ValueError(f"serial {serial} does not fit {billing_system}'s {digits} digits")
    serial_digits = f"{serial:0{digits}d}"
    if billing_system == CSG:
        return _CSG_PREFIX + serial_digits + _luhn_digit(_CSG_PREFIX + serial_digits)
    return _ICOMS_PREFIX + serial_digits + _luhn_digit(serial_digits)


def is_billing_account_number(billing_system: str, number: str) -> bool:
    """Whether `number` is in the billing system's format with a right check digit."""
    pattern = _FORMAT.get(billing_system)
    if pattern is None or not pattern.match(number):
        return False
    digits = number.removeprefix(_ICOMS_PREFIX)
    return _luhn_digit(digits[:-1]) == digits[-1]


def _luhn_digit(digits: str) -> str:
    """The Luhn check digit of `digits` (ISO/IEC 7812-1)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)
