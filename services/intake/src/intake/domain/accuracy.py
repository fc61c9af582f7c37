"""Accuracy checks of an order against the reference data (DOMAIN.md, "Validation (intake)")."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from intake.reference import ReferenceData
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import OrderItem, OrderType, ProductOrder

PHONE_REGION = "US"


def accuracy_findings(order: ProductOrder, reference: ReferenceData, *, today: date) -> list[Finding]:
    """Every value on the order that is wrong, each with where it is and how to fix it."""
    return [
        *_account(order, reference),
        *_transfer(order, reference),
        *_contacts(order),
        *_reps(order, reference, today=today),
        *(finding for index, item in enumerate(order.items) for finding in _item(order, index, item, reference)),
    ]


def _account(order: ProductOrder, reference: ReferenceData) -> Iterator[Finding]:
    account_id = order.account.id
    if account_id is None:
        return
    account = reference.accounts.get(account_id)
    if account is None:
        yield _invalid("account.id", f"there is no account {account_id}", "Check the account number on the bill.")
    elif not account.active:
        yield _invalid(
            "account.id", f"account {account_id} is closed", "Open a new-client order, or reactivate the account first."
        )


def _transfer(order: ProductOrder, reference: ReferenceData) -> Iterator[Finding]:
    """The account taking a transfer over: another open account, or a new client named by its legal name."""
    new_owner = order.transfer_to
    if order.order_type is not OrderType.TRANSFER or new_owner is None:
        return
    if new_owner.id is None:
        if not new_owner.legal_name:
            yield Finding(
                reason_code="INCOMPLETE_DATA",
                field_path="transferTo.legalName",
                message="the new owner of the transferred services is not named",
                fix="Give the new owner's account number, or a new client's registered legal name.",
            )
        return
    account = reference.accounts.get(new_owner.id)
    if new_owner.id == order.account.id:
        yield _invalid("transferTo.id", "a transfer must go to another account", "Name the account taking over.")
    elif account is None or not account.active:
        state = "does not exist" if account is None else "is closed"
        yield _invalid("transferTo.id", f"account {new_owner.id} {state}", "Check the new owner's account number.")


def _contacts(order: ProductOrder) -> Iterator[Finding]:
    for index, contact in enumerate(order.contacts):
        if contact.email and (error := _email_error(contact.email)):
            yield _invalid(
                f"contacts[{index}].email",
                f"{contact.email!r} is not an email address: {error}",
                "Correct the contact's email address.",
            )
        if contact.phone and not _is_valid_phone(contact.phone):
            yield _invalid(
                f"contacts[{index}].phone",
                f"{contact.phone!r} is not a valid phone number",
                "Give the contact's phone number with its area code, e.g. +1 312 263 0100.",
            )


# The same contacts come back order after order, and checking an address's syntax is a large share of validation.
# The contacts seen lately, at about 160 bytes an entry: under 1 MiB.
@lru_cache(maxsize=4096)
def _email_error(address: str) -> str | None:
    """Why `address` is not an email address, or None when it is one."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


# Parsing a phone number is half a contact's check, and the same contacts come back order after order: the numbers
# seen lately, at about 120 bytes an entry (under 0.5 MiB).
@lru_cache(maxsize=4096)
def _is_valid_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, PHONE_REGION))
    except phonenumbers.NumberParseException:
        return False


def _reps(order: ProductOrder, reference: ReferenceData, *, today: date) -> Iterator[Finding]:
    for index, sales_rep in enumerate(order.sales_reps):
        rep = reference.reps.get(sales_rep.rep_id)
        if rep is None:
            yield _invalid(
                f"salesReps[{index}].repId",
                f"there is no sales rep {sales_rep.rep_id}",
                "Use the rep id from the sales roster.",
            )
        elif not rep.is_active_on(today):
            yield _invalid(
                f"salesReps[{index}].repId",
                f"sales rep {sales_rep.rep_id} is not active",
                "Name an active rep; ask the sales manager who took over the account.",
            )
    split = sum((rep.split_percent for rep in order.sales_reps), Decimal(0))
    if order.sales_reps and split != 100:
        yield _invalid(
            "salesReps",
            f"commission splits add up to {split}%, not 100%",
            "Make the sales reps' split percentages add up to 100.",
        )


def _item(order: ProductOrder, index: int, item: OrderItem, reference: ReferenceData) -> Iterator[Finding]:
    at = f"items[{index}]"
    if item.quantity < 1:
        yield _invalid(f"{at}.quantity", f"quantity {item.quantity} is less than 1", "Order at least one.")
    if not item.product_offering_id:
        return  # missing, which the entry matrix reports
    offering = reference.offerings.get(item.product_offering_id)
    if offering is None or not offering.active:
        state = "does not exist" if offering is None else "is no longer sold"
        yield Finding(
            reason_code="UNKNOWN_OFFERING",
            field_path=f"{at}.productOfferingId",
            message=f"product offering {item.product_offering_id} {state}",
            fix="Choose an active offering from the current catalogue.",
        )
        return
    for name, value in item.characteristics.items():
        allowed = offering.characteristics.get(name)
        if allowed is None:
            yield _invalid(
                f"{at}.characteristics.{name}",
                f"{offering.name} has no characteristic {name!r}",
                f"Use only {', '.join(sorted(offering.characteristics)) or 'no characteristics'}.",
            )
        elif str(value) not in {str(choice) for choice in allowed}:
            yield _invalid(
                f"{at}.characteristics.{name}",
                f"{name} {value} is not offered for {offering.name}",
                f"Choose one of {', '.join(str(choice) for choice in allowed)}.",
            )
    term = item.item_term_months or (order.agreement.term_months if order.agreement else None)
    if term is not None and term not in offering.terms:
        yield _invalid(
            f"{at}.itemTermMonths",
            f"a {term}-month term is not offered for {offering.name}",
            f"Choose a term of {', '.join(str(t) for t in offering.terms)} months.",
        )


def _invalid(path: str, message: str, fix: str) -> Finding:
    return Finding(reason_code="INVALID_VALUE", field_path=path, message=message, fix=fix)
