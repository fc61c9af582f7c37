"""The TMF622 ProductOrder resource: request/response shapes and their mapping to the canonical order.

The public shape follows TMF622 v4 (../shared/standards). OrderDesk extensions, allowed by TMF's
polymorphism, are `orderType` on the order, and `splitPercent`, `email`, `phone`, `billingAddress`
and `taxId` on a related party. Where the spec has a place for a fact, it is taken from there:

- a promotion code: an item price's `priceAlteration` of `priceType` "promotion" (its `name`, or its
  `productOfferingPrice.id`), or a product characteristic `promotionCode`;
- the customer's contribution in aid of construction: an `orderTotalPrice` named (or of `priceType`) "CIAC";
- a transfer's new owner: the related party of role `newOwner`;
- a move's two items: `productOrderItemRelationship` between the removal and the installation.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

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
from orderdesk_shared.limits import (
    CHARACTERISTICS,
    LIST_ENTRIES,
    ORDER_ITEMS,
    RELATED_PARTIES,
    REQUEST_LIMITS,
    Identifier,
    Note,
)
from orderdesk_shared.order_state import OrderStatus

if TYPE_CHECKING:
    from intake.repository import CancelRequest

API_ROOT = "/tmf-api/productOrderingManagement/v4"


class _TmfModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, **REQUEST_LIMITS)


class Money(_TmfModel):
    unit: str = "USD"
    value: Decimal


class Price(_TmfModel):
    dutyFreeAmount: Money | None = None
    percentage: Decimal | None = None


class PriceAlteration(_TmfModel):
    priceType: str | None = None
    name: str | None = Field(default=None, max_length=100)
    productOfferingPrice: "Ref | None" = None
    price: Price | None = None

    @property
    def promotion_code(self) -> str | None:
        if (self.priceType or "").casefold() != PROMOTION:
            return None
        return self.name or (self.productOfferingPrice.id if self.productOfferingPrice else None)


class OrderPrice(_TmfModel):
    priceType: Literal["recurring", "nonRecurring", "oneTime"]
    price: Price
    priceAlteration: list[PriceAlteration] = Field(default_factory=list, max_length=LIST_ENTRIES)


class TotalPrice(_TmfModel):
    """An orderTotalPrice entry: the order-level charges and credits, such as the customer's CIAC."""

    priceType: str | None = None
    name: str | None = None
    price: Price

    @property
    def is_ciac(self) -> bool:
        return CIAC in {(self.name or "").casefold(), (self.priceType or "").casefold()}


class Characteristic(_TmfModel):
    name: str
    value: str | int | float | bool


class Place(_TmfModel):
    """A RelatedPlaceRefOrValue: a known location id, or a GeographicAddress value."""

    id: str | None = None
    role: str | None = None
    streetNr: str | None = None
    streetName: str | None = None
    city: str | None = None
    stateOrProvince: str | None = None
    postcode: str | None = None
    country: str = "US"


class ProductValue(_TmfModel):
    id: Identifier | None = None
    productCharacteristic: list[Characteristic] = Field(default_factory=list, max_length=CHARACTERISTICS)
    place: list[Place] = Field(default_factory=list, max_length=LIST_ENTRIES)


class Ref(_TmfModel):
    id: Identifier
    name: str | None = None


class Duration(_TmfModel):
    amount: int = Field(ge=1)
    units: str = "month"


class ItemTerm(_TmfModel):
    duration: Duration


class ItemRelationship(_TmfModel):
    id: Identifier
    relationshipType: str | None = None


class ProductOrderItem(_TmfModel):
    id: Identifier
    action: ItemAction = ItemAction.ADD
    quantity: int = 1
    # Optional as in TMF622: a change or disconnect may name only the customer's product.
    productOffering: Ref | None = None
    product: ProductValue | None = None
    itemTerm: list[ItemTerm] = Field(default_factory=list, max_length=LIST_ENTRIES)
    itemPrice: list[OrderPrice] = Field(default_factory=list, max_length=LIST_ENTRIES)
    productOrderItemRelationship: list[ItemRelationship] = Field(default_factory=list, max_length=LIST_ENTRIES)


class RelatedParty(_TmfModel):
    id: Identifier | None = None
    name: str | None = None
    role: str
    splitPercent: Decimal | None = None
    email: str | None = None
    phone: str | None = None
    billingAddress: Place | None = None
    taxId: str | None = None


class AgreementRef(_TmfModel):
    id: Identifier | None = None
    name: str | None = None
    termMonths: int | None = None
    signedDate: date | None = None
    nonStandardTerms: Note | None = None


class ChannelRef(_TmfModel):
    name: Channel = Channel.API


class ProductOrderCreate(_TmfModel):
    """ProductOrder_Create: what a client POSTs."""

    externalId: Identifier | None = None
    category: str = "enterprise"
    orderType: OrderType
    requestedCompletionDate: date | None = None
    channel: list[ChannelRef] = Field(default_factory=list, max_length=LIST_ENTRIES)
    relatedParty: list[RelatedParty] = Field(min_length=1, max_length=RELATED_PARTIES)
    agreement: list[AgreementRef] = Field(default_factory=list, max_length=LIST_ENTRIES)
    orderTotalPrice: list[TotalPrice] = Field(default_factory=list, max_length=LIST_ENTRIES)
    productOrderItem: list[ProductOrderItem] = Field(min_length=1, max_length=ORDER_ITEMS)


PROMOTION = "promotion"
PROMOTION_CHARACTERISTIC = "promotionCode"
CIAC = "ciac"
NEW_OWNER = "newowner"


def to_canonical(request: ProductOrderCreate, *, order_id: str, submitted_by: str | None) -> ProductOrder:
    """Map a TMF622 create request to the canonical order."""
    parties = request.relatedParty
    customer = next((p for p in parties if p.role.lower() in ("customer", "account")), None)
    new_owner = next((p for p in parties if p.role.lower() == NEW_OWNER), None)
    agreement = request.agreement[0] if request.agreement else AgreementRef()
    ciac = sum(
        (
            total.price.dutyFreeAmount.value
            for total in request.orderTotalPrice
            if total.is_ciac and total.price.dutyFreeAmount
        ),
        Decimal(0),
    )
    return ProductOrder(
        id=order_id,
        external_id=request.externalId,
        channel=request.channel[0].name if request.channel else Channel.API,
        category=request.category,
        order_type=request.orderType,
        account=_account(customer) if customer else Account(),
        transfer_to=_account(new_owner) if new_owner else None,
        contacts=[
            Contact(name=p.name or p.id or "", role="primary", email=p.email, phone=p.phone)
            for p in parties
            if p.role.lower() == "contact"
        ],
        sales_reps=[
            SalesRep(
                rep_id=p.id or p.name or "",
                split_percent=p.splitPercent if p.splitPercent is not None else Decimal(100),
            )
            for p in parties
            if p.role.lower() == "salesrep"
        ],
        submitted_by=submitted_by,
        requested_completion_date=request.requestedCompletionDate,
        agreement=Agreement(
            contract_id=agreement.id,
            term_months=agreement.termMonths,
            signed_date=agreement.signedDate,
            non_standard_terms=agreement.nonStandardTerms,
            ciac=ciac,
        )
        if agreement or ciac
        else None,
        items=[_item(item) for item in request.productOrderItem],
    )


def _account(party: RelatedParty) -> Account:
    return Account(
        id=party.id,
        legal_name=party.name,
        billing_address=_address(party.billingAddress) if party.billingAddress else None,
        tax_id=party.taxId,
    )


def _item(item: ProductOrderItem) -> OrderItem:
    product = item.product or ProductValue()
    place = product.place[0] if product.place else None
    characteristics = {c.name: c.value for c in product.productCharacteristic}
    promotion = characteristics.pop(PROMOTION_CHARACTERISTIC, None)
    promoted = (
        code for price in item.itemPrice for alteration in price.priceAlteration if (code := alteration.promotion_code)
    )
    promotion = next(promoted, promotion)
    return OrderItem(
        id=item.id,
        action=item.action,
        product_offering_id=item.productOffering.id if item.productOffering else "",
        quantity=item.quantity,
        characteristics=characteristics,
        location=_location(place) if place else None,
        item_term_months=item.itemTerm[0].duration.amount if item.itemTerm else None,
        price=_price(item.itemPrice) if item.itemPrice else None,
        promotion_code=str(promotion) if promotion is not None else None,
        existing_product_id=product.id,
        linked_item_id=item.productOrderItemRelationship[0].id if item.productOrderItemRelationship else None,
    )


def _location(place: Place) -> ServiceLocation:
    return ServiceLocation(location_id=place.id, address=_address(place))


def _address(place: Place) -> Address | None:
    if not (place.streetName and place.city):
        return None
    return Address(
        street=" ".join(part for part in (place.streetNr, place.streetName) if part),
        city=place.city,
        state_or_province=place.stateOrProvince or "",
        postcode=place.postcode or "",
        country=place.country,
    )


def _price(prices: list[OrderPrice]) -> ItemPrice:
    recurring = next((p for p in prices if p.priceType == "recurring"), None)
    one_time = next((p for p in prices if p.priceType != "recurring"), None)
    discount = next(
        (
            a.price.percentage
            for a in (recurring.priceAlteration if recurring else [])
            if a.promotion_code is None and a.price and a.price.percentage is not None
        ),
        None,
    )
    return ItemPrice(
        mrc=recurring.price.dutyFreeAmount.value if recurring and recurring.price.dutyFreeAmount else None,
        nrc=one_time.price.dutyFreeAmount.value if one_time and one_time.price.dutyFreeAmount else None,
        mrc_discount_percent=discount,
    )


def to_resource(order: ProductOrder, status: OrderStatus, *, order_date: datetime, completed_on: date | None) -> dict:
    """The TMF622 ProductOrder representation of a stored order: its state and each item's, the stage beside them."""
    resource = {
        "id": order.id,
        "href": f"{API_ROOT}/productOrder/{order.id}",
        "@type": "ProductOrder",
        "externalId": order.external_id,
        "category": order.category,
        "orderType": order.order_type,
        "state": status.state,
        "stage": status.stage,
        "orderDate": order_date.isoformat(),
        "requestedCompletionDate": order.requested_completion_date.isoformat()
        if order.requested_completion_date
        else None,
        "channel": [{"name": order.channel}],
        "relatedParty": _parties(order),
        "productOrderItem": [_item_resource(item, status.item_state(item.id)) for item in order.items],
        "findings": list(status.findings),
    }
    if completed_on and status.state in (OrderState.COMPLETED, OrderState.PARTIAL):
        resource["completionDate"] = completed_on.isoformat()
    if order.agreement and order.agreement.ciac:
        resource["orderTotalPrice"] = [
            {"name": "CIAC", "priceType": CIAC, "price": {"dutyFreeAmount": _money(order.agreement.ciac)}}
        ]
    return resource


def _item_resource(item: OrderItem, state: OrderState) -> dict:
    resource: dict = {
        "id": item.id,
        "action": item.action,
        "quantity": item.quantity,
        "productOffering": {"id": item.product_offering_id},
        "state": state,
        "@type": "ProductOrderItem",
    }
    product: dict = {}
    if item.existing_product_id:
        product["id"] = item.existing_product_id
    if item.characteristics:
        product["productCharacteristic"] = [{"name": n, "value": v} for n, v in item.characteristics.items()]
    if item.location:
        product["place"] = [_place(item.location)]
    if product:
        resource["product"] = product
    if item.promotion_code:
        resource["itemPrice"] = [
            {"priceType": "recurring", "priceAlteration": [{"priceType": PROMOTION, "name": item.promotion_code}]}
        ]
    if item.linked_item_id:
        resource["productOrderItemRelationship"] = [{"id": item.linked_item_id, "relationshipType": "movedWith"}]
    return resource


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
    return {"unit": "USD", "value": float(amount)}


def _parties(order: ProductOrder) -> list[dict]:
    parties: list[dict] = []
    if order.account.id or order.account.legal_name:
        parties.append({"id": order.account.id, "name": order.account.legal_name, "role": "customer"})
    if order.transfer_to:
        parties.append({"id": order.transfer_to.id, "name": order.transfer_to.legal_name, "role": "newOwner"})
    parties.extend(
        {"id": rep.rep_id, "role": "salesRep", "splitPercent": str(rep.split_percent)} for rep in order.sales_reps
    )
    return parties


def cancel_resource(request: "CancelRequest") -> dict:
    """The TMF622 CancelProductOrder representation of a cancellation request."""
    resource = {
        "id": request.id,
        "href": f"{API_ROOT}/cancelProductOrder/{request.id}",
        "@type": "CancelProductOrder",
        "state": request.state,
        "productOrder": {"id": request.order_id, "href": f"{API_ROOT}/productOrder/{request.order_id}"},
        "cancellationReason": request.reason,
    }
    if request.requested_cancellation_date:
        resource["requestedCancellationDate"] = request.requested_cancellation_date.isoformat()
    if request.effective_at and request.state == "done":
        resource["effectiveCancellationDate"] = request.effective_at.isoformat()
    if request.outcome:
        resource["outcome"] = request.outcome
    return resource
