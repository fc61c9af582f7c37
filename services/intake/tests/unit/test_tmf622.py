import copy
from decimal import Decimal

from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.order import Channel, OrderType

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
                    "priceAlteration": [{"price": {"percentage": 5}}],
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
