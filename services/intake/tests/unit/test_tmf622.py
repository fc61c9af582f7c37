import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from intake.domain.validation import validate
from intake.tmf622 import ProductOrderCreate, request_findings, spec_errors, to_canonical, to_resource
from orderdesk_shared.events.order import Channel, OrderType
from orderdesk_shared.order_state import received
from orderdesk_stack.tmf_conformance import TMF622, assert_conforms, product_order_request

from ..builders import SEED_RULES

REQUEST = {
    "externalId": "OPP-0042",
    "orderType": "new",
    "channel": [{"name": "crm"}],
    "relatedParty": [
        {"role": "customer", "name": "Acme Fabrication LLC"},
        {"role": "salesRep", "id": "rep-1", "splitPercent": 60},
        {"role": "salesRep", "id": "rep-2", "splitPercent": 40},
        {"role": "contact", "name": "Ann Lee", "email": "ann@acme.example", "phone": "+1 312 555 0100"},
    ],
    "agreement": [{"id": "MSA-9", "termMonths": 36}],
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "DIA-FIBER"},
            "product": {
                "productCharacteristic": [{"name": "bandwidth_mbps", "value": 500}],
                "place": [
                    {
                        "role": "serviceLocation",
                        "streetNr": "233",
                        "streetName": "S Wacker Dr",
                        "city": "Chicago",
                        "stateOrProvince": "IL",
                        "postcode": "60606",
                    }
                ],
            },
            "itemPrice": [
                {
                    "priceType": "recurring",
                    "price": {"dutyFreeAmount": {"unit": "USD", "value": 1200}},
                    "priceAlteration": [{"priceType": "discount", "price": {"percentage": 5}}],
                },
                {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 500}}},
            ],
        }
    ],
}


def test_a_tmf622_request_maps_to_the_canonical_order():
    order = to_canonical(ProductOrderCreate.model_validate(REQUEST), order_id="PO-1", submitted_by="rep-1")

    assert order.channel is Channel.CRM and order.order_type is OrderType.NEW
    assert order.account.legal_name == "Acme Fabrication LLC"
    assert [(rep.rep_id, rep.split_percent) for rep in order.sales_reps] == [("rep-1", 60), ("rep-2", 40)]
    item = order.items[0]
    assert item.characteristics == {"bandwidth_mbps": 500}
    assert item.location.address.street == "233 S Wacker Dr"
    assert (item.price.mrc, item.price.nrc, item.price.mrc_discount_percent) == (
        Decimal(1200),
        Decimal(500),
        Decimal(5),
    )


def test_a_promotion_code_and_a_ciac_travel_where_the_spec_has_room_for_them():
    request = copy.deepcopy(REQUEST)
    [item] = request["productOrderItem"]
    item["itemPrice"][0]["priceAlteration"].append({"priceType": "promotion", "name": "FREEINSTALL26"})
    request["orderTotalPrice"] = [{"name": "CIAC", "price": {"dutyFreeAmount": {"unit": "USD", "value": 20000}}}]
    order = to_canonical(ProductOrderCreate.model_validate(request), order_id="PO-1", submitted_by="rep-1")
    [mapped] = order.items
    assert (mapped.promotion_code, mapped.price.mrc_discount_percent) == ("FREEINSTALL26", Decimal(5))
    assert order.agreement.ciac == Decimal(20000)
    # A promotion named by its code alone is taken, and reads back with the price the spec requires.
    assert spec_errors(request) == []
    assert_conforms(_resource(request), TMF622, "ProductOrder")

    by_characteristic = copy.deepcopy(REQUEST)
    by_characteristic["productOrderItem"][0]["product"]["productCharacteristic"].append(
        {"name": "promotionCode", "value": "VOICESWITCH"}
    )
    [mapped] = to_canonical(
        ProductOrderCreate.model_validate(by_characteristic), order_id="PO-2", submitted_by="x"
    ).items
    assert (mapped.promotion_code, mapped.characteristics) == ("VOICESWITCH", {"bandwidth_mbps": 500})


def test_a_transfer_names_its_new_owner_and_a_move_relates_its_two_items():
    transfer = copy.deepcopy(REQUEST) | {"orderType": "transfer"}
    transfer["relatedParty"] = [
        {"role": "customer", "id": "ACC-10001"},
        {"role": "newOwner", "id": "ACC-10002"},
    ]
    order = to_canonical(ProductOrderCreate.model_validate(transfer), order_id="PO-3", submitted_by="rep-1")
    assert (order.account.id, order.transfer_to.id) == ("ACC-10001", "ACC-10002")

    move = copy.deepcopy(REQUEST) | {"orderType": "move"}
    removal = copy.deepcopy(move["productOrderItem"][0]) | {"id": "1", "action": "delete"}
    installation = copy.deepcopy(removal) | {
        "id": "2",
        "action": "add",
        "productOrderItemRelationship": [{"id": "1", "relationshipType": "movedFrom"}],
    }
    move["productOrderItem"] = [removal, installation]
    order = to_canonical(ProductOrderCreate.model_validate(move), order_id="PO-4", submitted_by="rep-1")
    assert [item.linked_item_id for item in order.items] == [None, "1"]


# --- the published specification ----------------------------------------------------------------------------------


def _resource(document: dict, *, state_of=received) -> dict:
    request = ProductOrderCreate.model_validate(document)
    order = to_canonical(request, order_id="PO-9", submitted_by="rep-1")
    validation = validate(order, SEED_RULES, today=date(2026, 12, 1))
    status = state_of(1, [item.id for item in order.items])
    return to_resource(
        validation.order, status, order_date=datetime(2026, 12, 1, 9, tzinfo=UTC), completed_on=None, document=document
    )


@pytest.mark.parametrize(
    ("actions", "existing_account", "new_owner", "expected"),
    [
        (["add", "add"], False, False, OrderType.NEW),
        (["add"], True, False, OrderType.ADD),
        (["modify", "noChange"], True, False, OrderType.CHANGE),
        (["delete"], True, False, OrderType.DISCONNECT),
        (["delete", "add"], True, False, OrderType.MOVE),
        (["modify"], True, True, OrderType.TRANSFER),
        (["noChange"], True, False, OrderType.CHANGE),
    ],
)
def test_an_order_without_an_order_type_takes_it_from_its_items_and_parties(
    actions, existing_account, new_owner, expected
):
    items = [{"id": str(n), "action": action} for n, action in enumerate(actions)]
    parties = [{"role": "customer", "id": "ACC-10001"}] if existing_account else [{"role": "customer", "name": "X"}]
    parties += [{"role": "newOwner", "id": "ACC-10002"}] if new_owner else []
    request = ProductOrderCreate.model_validate({"productOrderItem": items, "relatedParty": parties})
    assert request.order_type is expected
    assert request_findings(request) == []


def test_an_order_type_orderdesk_does_not_know_is_a_finding_and_the_items_decide():
    request = ProductOrderCreate.model_validate(copy.deepcopy(REQUEST) | {"orderType": "upgrade"})
    [finding] = request_findings(request)
    assert (finding.reason_code, finding.field_path) == ("INVALID_VALUE", "orderType")
    assert request.order_type is OrderType.NEW


def test_the_published_example_is_valid_and_maps_with_what_orderdesk_cannot_use_left_to_findings():
    example = product_order_request()
    assert spec_errors(example) == []
    request = ProductOrderCreate.model_validate(example)
    order = to_canonical(request, order_id="PO-9", submitted_by="rep-1")
    # "Online chanel" is no channel OrderDesk knows: the API. The party without a role, of @referredType Customer, is
    # the customer: its items add to an account this desk does not know.
    assert (order.channel, order.order_type) == (Channel.API, OrderType.ADD)
    assert (order.account.id, order.account.legal_name) == ("ff55-hjy4", "Jean Pontus")
    assert order.requested_completion_date == date(2019, 5, 2)
    assert [item.price.nrc if item.price else None for item in order.items] == [None, Decimal("0.99"), None, None]
    findings = validate(order, SEED_RULES, today=date(2026, 12, 1)).findings
    assert {"account.id", "salesReps", "items[0].location"} <= {finding.field_path for finding in findings}
    # Prices in euros are not read as dollars.
    assert {(f.reason_code, f.field_path) for f in request_findings(request)} == {
        ("INVALID_VALUE", "items[1].price"),
        ("INVALID_VALUE", "items[2].price"),
    }


def test_a_request_invalid_under_the_spec_is_named_at_each_path():
    document = product_order_request()
    del document["productOrderItem"][0]["action"]
    document["productOrderItem"][1]["quantity"] = "1"
    document["priority"] = 1
    document["requestedStartDate"] = "2019-05-03"
    document["note"] = [{"author": "Jean"}]
    errors = {".".join(map(str, error["loc"])) for error in spec_errors(document)}
    assert errors == {
        "productOrderItem.0.action",
        "productOrderItem.1.quantity",
        "priority",
        "requestedStartDate",
        "note.0.text",
    }
    assert [error["loc"] for error in spec_errors({"relatedParty": []})] == [("productOrderItem",)]


def test_orderdesk_takes_a_party_by_its_role_alone_and_a_plain_requested_date():
    assert spec_errors(REQUEST | {"requestedCompletionDate": "2027-01-15"}) == []
    request = ProductOrderCreate.model_validate(REQUEST | {"requestedCompletionDate": "2027-01-15"})
    assert request.requestedCompletionDate == datetime(2027, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "channel"), [("crm", Channel.CRM), ("IVR", Channel.IVR), ("Partner portal", Channel.API)]
)
def test_any_channel_name_is_taken_and_a_known_one_is_that_channel(name, channel):
    request = ProductOrderCreate.model_validate(REQUEST | {"channel": [{"id": "7", "name": name}]})
    assert to_canonical(request, order_id="PO-1", submitted_by=None).channel is channel


def test_the_resource_reads_back_the_published_example_conformant_to_the_spec():
    example = product_order_request() | {"@type": "EnterpriseProductOrder", "@baseType": "ProductOrder"}
    example |= {"cancellationDate": "2019-05-01T10:00:00Z", "cancellationReason": "withdrawn", "state": "completed"}
    example["@schemaLocation"] = "https://orders.example/schemas/EnterpriseProductOrder.json"
    resource = _resource(example)
    assert_conforms(resource, TMF622, "ProductOrder")
    for field in ("description", "priority", "note", "requestedStartDate", "@baseType", "@schemaLocation"):
        assert resource[field] == example[field]
    assert (resource["cancellationDate"], resource["cancellationReason"]) == ("2019-05-01T10:00:00Z", "withdrawn")
    assert resource["@type"] == "EnterpriseProductOrder"
    assert resource["requestedCompletionDate"] == example["requestedCompletionDate"]
    assert resource["channel"] == example["channel"]
    assert resource["relatedParty"] == example["relatedParty"]
    assert resource["productOrderItem"][1]["payment"] == example["productOrderItem"][1]["payment"]
    assert resource["productOrderItem"][2]["billingAccount"] == example["productOrderItem"][2]["billingAccount"]
    assert resource["productOrderItem"][0]["product"] == {"isBundle": True, "@type": "Product"}
    assert (resource["orderType"], resource["state"]) == ("add", "acknowledged")


def test_orderdesk_s_own_requests_read_back_conformant_with_what_the_spec_requires_filled_in():
    resource = _resource(copy.deepcopy(REQUEST) | {"requestedCompletionDate": "2027-01-15"})
    assert_conforms(resource, TMF622, "ProductOrder")
    customer, *_ = resource["relatedParty"]
    # A new client has no account id yet: the party reads back with an empty one.
    assert (customer["id"], customer["@referredType"], customer["name"]) == ("", "Customer", "Acme Fabrication LLC")
    assert resource["requestedCompletionDate"] == "2027-01-15T00:00:00+00:00"
    assert resource["agreement"][0]["id"] == "MSA-9"
    assert resource["productOrderItem"][0]["itemPrice"][0]["price"]["dutyFreeAmount"] == {"unit": "USD", "value": 1200}


def test_an_order_without_its_document_reads_back_from_the_canonical_order_conformant():
    request = ProductOrderCreate.model_validate(REQUEST)
    order = to_canonical(request, order_id="PO-1", submitted_by="rep-1").model_copy(
        update={"requested_completion_date": date(2027, 1, 15)}
    )
    resource = to_resource(
        order,
        received(1, ["1"]),
        order_date=datetime(2026, 12, 1, 9, tzinfo=UTC),
        completed_on=date(2027, 1, 10),
        document=None,
    )
    assert_conforms(resource, TMF622, "ProductOrder")
    assert {party["role"] for party in resource["relatedParty"]} == {"customer", "salesRep", "contact"}


def test_a_party_without_a_role_is_the_kind_its_referred_type_names():
    document = product_order_request()
    seller = {"id": "rep-1", "role": "Seller", "@referredType": "Customer"}
    individual = {"id": "IND-7", "@referredType": "Individual"}
    customer = {"id": "ACC-10001", "@referredType": "Customer"}

    for parties, account in (([seller, individual], None), ([seller, customer], "ACC-10001")):
        request = ProductOrderCreate.model_validate(document | {"relatedParty": parties})
        assert to_canonical(request, order_id="PO-1", submitted_by="rep-1").account.id == account
