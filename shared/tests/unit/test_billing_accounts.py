"""Billing account numbers in each billing system's format."""

import pytest

from orderdesk_shared.billing_accounts import CSG, ICOMS, billing_account_number, is_billing_account_number


def test_csg_numbers_are_16_digits_after_the_desks_prefix_and_icoms_numbers_icm_and_9_digits():
    assert billing_account_number(CSG, 42) == "8155000000000428"
    assert billing_account_number(ICOMS, 42) == "ICM-000000422"


@pytest.mark.parametrize("system", [CSG, ICOMS])
def test_a_number_is_in_its_own_systems_format_only_and_a_mistyped_digit_is_caught(system):
    number = billing_account_number(system, 7_316_402)
    other = ICOMS if system == CSG else CSG
    assert is_billing_account_number(system, number) and not is_billing_account_number(other, number)
    last_digits = number[-3:-1]
    mistyped = number[:-3] + last_digits[::-1] + number[-1]
    assert last_digits[0] != last_digits[1] and not is_billing_account_number(system, mistyped)
    assert not is_billing_account_number(system, number[:-1] + str((int(number[-1]) + 1) % 10))


def test_an_unknown_system_or_a_serial_too_long_for_the_format_is_refused():
    with pytest.raises(ValueError, match="no account number format"):
        billing_account_number("ACME", 1)
    with pytest.raises(ValueError, match="does not fit ICOMS"):
        billing_account_number(ICOMS, 10**8)
