"""The TMF622 resources OrderDesk answers with: a stored order's ProductOrder, and a CancelProductOrder."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from intake.tmf622.request import CIAC, CURRENCY, PROMOTION, json_number
from orderdesk_shared.db import json_text
from orderdesk_shared.events.order import ItemPrice, OrderItem, OrderState, ProductOrder, ServiceLocation
from orderdesk_shared.order_state import OrderStatus

if TYPE_CHECKING:
    from intake.repository import CancelRequest

API_ROOT = "/tmf-api/productOrderingManagement/v4"
# A party's kind when the client did not say (RelatedParty requires @referredType): the accounts are customers.
_REFERRED_TYPE = {"customer": "Customer", "account": "Customer", "newowner": "Customer"}
ITEMS = "productOrderItem"
# Set by the server alone (ProductOrder has them, ProductOrder_Create not): never read back from what was sent.
_SERVER_SET = ("id", "href", "state", "orderDate", "completionDate", "expectedCompletionDate")


def to_resource(
    order: ProductOrder,
    status: OrderStatus,
    *,
    order_date: datetime,
    completed_on: date | None,
    document: Mapping | None = None,
) -> dict:
    """The TMF622 ProductOrder of a stored order: what the client sent, read back as sent, completed by what
    OrderDesk knows of the order (its installed-base products, derived order type), with its state, each item's
    state and the stage beside them. Conformant to the spec's ProductOrder: what it requires is always there."""
    # A copy to complete: the document is JSON, which a round trip through its text (orjson's) copies far faster than
    # deepcopy.
    sent = orjson.loads(json_text({key: value for key, value in (document or {}).items() if key not in _SERVER_SET}))
    resource = _filled(sent, _known(order))
    resource |= {
        "id": order.id,
        "href": f"{API_ROOT}/productOrder/{order.id}",
        "@type": sent.get("@type") or "ProductOrder",
        "orderType": order.order_type,
        "state": status.state,
        "stage": status.stage,
        "orderDate": order_date.isoformat(),
        "findings": list(status.findings),
    }
    if order.requested_completion_date:
        resource["requestedCompletionDate"] = _date_time(sent.get("requestedCompletionDate"), order)
    if completed_on and status.state in (OrderState.COMPLETED, OrderState.PARTIAL):
        resource["completionDate"] = datetime.combine(completed_on, time(), UTC).isoformat()
    for item in resource["productOrderItem"]:
        item["state"] = status.item_state(item["id"])
    for channel in resource.get("channel", []):
        channel.setdefault("id", str(order.channel))
    for party in resource.get("relatedParty", []):
        # OrderDesk holds no id for a party named only by its role (a new client before its account is opened).
        party.setdefault("id", "")
        party.setdefault("@referredType", _REFERRED_TYPE.get((party.get("role") or "").casefold(), "Individual"))
    for agreement in resource.get("agreement", []):
        agreement.setdefault("id", "")
    for item in resource["productOrderItem"]:
        for price in item.get("itemPrice", []):
            for alteration in price.get("priceAlteration", []):
                alteration.setdefault("price", {})  # a promotion named by its code alone
    return resource


def _date_time(sent: Any, order: ProductOrder) -> str:
    """The requested completion as sent when it was a date-time; a day (as channels give it) is its midnight UTC."""
    if isinstance(sent, str) and "T" in sent.upper():
        return sent
    return datetime.combine(order.requested_completion_date, time(), UTC).isoformat()


def _filled(sent: Any, known: Any) -> Any:
    """What was sent, completed by what OrderDesk knows: objects field by field, the items by id; anything else
    (a list of parties, of prices, a value) as sent."""
    if not (isinstance(sent, Mapping) and isinstance(known, Mapping)):
        return known if sent is None or (sent == "" and known is not None) else sent
    filled = {key: _filled(value, known.get(key)) for key, value in sent.items()}
    if isinstance(sent.get(ITEMS), list) and isinstance(known.get(ITEMS), list):
        by_id = {item["id"]: item for item in known[ITEMS]}
        filled[ITEMS] = [_filled(item, by_id.get(item.get("id"))) for item in sent[ITEMS]]
    return {**known, **filled}


def _known(order: ProductOrder) -> dict:
    """The order as OrderDesk holds it, in TMF622 terms (the whole resource of an order sent without a document)."""
    known: dict = {
        "category": order.category,
        "channel": [{"id": str(order.channel), "name": str(order.channel)}],
        "relatedParty": _parties(order),
        "productOrderItem": [_item_resource(item) for item in order.items],
    }
    if order.external_id:
        known["externalId"] = order.external_id
    if order.agreement and order.agreement.contract_id:
        known["agreement"] = [{"id": order.agreement.contract_id, "@referredType": "Agreement"}]
    if order.agreement and order.agreement.ciac:
        known["orderTotalPrice"] = [
            {"name": "CIAC", "priceType": CIAC, "price": {"dutyFreeAmount": _money(order.agreement.ciac)}}
        ]
    return known


def _item_resource(item: OrderItem) -> dict:
    resource: dict = {"id": item.id, "action": item.action, "quantity": item.quantity, "@type": "ProductOrderItem"}
    if item.product_offering_id:
        resource["productOffering"] = {"id": item.product_offering_id}
    product: dict = {}
    if item.existing_product_id:
        product["id"] = item.existing_product_id
    if item.characteristics:
        product["productCharacteristic"] = [{"name": n, "value": v} for n, v in item.characteristics.items()]
    if item.location:
        product["place"] = [_place(item.location)]
    if product:
        resource["product"] = product
    if prices := _item_prices(item):
        resource["itemPrice"] = prices
    if item.item_term_months:
        resource["itemTerm"] = [{"duration": {"amount": item.item_term_months, "units": "month"}}]
    if item.linked_item_id:
        resource["productOrderItemRelationship"] = [{"id": item.linked_item_id, "relationshipType": "movedWith"}]
    return resource


def _item_prices(item: OrderItem) -> list[dict]:
    price = item.price or ItemPrice()
    alterations = []
    if price.mrc_discount_percent is not None:
        alterations.append({"priceType": "discount", "price": {"percentage": json_number(price.mrc_discount_percent)}})
    if item.promotion_code:
        alterations.append({"priceType": PROMOTION, "name": item.promotion_code, "price": {}})
    prices = []
    if price.mrc is not None or alterations:
        recurring: dict = {"priceType": "recurring", "price": {}}
        if price.mrc is not None:
            recurring["price"]["dutyFreeAmount"] = _money(price.mrc)
        if alterations:
            recurring["priceAlteration"] = alterations
        prices.append(recurring)
    if price.nrc is not None:
        prices.append({"priceType": "nonRecurring", "price": {"dutyFreeAmount": _money(price.nrc)}})
    return prices


def _place(location: ServiceLocation) -> dict:
    place: dict = {"role": "serviceLocation"}
    if location.location_id:
        place["id"] = location.location_id
    if address := location.address:
        place |= {
            "streetName": address.street,
            "city": address.city,
            "stateOrProvince": address.state_or_province,
            "postcode": address.postcode,
            "country": address.country,
        }
    return place


def _money(amount: Decimal) -> dict:
    return {"unit": CURRENCY, "value": json_number(amount)}


def _parties(order: ProductOrder) -> list[dict]:
    parties: list[dict] = []
    if order.account.id or order.account.legal_name:
        parties.append(_without_none({"id": order.account.id, "name": order.account.legal_name, "role": "customer"}))
    if order.transfer_to:
        parties.append(
            _without_none({"id": order.transfer_to.id, "name": order.transfer_to.legal_name, "role": "newOwner"})
        )
    parties.extend(
        {"id": rep.rep_id, "role": "salesRep", "splitPercent": json_number(rep.split_percent)}
        for rep in order.sales_reps
    )
    parties.extend(
        _without_none({"name": contact.name, "role": "contact", "email": contact.email, "phone": contact.phone})
        for contact in order.contacts
    )
    return parties


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


# What the server sets on a CancelProductOrder: never read back from what was sent.
_CANCEL_SERVER_SET = ("id", "href", "state", "effectiveCancellationDate")


def cancel_resource(request: "CancelRequest") -> dict:
    """The TMF622 CancelProductOrder: the request as sent (its @type, extensions), with where it stands."""
    sent = {key: value for key, value in (request.document or {}).items() if key not in _CANCEL_SERVER_SET}
    resource = sent | {
        "id": request.id,
        "href": f"{API_ROOT}/cancelProductOrder/{request.id}",
        "@type": sent.get("@type") or "CancelProductOrder",
        "state": request.state,
        "productOrder": (sent.get("productOrder") or {})
        | {"id": request.order_id, "href": f"{API_ROOT}/productOrder/{request.order_id}"},
    }
    resource["productOrder"].setdefault("@referredType", "ProductOrder")
    if request.reason:
        resource["cancellationReason"] = request.reason
    if request.requested_cancellation_date and "requestedCancellationDate" not in sent:
        resource["requestedCancellationDate"] = request.requested_cancellation_date.isoformat()
    if request.effective_at and request.state == "done":
        resource["effectiveCancellationDate"] = request.effective_at.isoformat()
    if request.outcome:
        resource["outcome"] = request.outcome
    return resource
