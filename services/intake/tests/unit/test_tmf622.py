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
