"""The order entry matrix and accuracy checks on the shipped matrix and seed reference data."""

from datetime import date
from decimal import Decimal

import pytest

from intake.domain.validation import validate
from orderdesk_shared.addresses import UnreadableAddress, normalize_address
from orderdesk_shared.events.order import (
    Account,
    Address,
    Agreement,
    Channel,
    Contact,
    ItemAction,
    ItemPrice,
    OrderItem,
    OrderState,
    OrderType,
    ProductOrder,
    SalesRep,
    ServiceLocation,
)

from ..builders import SEED_RULES

TODAY = date(2026, 11, 28)
SITE = ServiceLocation(
    address=Address(street="233 south wacker drive", city="Chicago", state_or_province="IL", postcode="60606")
)


def _new_order(**changes) -> ProductOrder:
    order = ProductOrder(
        id="PO-1",
        channel=Channel.CRM,
        order_type=OrderType.NEW,
        account=Account(
            legal_name="Acme Fabrication LLC",
            billing_address=Address(street="1 N State St", city="Chicago", state_or_province="IL", postcode="60602"),
        ),
        contacts=[Contact(name="Ann Lee", email="ann@acme.example.com", phone="+1 312 263 0100")],
        sales_reps=[
            SalesRep(rep_id="rep-001", split_percent=Decimal(60)),
            SalesRep(rep_id="rep-002", split_percent=Decimal(40)),
        ],
        agreement=Agreement(term_months=36),
        items=[
            OrderItem(
                id="1",
                product_offering_id="DIA-FIBER",
                characteristics={"bandwidth_mbps": 500},
                location=SITE,
                price=ItemPrice(mrc=Decimal(1200)),
            )
        ],
    )
    return order.model_copy(update=changes)


def _codes(order: ProductOrder) -> list[tuple[str, str]]:
    return [(finding.reason_code, finding.field_path) for finding in validate(order, SEED_RULES, today=TODAY).findings]


def test_a_complete_correct_new_order_passes_with_its_addresses_normalized():
    validation = validate(_new_order(), SEED_RULES, today=TODAY)
    assert validation.findings == []
    assert validation.state is OrderState.IN_PROGRESS
    assert validation.order.items[0].location.address.street == "233 S WACKER DR"


def test_missing_information_makes_the_order_pending_with_a_fix_for_each_field():
    order = _new_order(account=Account(legal_name="Acme Fabrication LLC"), contacts=[])
    validation = validate(order, SEED_RULES, today=TODAY)
    assert validation.state is OrderState.PENDING
    assert [(f.reason_code, f.field_path) for f in validation.findings] == [
        ("INCOMPLETE_DATA", "account.billingAddress"),
        ("INCOMPLETE_DATA", "contacts[primary].email"),
        ("INCOMPLETE_DATA", "contacts[primary].phone"),
    ]
    assert all(finding.fix for finding in validation.findings)


def _items(**changes) -> list[OrderItem]:
    item = OrderItem(id="1", product_offering_id="DIA-FIBER", location=SITE, price=ItemPrice(mrc=Decimal(9)))
    return [item.model_copy(update=changes)]


def _contacts(**changes) -> list[Contact]:
    return [Contact(name="Ann", email="ann@acme.example.com", phone="+1 312 263 0100").model_copy(update=changes)]


UNREADABLE = ServiceLocation(address=Address(street="asdf", city="Chicago", state_or_province="IL", postcode="60606"))
WRONG_VALUES = {
    "retired offering": (
        {"items": _items(product_offering_id="DIA-COPPER")},
        "UNKNOWN_OFFERING",
        "items[0].productOfferingId",
    ),
    "unknown offering": (
        {"items": _items(product_offering_id="WARP-DRIVE")},
        "UNKNOWN_OFFERING",
        "items[0].productOfferingId",
    ),
    "bandwidth tier": (
        {"items": _items(characteristics={"bandwidth_mbps": 300})},
        "INVALID_VALUE",
        "items[0].characteristics.bandwidth_mbps",
    ),
    "term": ({"agreement": Agreement(term_months=18)}, "INVALID_VALUE", "items[0].itemTermMonths"),
    "phone": ({"contacts": _contacts(phone="555-1234")}, "INVALID_VALUE", "contacts[0].phone"),
    "email": ({"contacts": _contacts(email="ann.acme.example.com")}, "INVALID_VALUE", "contacts[0].email"),
    "split": ({"sales_reps": [SalesRep(rep_id="rep-001", split_percent=Decimal(90))]}, "INVALID_VALUE", "salesReps"),
    "inactive rep": ({"sales_reps": [SalesRep(rep_id="rep-090")]}, "INVALID_VALUE", "salesReps[0].repId"),
    "unknown rep": ({"sales_reps": [SalesRep(rep_id="rep-999")]}, "INVALID_VALUE", "salesReps[0].repId"),
    "unreadable address": ({"items": _items(location=UNREADABLE)}, "INVALID_ADDRESS", "items[0].location.address"),
    "action": ({"items": _items(action=ItemAction.DELETE)}, "INVALID_VALUE", "items[0].action"),
}


@pytest.mark.parametrize(("changes", "code", "path"), WRONG_VALUES.values(), ids=WRONG_VALUES.keys())
def test_each_wrong_value_is_one_finding_and_rejects_the_order(changes, code, path):
    order = _new_order(**changes)
    assert _codes(order) == [(code, path)]
    assert validate(order, SEED_RULES, today=TODAY).state is OrderState.REJECTED


def test_an_order_on_a_closed_account_is_rejected():
    order = _new_order(order_type=OrderType.ADD, account=Account(id="ACC-10010"))
    assert _codes(order) == [("INVALID_VALUE", "account.id")]


def test_a_move_needs_the_old_site_deleted_and_the_new_one_added():
    order = _new_order(
        order_type=OrderType.MOVE, account=Account(id="ACC-10001"), requested_completion_date=date(2027, 1, 4)
    )
    assert _codes(order) == [("INCOMPLETE_DATA", "items")]


def test_a_disconnect_needs_the_existing_product_and_a_date():
    item = OrderItem(id="1", action=ItemAction.DELETE, product_offering_id="SIP-TRUNK")
    order = _new_order(order_type=OrderType.DISCONNECT, account=Account(id="ACC-10001"), items=[item])
    assert _codes(order) == [
        ("INCOMPLETE_DATA", "items[0].existingProductId"),
        ("INCOMPLETE_DATA", "requestedCompletionDate"),
    ]


def test_a_move_of_one_product_pairs_its_removal_and_installation_and_a_move_of_several_must_say_which():
    removal = OrderItem(
        id="1", action=ItemAction.DELETE, product_offering_id="DIA-FIBER", existing_product_id="PRD-440017"
    )
    installation = OrderItem(id="2", product_offering_id="DIA-FIBER", location=SITE, price=ItemPrice(mrc=Decimal(1125)))
    move = _new_order(
        order_type=OrderType.MOVE,
        account=Account(id="ACC-10001"),
        requested_completion_date=date(2027, 1, 4),
        items=[removal, installation],
    )
    validation = validate(move, SEED_RULES, today=TODAY)
    assert validation.findings == []
    assert [item.linked_item_id for item in validation.order.items] == ["2", "1"]

    second = installation.model_copy(update={"id": "3"})
    unpaired = move.model_copy(update={"items": [removal, installation, second]})
    assert _codes(unpaired) == [
        ("INCOMPLETE_DATA", "items[0].linkedItemId"),
        ("INCOMPLETE_DATA", "items[1].linkedItemId"),
        ("INCOMPLETE_DATA", "items[2].linkedItemId"),
    ]


def test_a_transfer_names_another_open_account_or_a_new_client_to_take_the_services_over():
    item = OrderItem(
        id="1", action=ItemAction.MODIFY, product_offering_id="DIA-FIBER", existing_product_id="PRD-440017"
    )
    transfer = _new_order(
        order_type=OrderType.TRANSFER,
        account=Account(id="ACC-10001"),
        requested_completion_date=date(2027, 1, 4),
        items=[item],
    )
    assert _codes(transfer) == [("INCOMPLETE_DATA", "transferTo")]
    assert _codes(transfer.model_copy(update={"transfer_to": Account(id="ACC-10002")})) == []
    assert _codes(transfer.model_copy(update={"transfer_to": Account(legal_name="Acme Holdings Inc")})) == []
    assert _codes(transfer.model_copy(update={"transfer_to": Account(id="ACC-10010")})) == [
        ("INVALID_VALUE", "transferTo.id")
    ]


@pytest.mark.parametrize(
    "street",
    [
        "233 south wacker drive suite 4400",
        "233 South Wacker Drive Suite 4401",
        "233 s wacker dr ste 990",
        "99 Elm St Unit 99",  # the building number is the suite's stand-in
        "77 W Jackson Blvd Floor 20",
        "100 Highway 101",  # a number that is the street's own
        "350 Fifth Avenue 3400",
        "Main St 4",
    ],
)
def test_a_suite_is_normalized_as_its_building_was_and_reads_as_if_parsed_itself(street):
    address = Address(street=street, city="Chicago", state_or_province="IL", postcode="60606")
    site = ServiceLocation(address=address)
    try:
        expected = [normalize_address(address).street]
    except UnreadableAddress:
        expected = [address.street]  # kept as given, with a finding
    for _ in range(2):  # parsed, then remembered
        validation = validate(_new_order(items=_items(location=site)), SEED_RULES, today=TODAY)
        assert [item.location.address.street for item in validation.order.items] == expected
